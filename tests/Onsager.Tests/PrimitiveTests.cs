using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>
/// Each primitive in one place (issue 17.1): every primitive of every hierarchy has every interpretation (reflection over
/// all of them, so a forgotten one fails here even where the compiler cannot see it), and the guide's new built-in
/// primitive (docs/guide.md, section 7a) is complete in one file: compiled with the library's sources and exercised.
/// </summary>
public sealed class PrimitiveTests
{
    private static readonly Assembly Core = typeof(Model).Assembly;

    private static Type Internal(string name, Type arg) => Core.GetType("Onsager.Algebra." + name, throwOnError: true)!.MakeGenericType(arg);

    private static object Registry(Type hierarchy, string property) =>
        Internal("Primitives`1", hierarchy).GetProperty(property, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>The hierarchies whose primitives carry their interpretations themselves (registry: Primitives.cs).</summary>
    public static TheoryData<string> RegisteredHierarchies => new(nameof(Dissipation), nameof(Conservation), nameof(Anchor), nameof(EnergyTerm));

    /// <summary>The instance interpretations each registered hierarchy declares abstract (so that no central switch and no
    /// default arm stands in for a primitive's own): a primitive that lacks one does not compile, and one made virtual with
    /// a default, or dropped from the base, fails here.</summary>
    private static readonly ImmutableDictionary<string, string[]> Interpretations = new Dictionary<string, string[]>
    {
        [nameof(Dissipation)] = ["CompileIn", "FormulaText", "PromisesMass", "PromisesShiftEquivariance", "ValidateIn", "EncodeWith"],
        [nameof(Conservation)] = ["CompileIn", "FormulaText", "PromisesMass", "PromisesShiftEquivariance", "ValidateIn", "EncodeWith"],
        [nameof(Anchor)] = ["On", "CompileIn", "FormulaText", "Bound", "Scale", "EncodeWith"],
        [nameof(EnergyTerm)] = ["CompileIn", "FormulaText", "PromisesShiftInvariance", "ValidateIn", "ConvexFields", "LowerBoundIn", "CustomParts", "EncodeWith"],
    }.ToImmutableDictionary();

    /// <summary>Every primitive of every registered hierarchy overrides each of the hierarchy's instance interpretations itself.</summary>
    [Theory]
    [MemberData(nameof(RegisteredHierarchies))]
    public void EveryPrimitiveImplementsEveryInstanceInterpretation(string hierarchy)
    {
        const BindingFlags Instance = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        var h = Core.GetType("Onsager.Algebra." + hierarchy)!;
        MethodInfo Accessor(MemberInfo m) => m switch
        {
            MethodInfo method => method,
            PropertyInfo property => property.GetMethod!,
            _ => throw new Xunit.Sdk.XunitException($"{m.Name} is neither a method nor a property"),
        };
        var declared = h.GetMembers(Instance | BindingFlags.DeclaredOnly).Where(m => m is MethodInfo { IsSpecialName: false } or PropertyInfo && !m.Name.StartsWith('<'))
            .Where(m => Accessor(m).IsAbstract).Select(m => m.Name).Order().ToList();
        Assert.Equal(Interpretations[hierarchy].Order(), declared);
        foreach (var t in h.GetNestedTypes().Where(t => t.IsSubclassOf(h)))
            foreach (var name in Interpretations[hierarchy])
            {
                var member = t.GetMember(name, Instance | BindingFlags.DeclaredOnly).SingleOrDefault();
                Assert.True(member is not null && !Accessor(member).IsAbstract, $"{hierarchy}.{t.Name} does not implement {name}");
            }
    }

    /// <summary>The static interpretations (model.json tag and decoder, random rule) of every registered primitive.</summary>
    [Theory]
    [MemberData(nameof(RegisteredHierarchies))]
    public void EveryRegisteredPrimitiveHasATagADecoderAndARandomRule(string hierarchy)
    {
        var h = Core.GetType("Onsager.Algebra." + hierarchy)!;
        var nested = h.GetNestedTypes().Where(t => t.IsSubclassOf(h)).ToList();
        var primitive = Internal("IPrimitive`1", h);
        Assert.All(nested, t => Assert.True(primitive.IsAssignableFrom(t), $"{t.Name} does not implement IPrimitive<{hierarchy}>"));

        // The registry is built from the nested types (a type without the interface makes its construction throw).
        var types = ((ImmutableArray<Type>)Registry(h, "Types")).ToList();
        Assert.Equal(nested.OrderBy(t => t.Name), types);
        var tags = (IDictionary)Registry(h, "Tags");
        Assert.Equal(nested.Count, tags.Count);
        Assert.Equal(nested.Count, tags.Values.Cast<string>().Distinct().Count());
        Assert.All(tags.Values.Cast<string>(), tag => Assert.Matches("^[a-z][a-z-]*$", tag));

        // Every rule says how (or why not) the generator draws the primitive; positions are 0..n-1 with no gap.
        var table = (IDictionary)Registry(h, "Rules");
        var rules = table.Keys.Cast<Type>().ToDictionary(t => t, t => table[t]!);
        Assert.Equal(nested.Count, rules.Count);
        var leaves = new List<int>(); var combinators = new List<int>();
        foreach (var (type, rule) in rules)
        {
            object? Get(string p) => rule.GetType().GetProperty(p)!.GetValue(rule);
            switch (rule.GetType().Name)
            {
                case "Leaf": leaves.Add((int)Get("Order")!); break;
                case "Combinator": combinators.Add((int)Get("Order")!); break;
                case "Never": Assert.False(string.IsNullOrWhiteSpace((string?)Get("Reason")), $"{type.Name}: a never-drawn primitive says why"); break;
                case "DrawnBy": Assert.Equal("Leaf", rules[(Type)Get("Host")!].GetType().Name); break;
                default: throw new Xunit.Sdk.XunitException($"{type.Name}: unknown random rule {rule.GetType().Name}");
            }
        }
        Assert.Equal(Enumerable.Range(0, leaves.Count), leaves.Order());
        Assert.Equal(Enumerable.Range(0, combinators.Count), combinators.Order());
    }

    /// <summary>The instance interpretations of every primitive of every hierarchy, on a small member holding it: formula,
    /// structural promises, compile and evaluate, coercivity certificate, validation, and model.json (custom ones refused).</summary>
    [Theory]
    [MemberData(nameof(ModelFileTests.EveryNestedType), MemberType = typeof(ModelFileTests))]
    public void EveryPrimitiveHasEveryInterpretation(string typeName)
    {
        var type = Core.GetType(typeName)!;
        var model = ModelFileTests.Sample(type);
        Assert.Contains(type, TypesIn(model));
        Assert.False(string.IsNullOrWhiteSpace(Formula.Of(model)));
        _ = Structure.ConservesMass(model);
        _ = Structure.ShiftEquivariant(model);
        _ = Coercivity.Certificate(model);
        var again = new Model(model.Grid, model.Fields, model.Energy, model.Dissipation, model.Conservation);   // validation runs again
        Assert.Equal(model, again);
        using (var scope = NewDisposeScope())
        {
            var compiled = Dynamics.Compile(model);
            var u = RandomMembers.States(new Random(1), model.Grid, model.Fields, 2, 0.5);
            Assert.True(Dynamics.Rhs(compiled, u).isfinite().all().item<bool>(), typeName);
            Assert.Equal(TypesIn(model).Select(t => t.FullName).Order(), TypesIn(compiled.Snapshot()).Select(t => t.FullName).Order());   // the way back keeps the structure
        }
        if (type.Name == "Custom") Assert.Throws<NotSupportedException>(() => ModelJson.Encode(model, ModelMetadata.Builtin("x")));
        else
        {
            var enc = ModelJson.Encode(model, ModelMetadata.Builtin("x"));
            Assert.Equal(model, ModelJson.Decode(enc.Json, enc.Weights.AsSpan()).Model);
        }
    }

    /// <summary>Types that the random generator never draws, and why; every other primitive must turn up in 300 seeds.
    /// (Registered primitives say it in their own rule; this list covers the other hierarchies.)</summary>
    private static readonly ImmutableDictionary<Type, string> NeverDrawn = new Dictionary<Type, string>
    {
        [typeof(Linear.Compose)] = "congruences draw single maps; nested congruences compose them",
    }.ToImmutableDictionary();

    [Fact]
    public void RandomMembersDrawEveryPrimitiveTheirRulesPromise()
    {
        var drawn = Enumerable.Range(0, 300).SelectMany(s => TypesIn(RandomMembers.Generate(s))).ToHashSet();
        foreach (var h in ModelFileTests.Hierarchies)
            foreach (var t in h.GetNestedTypes().Where(t => t.IsSubclassOf(h)))
            {
                bool never = Interpretations.ContainsKey(h.Name)
                    ? ((IDictionary)Registry(h, "Rules"))[t]!.GetType().Name == "Never"
                    : NeverDrawn.ContainsKey(t);
                Assert.True(never != drawn.Contains(t), $"{t.FullName}: {(never ? "drawn, but its rule says never" : "never drawn in 300 seeds")}");
            }
    }

    /// <summary>Every value of an Onsager type reachable from a member (its primitives at any depth).</summary>
    private static HashSet<Type> TypesIn(object? node)
    {
        var found = new HashSet<Type>();
        void Walk(object? n)
        {
            if (n is null || n is string || n.GetType().IsPrimitive || n.GetType().IsEnum || n is Grid || n is ParamArray || n is Network) return;
            if (n is IEnumerable seq) { foreach (var x in seq) Walk(x); return; }
            if (n.GetType().Namespace?.Split('.')[0] != "Onsager") return;
            found.Add(n.GetType());
            foreach (var p in n.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
                if (!p.PropertyType.IsValueType || p.PropertyType.IsGenericType) Walk(p.GetValue(n));
        }
        Walk(node);
        return found;
    }

    // ------------------------------------------------------------------ the guide's new built-in primitive

    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Functional.sln"))) return d.FullName;
        throw new InvalidOperationException("The repository root (Functional.sln) is not above the test's directory.");
    }

    private static string GuideBlock(string name)
    {
        var guide = File.ReadAllText(Path.Combine(Root(), "docs", "guide.md"));
        var m = Regex.Match(guide, $@"<!-- {name}:begin -->\s*```csharp\n(?<code>.*?)```\s*<!-- {name}:end -->", RegexOptions.Singleline);
        Assert.True(m.Success, $"docs/guide.md has no block {name}");
        return m.Groups["code"].Value;
    }

    /// <summary>The library's sources plus the guide's one new file, compiled by the SDK's C# compiler into a separate
    /// assembly and loaded beside the real one; the guide's usage snippet and the checks run inside it.</summary>
    [Fact]
    public void TheGuidesNewPrimitiveIsCompleteInOneFile()
    {
        string primitive = GuideBlock("new-primitive"), use = GuideBlock("new-primitive-use");
        string driver = $$"""
            using Onsager;
            namespace GuideExample;
            public static class Driver
            {
                public static string[] Run()
                {
                    {{use}}
                    var facts = new List<string>
                    {
                        "formula: " + member,
                        "laws: " + laws.Length + " run, failing: [" + string.Join(", ", laws.Where(l => !l.Passed).Select(l => l.Name)) + "]",
                        "json: " + (back == member) + " " + saved.Json.Contains("\"type\": \"fractional\""),
                        "mass: " + mass + " shift: " + Structure.ShiftEquivariant(member),
                    };
                    // Random members draw it (it is a fifth leaf of the dissipations here), and it keeps the laws there too.
                    var random = Enumerable.Range(0, 400).Select(s => RandomMembers.Generate(s))
                        .First(m => m.Dissipation is Dissipation.Fractional && m.Grid.Sites <= 64);
                    facts.Add("random: " + Laws.Check(random).All(l => l.Passed));
                    facts.Add("refused: " + Refused(() => new Dissipation.Fractional(1.0, 3.0)) + " " + Refused(() => new Dissipation.Fractional(-1.0, 1.0)));
                    return facts.ToArray();
                }

                private static bool Refused(Func<object> make) { try { make(); return false; } catch (ArgumentException) { return true; } }
            }
            """;
        var dir = Directory.CreateTempSubdirectory("onsager-new-primitive-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "DissipationFractional.cs"), primitive);
            File.WriteAllText(Path.Combine(dir, "Driver.cs"), driver);
            File.WriteAllText(Path.Combine(dir, "Usings.cs"), string.Join("\n",
                new[] { "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
                        "Onsager.Numbers", "Onsager.Algebra", "Onsager.Compilation", "Onsager.Time", "Onsager.Learning", "Onsager.Guarantees", "Onsager.Analysis" }
                .Select(n => $"global using global::{n};")));                // the implicit usings and the rooms (build/Rooms.props)
            var output = Path.Combine(dir, "Onsager.Core.dll");
            var core = Path.Combine(Root(), "src", "Onsager.Core");   // every room's folder, not the build's obj/ and bin/
            var sources = Directory.GetFiles(core, "*.cs", SearchOption.AllDirectories)
                .Where(s => Path.GetRelativePath(core, s).Split(Path.DirectorySeparatorChar)[0] is not ("obj" or "bin"))
                .Concat(Directory.GetFiles(dir, "*.cs"));
            Compile(sources, output);

            var context = new AssemblyLoadContext("guide-new-primitive", isCollectible: true);   // TorchSharp comes from the default context
            try
            {
                var facts = (string[])context.LoadFromAssemblyPath(output).GetType("GuideExample.Driver")!.GetMethod("Run")!.Invoke(null, null)!;
                Assert.Equal(
                    [
                        "formula: du/dt = -(0.5* (-Lap)^(1.5/2)) dE,  E = integral 0.25 (u^2 - 1)^2",
                        "laws: 17 run, failing: []",
                        "json: True True",
                        "mass: True shift: True",
                        "random: True",
                        "refused: True True",
                    ], facts);
            }
            finally { context.Unload(); }
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
    }

    /// <summary>csc of the SDK that runs the tests, against the running framework and the test's TorchSharp.</summary>
    private static void Compile(IEnumerable<string> sources, string output)
    {
        var framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;                   // .../shared/Microsoft.NETCore.App/x.y.z
        var dotnetRoot = Path.GetFullPath(Path.Combine(framework, "..", "..", ".."));
        var csc = Directory.GetDirectories(Path.Combine(dotnetRoot, "sdk"))
            .Select(d => Path.Combine(d, "Roslyn", "bincore", "csc.dll")).Where(File.Exists)
            .OrderByDescending(p => Version.TryParse(new DirectoryInfo(p).Parent!.Parent!.Parent!.Name.Split('-')[0], out var v) ? v : new Version())
            .FirstOrDefault() ?? throw new InvalidOperationException($"No C# compiler under {dotnetRoot}/sdk.");
        var references = Directory.GetFiles(framework, "*.dll").Where(IsManaged)
            .Append(typeof(TorchSharp.torch).Assembly.Location);
        var rsp = Path.Combine(Path.GetDirectoryName(output)!, "csc.rsp");
        File.WriteAllLines(rsp, new[] { "-nologo", "-noconfig", "-target:library", "-langversion:latest", "-nullable:enable", "-nowarn:CS1591,CS8632",
                                        "-deterministic", $"-out:\"{output}\"" }
            .Concat(references.Select(r => $"-r:\"{r}\"")).Concat(sources.Select(s => $"\"{s}\"")));
        var dotnet = Path.Combine(dotnetRoot, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        var start = new ProcessStartInfo(dotnet, [csc, "@" + rsp]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var errors = string.Join("\n", (stdout.Result + stderr).Split('\n').Where(l => l.Contains("error")).Take(20));
        Assert.True(process.ExitCode == 0, $"csc failed ({process.ExitCode}):\n{errors}");
    }

    private static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}
