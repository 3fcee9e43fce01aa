using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using Onsager.Cli;
using Onsager.Data;
using Xunit;

namespace Onsager.Tests;

/// <summary>
/// The map of docs/architecture.md, checked: Onsager.Core's rooms (one folder and one namespace each) use only
/// themselves and the rooms before them, and the projects depend one way (Core &lt;- Data &lt;- facade &lt;- CLI).
/// A room's use of another is any mention in a type's declaration (base type, interfaces, fields, properties, method
/// signatures and locals) or in its method bodies (the types, methods and fields the IL names).
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>Core's rooms, lowest first (docs/architecture.md): a room may use itself and the rooms before it.</summary>
    public static readonly ImmutableArray<string> Rooms = ["Numbers", "Algebra", "Compilation", "Time", "Learning", "Guarantees", "Analysis"];

    private static readonly Assembly Core = typeof(Model).Assembly;

    /// <summary>The room of a Core type (its namespace Onsager.ROOM), or -1 when it is in none.</summary>
    private static int Room(Type t) => t.Namespace is string ns && ns.StartsWith("Onsager.", StringComparison.Ordinal) ? Rooms.IndexOf(ns["Onsager.".Length..]) : -1;

    /// <summary>Core's own types (not the compiler's embedded attributes and implementation details).</summary>
    private static IEnumerable<Type> CoreTypes() =>
        Core.GetTypes().Where(t => t.Namespace is "Onsager" || t.Namespace?.StartsWith("Onsager.", StringComparison.Ordinal) == true);

    [Fact]
    public void EveryCoreTypeAndFileIsInARoom()
    {
        var outside = CoreTypes().Where(t => Room(t) < 0).Select(t => t.FullName).ToList();
        Assert.True(outside.Count == 0, "Core types outside the rooms " + string.Join(", ", Rooms) + ": " + string.Join(", ", outside.Take(20)));

        // The folder is the room: src/Onsager.Core/ROOM/*.cs declare namespace Onsager.ROOM (and no source lies outside the rooms).
        var core = Path.Combine(GuideSnippets.Root(), "src", "Onsager.Core");
        var misplaced = Directory.GetFiles(core, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(core, f).Split(Path.DirectorySeparatorChar))
            .Where(p => p[0] is not ("obj" or "bin"))
            .Where(p => p.Length != 2 || !Rooms.Contains(p[0])
                        || !File.ReadLines(Path.Combine(core, p[0], p[1])).Any(l => l == $"namespace Onsager.{p[0]};"))
            .Select(p => string.Join('/', p)).ToList();
        Assert.True(misplaced.Count == 0, "Core sources not in src/Onsager.Core/ROOM/ with namespace Onsager.ROOM: " + string.Join(", ", misplaced));
    }

    [Fact]
    public void NoRoomUsesALaterRoom()
    {
        var uses = CoreTypes().Where(t => Room(t) >= 0)
            .SelectMany(t => References(t).Where(r => r.Assembly == Core && Room(r) >= 0 && Outer(r) != Outer(t)).Select(r => (From: t, To: r)))
            .ToList();
        // Sanity: the scan sees what is known to be there (else an empty scan would pass everything).
        Assert.Contains(uses, u => u.From == typeof(Model) && u.To == typeof(Grid));                                    // a field
        Assert.Contains(uses, u => Outer(u.From) == typeof(Rollout) && u.To == typeof(CompiledModel));                  // a signature
        Assert.Contains(uses, u => u.From == typeof(Families) && u.To == typeof(Stepper.Euler));                        // a body (new Stepper.Euler())

        var backwards = uses.Where(u => Room(u.To) > Room(u.From))
            .Select(u => $"{Name(u.From)} ({Rooms[Room(u.From)]}) uses {Name(u.To)} ({Rooms[Room(u.To)]})").Distinct().Order().ToList();
        Assert.True(backwards.Count == 0,
            $"{backwards.Count} uses of a later room (the order is {string.Join(" < ", Rooms)}; docs/architecture.md):\n" + string.Join("\n", backwards.Take(40)));
    }

    [Fact]
    public void TheProjectsDependOneWay()
    {
        Assembly[] order = [Core, typeof(DatasetReader).Assembly, typeof(Trainer).Assembly, typeof(CliApp).Assembly];
        var names = order.Select(a => a.GetName().Name!).ToList();
        var wrong = new List<string>();
        for (int i = 0; i < order.Length; i++)
            foreach (var r in order[i].GetReferencedAssemblies().Select(r => r.Name!).Where(n => names.Contains(n)))
                if (names.IndexOf(r) >= i) wrong.Add($"{names[i]} references {r}");
        Assert.True(wrong.Count == 0, $"The projects depend {string.Join(" <- ", names)}; " + string.Join("; ", wrong));
        Assert.Contains("Onsager.Core", order[1].GetReferencedAssemblies().Select(r => r.Name));      // sanity: references are seen
    }

    private static Type Outer(Type t) => t.DeclaringType is null ? t : Outer(t.DeclaringType);

    private static string Name(Type t) => t.DeclaringType is null ? t.Name : $"{Name(t.DeclaringType)}.{t.Name}";

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;


    /// <summary>The types a type's declaration and method bodies mention (generic arguments and element types unwrapped).</summary>
    private static HashSet<Type> References(Type t)
    {
        var found = new HashSet<Type>();
        void Add(Type? x)
        {
            if (x is null || x.IsGenericParameter) return;
            if (x.HasElementType) { Add(x.GetElementType()); return; }
            if (x.IsConstructedGenericType)
            {
                Add(x.GetGenericTypeDefinition());
                foreach (var a in x.GetGenericArguments()) Add(a);
                return;
            }
            found.Add(x);
        }
        Add(t.BaseType);
        foreach (var i in t.GetInterfaces()) Add(i);
        foreach (var f in t.GetFields(Declared)) Add(f.FieldType);
        foreach (var p in t.GetProperties(Declared)) Add(p.PropertyType);
        foreach (var m in t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            if (m.GetMethodBody() is not { } body) continue;
            foreach (var l in body.LocalVariables) Add(l.LocalType);
            foreach (var member in Tokens(m, body.GetILAsByteArray()!))
                switch (member)
                {
                    case Type x: Add(x); break;
                    case FieldInfo f: Add(f.DeclaringType); Add(f.FieldType); break;
                    case MethodBase c:
                        Add(c.DeclaringType);
                        if (c is MethodInfo r) { Add(r.ReturnType); if (r.IsGenericMethod) foreach (var a in r.GetGenericArguments()) Add(a); }
                        foreach (var p in c.GetParameters()) Add(p.ParameterType);
                        break;
                }
        }
        return found;
    }

    /// <summary>The types, fields and methods an IL body names (the operands of call, newobj, ldfld, isinst, ldtoken, ...).</summary>
    private static IEnumerable<MemberInfo> Tokens(MethodBase m, byte[] il)
    {
        var typeArgs = m.DeclaringType!.IsGenericType ? m.DeclaringType.GetGenericArguments() : null;
        var methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
        foreach (var (_, op, operand) in IlWalk.Instructions(il))
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
                yield return m.Module.ResolveMember(BitConverter.ToInt32(il, operand), typeArgs, methodArgs)!;
    }
}
