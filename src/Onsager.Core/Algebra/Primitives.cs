using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Onsager.Algebra;

// Each operator primitive (a sealed record nested in Dissipation or Conservation) carries every interpretation:
// as instance members (compile, formula, structural promises, validation, JSON encoding; abstract on the base, so a
// primitive without one does not compile) and as static members of IPrimitive (JSON tag and decoder, random draw;
// a nested type that does not implement IPrimitive fails Primitives<T>'s construction and the reflection test).
// The combinators (Sum, Scaled, Congruence, Custom) are written once here, generic over both sides.
// Energy terms and anchors (Energy.cs) carry their interpretations the same way and share the registry and random rules.

/// <summary>What compiling an operator needs: the grid, the fields the operator acts on, where its numbers live, its name.</summary>
internal sealed record OperatorContext(Grid Grid, int Fields, ParameterStore Store, string Name)
{
    /// <summary>The context of a part: its name extended, and the fields it sees (a field selection changes them).</summary>
    public OperatorContext Part(string suffix, int? fields = null) => this with { Name = Name + suffix, Fields = fields ?? Fields };
}

/// <summary>What a random draw needs: the generator, its options, the grid and fields, the combinator depth left.</summary>
internal sealed record RandomDraw(Random Rng, RandomMemberOptions Options, Grid Grid, int Fields, int Depth)
{
    /// <summary>The field an energy term or anchor is drawn on.</summary>
    public int Field { get; init; }
}

/// <summary>How the random-member generator draws a primitive. The generator draws uniformly among the leaves (by
/// their Order) and, while depth is left, the combinators after them; the order fixes the seeded stream.</summary>
internal abstract record RandomRule<T>
{
    private RandomRule() { }

    /// <summary>A primitive drawn on its own, at position Order among the leaves.</summary>
    public sealed record Leaf(int Order, Func<RandomDraw, T> Draw) : RandomRule<T>;
    /// <summary>A combinator, drawn only while depth is left, at position Order among the combinators.</summary>
    public sealed record Combinator(int Order, Func<RandomDraw, T> Draw) : RandomRule<T>;
    /// <summary>Drawn by another primitive's rule (e.g. the two-field blocks share one draw).</summary>
    public sealed record DrawnBy(Type Host) : RandomRule<T>;
    /// <summary>Never drawn, and why.</summary>
    public sealed record Never(string Reason) : RandomRule<T>;
}

/// <summary>The static interpretations of a primitive of the hierarchy <typeparamref name="TBase"/>: its model.json tag,
/// its decoder and how the random generator draws it.</summary>
internal interface IPrimitive<TBase> where TBase : class
{
    /// <summary>The "type" of the primitive in model.json.</summary>
    static abstract string Tag { get; }

    /// <summary>The primitive read back from its model.json object (the reader names the path of any problem).</summary>
    static abstract TBase Decode(ModelJson.Reader r, JsonObject o, string path);

    /// <summary>How (or why not) the random-member generator draws it.</summary>
    static abstract RandomRule<TBase> Random { get; }
}

/// <summary>The instance interpretations every operator (dissipation or conservation) has.</summary>
internal interface IOperator<T> where T : class
{
    CompiledOperator<T> CompileIn(OperatorContext c);
    string FormulaText { get; }
    bool PromisesMass { get; }
    bool PromisesShiftEquivariance { get; }
    void ValidateIn(Grid g, int fields, string at);
    JsonNode EncodeWith(ModelJson.Writer w, string path);
}

/// <summary>One side of the algebra: symmetric PSD (dissipation) or antisymmetric (conservation), with its constructors
/// for the combinators and what differs between the sides (the sign a scaling may take, how it is drawn).</summary>
internal sealed record OperatorSide<T>(
    string Name, Constraint Scaling, Func<ImmutableArray<T>, T> Sum, Func<Param, T, T> Scaled, Func<Linear, T, T> Congruence,
    Func<ICustomOperator, T> Custom, Func<RandomDraw, Param> DrawScale) where T : class, IOperator<T>;

/// <summary>The registry of a hierarchy's primitives, built from its nested types: tags, decoders and random rules.</summary>
internal static class Primitives<T> where T : class
{
    /// <summary>Every primitive type of the hierarchy (the sealed records nested in it).</summary>
    public static ImmutableArray<Type> Types { get; } =
        typeof(T).GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Where(t => t.IsSubclassOf(typeof(T))).OrderBy(t => t.Name).ToImmutableArray();

    private static readonly ImmutableArray<(Type Type, string Tag, Func<ModelJson.Reader, JsonObject, string, T> Decode, RandomRule<T> Random)> Entries =
        Types.Select(Describe).ToImmutableArray();

    /// <summary>The model.json tag of each primitive type.</summary>
    public static ImmutableDictionary<Type, string> Tags { get; } = Entries.ToImmutableDictionary(e => e.Type, e => e.Tag);

    /// <summary>The random rule of each primitive type.</summary>
    public static ImmutableDictionary<Type, RandomRule<T>> Rules { get; } = Entries.ToImmutableDictionary(e => e.Type, e => e.Random);

    private static readonly ImmutableDictionary<string, Func<ModelJson.Reader, JsonObject, string, T>> Decoders =
        Entries.ToImmutableDictionary(e => e.Tag, e => e.Decode);

    private static readonly ImmutableArray<Func<RandomDraw, T>> Leaves =
        Entries.Select(e => e.Random).OfType<RandomRule<T>.Leaf>().OrderBy(l => l.Order).Select(l => l.Draw).ToImmutableArray();

    private static readonly ImmutableArray<Func<RandomDraw, T>> CombinatorDraws =
        Entries.Select(e => e.Random).OfType<RandomRule<T>.Combinator>().OrderBy(l => l.Order).Select(l => l.Draw).ToImmutableArray();

    private static (Type, string, Func<ModelJson.Reader, JsonObject, string, T>, RandomRule<T>) Describe(Type t)
    {
        if (!typeof(IPrimitive<T>).IsAssignableFrom(t))
            throw new InvalidOperationException($"The primitive {t.FullName?.Replace('+', '.')} does not implement IPrimitive<{typeof(T).Name}> (tag, decoder, random rule).");
        var m = typeof(Primitives<T>).GetMethod(nameof(Of), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(t);
        var (tag, decode, rule) = ((string, Func<ModelJson.Reader, JsonObject, string, T>, RandomRule<T>))m.Invoke(null, null)!;
        return (t, tag, decode, rule);
    }

    private static (string, Func<ModelJson.Reader, JsonObject, string, T>, RandomRule<T>) Of<TP>() where TP : IPrimitive<T> =>
        (TP.Tag, TP.Decode, TP.Random);

    /// <summary>The primitive a model.json object describes, by its tag; an unknown tag is an error naming it.</summary>
    public static T Decode(ModelJson.Reader r, JsonObject o, string path, string what)
    {
        var tag = ModelJson.Reader.Type(o, path);
        return Decoders.TryGetValue(tag, out var decode) ? decode(r, o, path) : throw ModelJson.Reader.UnknownType(what, tag, path);
    }

    /// <summary>One random primitive: a leaf, or while depth is left a leaf or a combinator, uniformly by kind.</summary>
    public static T Draw(RandomDraw c)
    {
        int kinds = c.Depth > 0 ? Leaves.Length + CombinatorDraws.Length : Leaves.Length;
        int k = c.Rng.Next(kinds);
        return k < Leaves.Length ? Leaves[k](c) : CombinatorDraws[k - Leaves.Length](c);
    }
}

/// <summary>The combinators of both sides, written once: sums, scalings, congruences L^T K L and custom operators.</summary>
internal static class Combinators
{
    // ---- compile ----

    public static CompiledOperator<T> CompileSum<T>(OperatorSide<T> side, ImmutableArray<T> terms, OperatorContext c) where T : class, IOperator<T>
    {
        var parts = terms.Select((t, i) => t.CompileIn(c.Part($".{i}"))).ToList();
        return new((u, g) => parts.Select(p => p.Apply(u, g)).Aggregate((a, b) => a.Plus(b)),
                   () => side.Sum(parts.Select(p => p.Snapshot()).ToImmutableArray()))
        { Symbol = parts.All(p => p.Symbol is not null) ? () => parts.Select(p => p.Symbol!()).Aggregate((a, b) => a.Plus(b)) : null };
    }

    public static CompiledOperator<T> CompileScaled<T>(OperatorSide<T> side, Param scale, T inner, OperatorContext c) where T : class, IOperator<T>
    {
        var s = c.Store.Scalar(scale, side.Scaling, c.Name + ".scale");
        var compiled = inner.CompileIn(c.Part(".inner"));
        return new((u, g) => s.Get() * compiled.Apply(u, g), () => side.Scaled(s.Snapshot(), compiled.Snapshot()))
        { Symbol = compiled.Symbol is null ? null : () => s.Get() * compiled.Symbol() };
    }

    public static CompiledOperator<T> CompileCongruence<T>(OperatorSide<T> side, Linear l, T inner, OperatorContext c) where T : class, IOperator<T>
    {
        var compiled = inner.CompileIn(c.Part(".inner", Structure.OutputFields(l, c.Fields)));
        var grid = c.Grid; int fields = c.Fields;
        return new((u, g) => OperatorCompiler.ApplyLinearTranspose(l, compiled.Apply(OperatorCompiler.MapState(l, u), OperatorCompiler.ApplyLinear(l, g, grid)), grid, fields),
                   () => side.Congruence(l, compiled.Snapshot()))
        { Symbol = OperatorCompiler.CongruenceSymbol(l, compiled.Symbol, grid, c.Store) };
    }

    public static CompiledOperator<T> CompileCustom<T>(ICustomOperator op, T self, OperatorContext c) where T : class
    {
        var grid = c.Grid;
        return new((u, g) => op.Apply(u, g, grid), () => self);
    }

    // ---- formula ----

    public static string FormatSum<T>(ImmutableArray<T> terms) where T : class, IOperator<T> => Formula.Sum(terms.Select(t => t.FormulaText));
    public static string FormatScaled<T>(Param c, T inner) where T : class, IOperator<T> => Formula.Times(c, $"({inner.FormulaText})");
    public static string FormatCongruence<T>(Linear l, T inner) where T : class, IOperator<T> => $"{Formula.Of(l)}^T ({inner.FormulaText}) {Formula.Of(l)}";

    // ---- structural promises ----

    /// <summary>A sum conserves mass iff all its terms do (L3).</summary>
    public static bool MassOfSum<T>(ImmutableArray<T> terms) where T : class, IOperator<T> => terms.All(t => t.PromisesMass);
    /// <summary>L^T K L annihilates constants when L does, or when K does (L maps constants to constants or kills them).</summary>
    public static bool MassOfCongruence<T>(Linear l, T inner) where T : class, IOperator<T> => Structure.AnnihilatesConstants(l) || inner.PromisesMass;
    public static bool ShiftOfSum<T>(ImmutableArray<T> terms) where T : class, IOperator<T> => terms.All(t => t.PromisesShiftEquivariance);

    // ---- validation ----

    public static void ValidateSum<T>(ImmutableArray<T> terms, Grid g, int fields, string at) where T : class, IOperator<T>
    {
        for (int i = 0; i < terms.Length; i++) terms[i].ValidateIn(g, fields, $"{at}.terms[{i}]");
    }

    public static void ValidateCongruence<T>(Linear l, T inner, Grid g, int fields, string at) where T : class, IOperator<T>
    {
        Structure.ValidateLinear(l, g, fields, at + ".l");
        inner.ValidateIn(g, Structure.OutputFields(l, fields), at + ".inner");
    }

    // ---- model.json ----

    public static JsonNode EncodeSum<T>(ImmutableArray<T> terms, ModelJson.Writer w, string path) where T : class, IOperator<T> =>
        new JsonObject { ["type"] = "sum", ["terms"] = new JsonArray(terms.Select((x, i) => x.EncodeWith(w, $"{path}.terms[{i}]")).ToArray()) };

    public static JsonNode EncodeScaled<T>(Param c, T inner, ModelJson.Writer w, string path) where T : class, IOperator<T> =>
        new JsonObject { ["type"] = "scaled", ["c"] = ModelJson.Writer.Param(c), ["inner"] = inner.EncodeWith(w, path + ".inner") };

    public static JsonNode EncodeCongruence<T>(Linear l, T inner, ModelJson.Writer w, string path) where T : class, IOperator<T> =>
        new JsonObject { ["type"] = "congruence", ["l"] = ModelJson.Writer.Linear(l), ["inner"] = inner.EncodeWith(w, path + ".inner") };

    public static T DecodeSum<T>(OperatorSide<T> side, ModelJson.Reader r, JsonObject o, string p) where T : class, IOperator<T> =>
        ModelJson.Reader.Build(p, () => side.Sum(ModelJson.Reader.Arr(o, "terms", p).Select((x, i) => r.Operator<T>(ModelJson.Reader.AsObj(x, $"{p}.terms[{i}]"), $"{p}.terms[{i}]")).ToImmutableArray()));

    public static T DecodeScaled<T>(OperatorSide<T> side, ModelJson.Reader r, JsonObject o, string p) where T : class, IOperator<T> =>
        ModelJson.Reader.Build(p, () => side.Scaled(r.Param(o, "c", p), r.Operator<T>(r.Obj(o, "inner", p), p + ".inner")));

    public static T DecodeCongruence<T>(OperatorSide<T> side, ModelJson.Reader r, JsonObject o, string p) where T : class, IOperator<T> =>
        ModelJson.Reader.Build(p, () => side.Congruence(r.Linear(r.Obj(o, "l", p), p + ".l"), r.Operator<T>(r.Obj(o, "inner", p), p + ".inner")));

    /// <summary>Custom primitives are code, not data: their tag reads back as an error.</summary>
    public static T DecodeCustom<T>(OperatorSide<T> side, string p) where T : class, IOperator<T> => throw ModelJson.Reader.UnknownType(side.Name, "custom", p);

    // ---- random draws (the calls to the generator in the order of the seeded stream) ----

    public static T DrawSum<T>(OperatorSide<T> side, RandomDraw c) where T : class, IOperator<T> =>
        side.Sum([Primitives<T>.Draw(c with { Depth = c.Depth - 1 }), Primitives<T>.Draw(c with { Depth = c.Depth - 1 })]);

    public static T DrawScaled<T>(OperatorSide<T> side, RandomDraw c) where T : class, IOperator<T> =>
        side.Scaled(side.DrawScale(c), Primitives<T>.Draw(c with { Depth = c.Depth - 1 }));

    public static T DrawCongruence<T>(OperatorSide<T> side, RandomDraw c) where T : class, IOperator<T>
    {
        var l = RandomMembers.RandomLinear(c.Rng, c.Grid, c.Fields);
        return side.Congruence(l, Primitives<T>.Draw(c with { Fields = Structure.OutputFields(l, c.Fields), Depth = c.Depth - 1 }));
    }
}
