using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onsager.Data;
using Xunit;

namespace Onsager.Tests;

/// <summary>
/// Every way in validates: the records of the algebra refuse invalid values from constructors, object initializers and
/// <c>with</c> alike, and a model file with any number out of its field's range is refused naming the field (or, where the
/// number is genuinely valid there, loads a member that passes the laws).
/// </summary>
public sealed class ValidationTests
{
    private static readonly Grid G = Grid.Periodic(2 * Math.PI, 16);

    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Fixtures", "ac-trained");

    private static void Refused(Func<object> make, string contains)
    {
        var e = Assert.Throws<ArgumentException>(make);
        Assert.Contains(contains, e.Message);
    }

    // ------------------------------------------------------------ with and object initializers

    [Fact]
    public void WithAndObjectInitializersRunTheChecks()
    {
        var energy = new Energy(new Anchor.Quadratic(1.0));
        foreach (var bad in new[] { -1, 0, double.NaN, -1e308, 1e11 * Param.MaxMagnitude })
        {
            Refused(() => energy with { Factor = bad }, "factor");
            Refused(() => new Energy(new Anchor.Quadratic(1.0)) { Factor = bad }, "factor");
        }
        Refused(() => energy with { Offset = double.PositiveInfinity }, "offset");
        Refused(() => energy with { Shift = [1.0, double.NaN] }, "shift 1");
        Refused(() => energy with { Anchors = [] }, "anchor");
        Refused(() => energy.Scale(1e60).Scale(1e60), "factor");

        Refused(() => new Param.Fixed(double.NaN), "finite");
        Refused(() => new Param.Learned(1) with { V = double.PositiveInfinity }, "finite");
        Refused(() => new Param.Fixed(1) with { V = 1e300 }, "finite");
        Refused(() => ParamArray.Fixed(1, 2) with { Values = [1, double.NaN] }, "Entry 1");
        Refused(() => ParamArray.Learn(1e300), "Entry 0");

        Refused(() => new Anchor.Quadratic(1.0) with { A = -1.0 }, "must be positive");
        Refused(() => new Anchor.DoubleWell(1.0, 1.0) with { A = 0.0 }, "must be positive");
        Refused(() => new Anchor.SineNetwork(1.0, Network.Create(1, 4, 1, Head.Bounded, 0)) with { G = Network.Create(1, 4, 1, Head.Free, 0) }, "bounded");
        Refused(() => new EnergyTerm.Gradient(1.0) with { Kappa = -1.0 }, "non-negative");
        Refused(() => new EnergyTerm.Gradient(1.0) with { Derivative = (Derivative)7 }, "derivative");
        Refused(() => new EnergyTerm.Polynomial(ParamArray.Fixed(0, 0, 1)) with { Coefficients = ParamArray.Fixed(0, 0, -1) }, "bounded below");
        Refused(() => new EnergyTerm.Circulant(ParamArray.Fixed(1, 1)) with { Symbol = ParamArray.Fixed(1, -1) }, "non-negative symbol");
        Refused(() => new EnergyTerm.Scaled(2.0, new EnergyTerm.Quadratic(1.0)) with { C = 0.0 }, "must be positive");
        var convex = EnergyTerm.InputConvex.Create(3, 2, 0);
        Refused(() => convex with { Weights = ParamArray.Learn(1, 2) }, "weights");
        var low = new EnergyTerm.LowModes(2, Network.Create(4, 4, 1, Head.Bounded, 0));
        Refused(() => low with { G = Network.Create(6, 4, 1, Head.Bounded, 0) }, "inputs");

        var net = Network.Create(1, 4, 2, Head.Bounded, 0);
        Refused(() => net with { Weights = ParamArray.Learn(1, 2, 3) }, "needs");
        Refused(() => new Network(0, 4, 1, Head.Bounded, ParamArray.Learn()), "inputs");
        Refused(() => new Network(1, 100_000, 100_000, Head.Bounded, ParamArray.Learn()), "more than an array holds");
        // Weight counts are computed in 128 bits: no wrapped negative count in a message.
        var fno = Assert.Throws<ArgumentException>(() => new ForceField.Fourier(Grid.Periodic(1, 64), 1, 16, 20_000, 4, 64, ParamArray.Learn()));
        Assert.Contains("would need 52801400129 numbers", fno.Message);
        Assert.DoesNotContain("-", fno.Message.Split("would need")[1].Split(' ')[1]);

        Refused(() => new Dissipation.Scaled(1.0, new Dissipation.Mobility(NonNegative.Of(1))) with { C = -1.0 }, "must be positive");
        Refused(() => new Dissipation.LowRank(0.5, 1, ParamArray.Learn(1)) with { Beta = -0.5 }, "non-negative");
        Refused(() => new Conservation.Coupling(0, 1) with { D = DifferenceKind.Forward }, "antisymmetric");
        Refused(() => new Conservation.Stencil(ParamArray.Fixed(0.5), 1) with { Order = 400 }, "order");
        Refused(() => new NonNegative.Constant(1.0) with { C = -1.0 }, "non-negative");
        Refused(() => new NonNegative.AtLeast(0.1, Scalar.Linear(1)) with { Floor = -0.1 }, "floor");
        Refused(() => new NonNegative.AtLeast(0.1, Scalar.Linear(1)) with { Floor = double.NaN }, "floor");
        Refused(() => new NonNegative.Net(Network.Create(1, 4, 1, Head.Positive, 0)) with { Network = Network.Create(1, 4, 1, Head.Free, 0) }, "positive head");
        Refused(() => new Scalar.Polynomial(ParamArray.Fixed(1)) with { Coefficients = ParamArray.Fixed() }, "at least one");
        Refused(() => new ModelMetadata("spectral", 0.1) with { Dt = -1 }, "time step");
    }

    [Fact]
    public void AMembersPartsAreCheckedAgainstItsGridUnderWith()
    {
        var heat = KnownMembers.Heat(G);
        Refused(() => heat with { Energy = new Energy(new Anchor.Quadratic(1.0, 1)) }, "refers to field 1");
        Refused(() => heat with { Dissipation = new Dissipation.Multiplier(ParamArray.Fixed(1, 2)) }, "rfft mode");
        Refused(() => heat with { Conservation = new Conservation.Symplectic(0, 1) }, "field 1");
        Refused(() => heat with { Conservation = new Conservation.Stencil(ParamArray.Fixed(1, 1, 1, 1, 1, 1, 1, 1), 1) }, "points along axis 0");
        var ok = heat with { Dissipation = new Dissipation.Mobility(NonNegative.Of(2)) };
        Assert.IsType<Dissipation.Mobility>(ok.Dissipation);
    }

    [Fact]
    public void ChecksNameTheFieldTheyConcern()
    {
        var e = Assert.Throws<ArgumentException>(() => new Energy(new Anchor.Quadratic(1.0)) { Factor = -1 });
        Assert.Equal("factor", Checks.FieldOf(e));
        e = Assert.Throws<ArgumentException>(() => new Model(G, 1, new Energy(new Anchor.Quadratic(1.0), new EnergyTerm.Quadratic(1.0, 3)), null, null));
        Assert.Equal("energy.terms[0].field", Checks.FieldOf(e));
        e = Assert.Throws<ArgumentException>(() => new Model(G, 1, new Energy(new Anchor.Quadratic(1.0)), null,
            new Conservation.Scaled(1.0, new Conservation.Advection(Scalar.Linear(1), 1))));
        Assert.Equal("conservation.inner.axis", Checks.FieldOf(e));
    }

    // ------------------------------------------------------------ model files, every numeric field

    /// <summary>Values each numeric leaf is replaced with ("NaN" is the writer's string form of NaN, which the reader parses).</summary>
    private static readonly JsonNode[] Replacements =
        [JsonValue.Create(-1), JsonValue.Create(0), JsonValue.Create("NaN"), JsonValue.Create(-1e308), JsonValue.Create(1e308)];

    /// <summary>Every number in a JSON tree, with its path in the reader's notation ($.model.energy.anchors[0].a.fixed).</summary>
    private static IEnumerable<string> NumericLeaves(JsonNode? n, string path) => n switch
    {
        JsonObject o => o.SelectMany(kv => NumericLeaves(kv.Value, $"{path}.{kv.Key}")),
        JsonArray a => a.SelectMany((x, i) => NumericLeaves(x, $"{path}[{i}]")),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => [path],
        _ => [],
    };

    private static JsonNode Replace(JsonNode root, string path, JsonNode value)
    {
        var copy = root.DeepClone();
        var (parent, last) = Locate(copy, path);
        if (parent is JsonObject o) o[(string)last] = value.DeepClone();
        else ((JsonArray)parent)[(int)last] = value.DeepClone();
        return copy;
    }

    private static (JsonNode Parent, object Last) Locate(JsonNode root, string path)
    {
        var steps = new List<object>();
        foreach (var part in path[2..].Split('.'))
        {
            var name = part.Split('[')[0];
            steps.Add(name);
            foreach (var index in part.Split('[').Skip(1)) steps.Add(int.Parse(index.TrimEnd(']')));
        }
        var node = root;
        foreach (var s in steps.SkipLast(1)) node = s is string k ? node[k]! : node[(int)s]!;
        return (node, steps[^1]);
    }

    /// <summary>The leaf's path or the path of the object holding it (a parameter {"fixed": v}, an array {"values": [...]}, a weights reference).</summary>
    private static string[] Names(string path)
    {
        var parent = path.EndsWith(']') ? path[..path.LastIndexOf('[')] : path;
        parent = parent[..parent.LastIndexOf('.')];
        return [path, parent];
    }

    private static void EveryNumberIsCheckedIn(string json, byte[] weights, string what)
    {
        var root = JsonNode.Parse(json)!;
        var original = ModelJson.Decode(json, weights).Field;
        var lawful = new List<Model>();
        var leaves = NumericLeaves(root, "$").ToList();
        Assert.NotEmpty(leaves);
        int refused = 0, accepted = 0;
        foreach (var leaf in leaves)
            foreach (var value in Replacements)
            {
                var text = Replace(root, leaf, value).ToJsonString();
                ModelFile loaded;
                try { loaded = ModelJson.Decode(text, weights); }
                catch (ModelFileException e)
                {
                    Assert.True(Names(leaf).Any(e.Message.Contains), $"{what}: {leaf} = {value.ToJsonString()} was refused without naming the field: {e.Message}");
                    refused++;
                    continue;
                }
                accepted++;
                // Accepted: the value is valid there, so the member is in the class (the laws hold); each distinct member is checked once.
                if (loaded.Field is not Model m || m.Equals(original) || lawful.Contains(m)) continue;
                var failed = Laws.Check(m).Where(r => !r.Passed).Select(r => $"{r.Name}: {r.FirstViolation}").ToList();
                Assert.True(failed.Count == 0, $"{what}: {leaf} = {value.ToJsonString()} loaded a member outside the class: {string.Join("; ", failed)}");
                lawful.Add(m);
            }
        Assert.True(refused > 0 && accepted > 0, $"{what}: {refused} refused, {accepted} accepted");
    }

    public static TheoryData<string> KnownNames => new(KnownMembers.Names);

    [Theory]
    [MemberData(nameof(KnownNames))]
    public void EveryNumberOfAKnownMembersModelFileIsChecked(string name)
    {
        var member = KnownMembers.Get(name, Grid.Periodic(2 * Math.PI, 24));
        var encoding = ModelJson.Encode(member, ModelMetadata.Builtin(name), inlineLimit: 32);
        EveryNumberIsCheckedIn(encoding.Json, encoding.Weights.ToArray(), name);
    }

    public static TheoryData<string> EveryPrimitive =>
        new(ModelFileTests.Hierarchies.SelectMany(h => h.GetNestedTypes().Where(t => t.IsSubclassOf(h) && t.Name != "Custom")).Select(t => t.FullName!));

    /// <summary>A small member holding the primitive (ModelFileTests' samples), arrays of up to 8 numbers inline in model.json.</summary>
    [Theory]
    [MemberData(nameof(EveryPrimitive))]
    public void EveryNumberOfEveryPrimitiveIsChecked(string type)
    {
        var t = ModelFileTests.Hierarchies.SelectMany(h => h.GetNestedTypes()).Single(x => x.FullName == type);
        // The sample's constant B makes L^T B B^T L vanish up to round-off for a difference L, and at beta = 0 the
        // closure-congruence law's tolerance (scaled by that vanishing norm) reports round-off: a varied B avoids the
        // degenerate case, which is the laws' tolerance, not a member outside the class.
        var member = t == typeof(Dissipation.LowRank)
            ? new Model(Grid.Periodic(2 * Math.PI, 32), new Energy(new Anchor.Quadratic(1.0)),
                        new Dissipation.LowRank(new Param.Learned(0.5), 2, ParamArray.Learn(Enumerable.Range(0, 64).Select(i => 0.1 * Math.Sin(i + 1.0)).ToArray())))
            : ModelFileTests.Sample(t);
        var encoding = ModelJson.Encode(member, new ModelMetadata("spectral", 1e-3));
        EveryNumberIsCheckedIn(encoding.Json, encoding.Weights.ToArray(), t.Name);
    }

    [Fact]
    public void EveryNumberOfATrainedModelFileIsChecked() =>
        EveryNumberIsCheckedIn(File.ReadAllText(Path.Combine(Fixture, "model.json")), File.ReadAllBytes(Path.Combine(Fixture, "weights.bin")), "ac-trained");

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(1e300, "1E+300")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void AWeightsFileWithANonFiniteOrHugeNumberIsRefusedNamingTheParameter(double bad, string shown)
    {
        var dir = Path.Combine(Path.GetTempPath(), "onsager-validation-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            var weights = File.ReadAllBytes(Path.Combine(Fixture, "weights.bin"));
            // The low-mode network's weights start at byte 9232 (its reference in model.json); poison its third weight.
            BinaryPrimitives.WriteDoubleLittleEndian(weights.AsSpan(9232 + 8 * 2), bad);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture, "model.json")))!;
            json["weights"]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(weights));   // as the writer does
            File.WriteAllBytes(Path.Combine(dir, "weights.bin"), weights);
            File.WriteAllText(Path.Combine(dir, "model.json"), json.ToJsonString());
            var e = Assert.Throws<ModelFileException>(() => ModelDirectory.Load(dir));
            Assert.Contains("weights.bin", e.File);
            Assert.Contains("$.model.energy.terms[1].g.weights", e.Message);
            Assert.Contains("entry 2 ", e.Message);
            Assert.Contains(shown, e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AModelFileMessageNamesTheJsonPath()
    {
        var encoding = ModelJson.Encode(KnownMembers.AllenCahn(Grid.Periodic(2 * Math.PI, 24)), ModelMetadata.Builtin("allen-cahn"));
        var root = JsonNode.Parse(encoding.Json)!;
        root["model"]!["energy"]!["factor"] = -1;
        var e = Assert.Throws<ModelFileException>(() => ModelJson.Decode(root.ToJsonString(), encoding.Weights.AsSpan()));
        Assert.Equal("model.json: invalid value at $.model.energy.factor: The energy's factor must be positive, got -1.", e.Message);
        root["model"]!["energy"]!["factor"] = 1;
        root["model"]!["energy"]!["anchors"]![0]!["a"]!["fixed"] = 0;
        e = Assert.Throws<ModelFileException>(() => ModelJson.Decode(root.ToJsonString(), encoding.Weights.AsSpan()));
        Assert.Contains("$.model.energy.anchors[0].a: The double well's a must be positive, got 0", e.Message);
    }
}
