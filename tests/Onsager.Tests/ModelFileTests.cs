using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>Model files: bit-exact round trips of every primitive, known and random members, networks; every error; atomic replace.</summary>
public sealed class ModelFileTests() : ScratchFolder("onsager-model-tests")
{
    private static readonly Grid G = Grid.Periodic(2 * Math.PI, 32);

    private static readonly ModelMetadata Meta = new ModelMetadata("spectral", 1e-3, "float32", "factor 1, shift 0, offset 0")
        .WithTraining(new { epochs = 3, seed = 7, losses = new[] { 0.5, 0.25, 0.125 }, dataset = "ac", created = "2025-01-01T00:00:00Z" });

    /// <summary>Save, load, and check: equal records, equal formulas, identical re-encoding (every bit of every number), and the same Rhs.</summary>
    private ModelFile RoundTrip(Model model, ModelMetadata? metadata = null, string name = "m", bool rhs = true)
    {
        var file = new ModelFile(model, metadata ?? Meta);
        ModelDirectory.Save(P(name), file);
        var back = ModelDirectory.Load(P(name));
        Assert.Equal(file, back);
        Assert.Equal(model, back.Model);
        Assert.Equal(model.Describe(), back.Model.Describe());
        var a = ModelJson.Encode(model, file.Metadata);
        var b = ModelJson.Encode(back.Model, back.Metadata);
        Assert.Equal(a.Json, b.Json);
        Assert.True(a.Weights.SequenceEqual(b.Weights));
        Assert.Equal(a.Json, File.ReadAllText(Path.Combine(P(name), "model.json")));
        if (rhs) AssertSameRhs(model, back.Model);
        return back;
    }

    private static void AssertSameRhs(Model a, Model b)
    {
        using var scope = NewDisposeScope();
        var u = RandomMembers.States(new Random(11), a.Grid, a.Fields, 2, 0.7);
        var ra = Dynamics.Compile(a).Rhs(u);
        var rb = Dynamics.Compile(b).Rhs(u);
        Assert.Equal(0.0, (ra - rb).abs().max().item<double>());
    }

    public static TheoryData<string> KnownNames => new(KnownMembers.Names);

    [Theory]
    [MemberData(nameof(KnownNames))]
    public void ModelFileRoundTripsKnownMember(string name)
    {
        RoundTrip(KnownMembers.Get(name), name: name);
        RoundTrip(KnownMembers.Get(name, spectral: true), ModelMetadata.Builtin(name), name: name + "-spectral");
    }

    public static TheoryData<int> Seeds => new(Enumerable.Range(0, 20));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ModelFileRoundTripsRandomMember(int seed) => RoundTrip(RandomMembers.Generate(5000 + seed), name: $"r{seed}");

    [Fact]
    public void ModelFileRoundTripsNetworksAndPutsLongArraysInTheWeightsFile()
    {
        var model = ModelBuilder.On(G)
            .Energy(e => e.SineNetwork(1, width: 8, depth: 2, seed: 1).Network(width: 6, depth: 2, seed: 2).InputConvex(4, 2, seed: 3)
                          .LowModes(modes: 3, width: 5, depth: 1, seed: 4).Circulant(0.2).Gradient(0.01, learned: true))
            .Dissipation(d => d.Multiplier(0.3).Mobility(new NonNegative.Net(Network.Create(1, 5, 2, Head.Positive, 5))))
            .Conservation(c => c.Multiplier(0.1).Advection(new Scalar.Net(Network.Create(1, 4, 1, Head.Free, 6))))
            .Build();
        // a compiled and snapshotted member: what training saves
        var snapshot = Dynamics.Compile(model).Snapshot();
        var back = RoundTrip(snapshot);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(P("m"), "model.json")))!;
        Assert.Equal("onsager-model", (string)json["format"]!);
        Assert.Equal(1, (int)json["version"]!);
        int arrays = (int)json["weights"]!["arrays"]!;
        Assert.Equal(9, arrays);   // 5 networks, input-convex weights, circulant symbol, two multipliers
        var bytes = File.ReadAllBytes(Path.Combine(P("m"), "weights.bin"));
        Assert.Equal("ONSAGERW", Encoding.ASCII.GetString(bytes, 0, 8));
        Assert.Equal((uint)arrays, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), (string)json["weights"]!["sha256"]!);
        var sine = (Anchor.SineNetwork)back.Model.Energy.Anchors[0];
        Assert.Equal(Network.Count(1, 8, 2, Head.Bounded), sine.G.Weights.Length);
        Assert.True(sine.G.Weights.Learned);
        // short arrays stay inline
        Assert.Null(json["model"]!["energy"]!["anchors"]![0]!["a"]!["fixed"]);
        Assert.NotNull(json["model"]!["energy"]!["anchors"]![0]!["a"]!["learned"]);
    }

    [Fact]
    public void ModelFileMetadataRoundTrips()
    {
        var back = RoundTrip(KnownMembers.Heat(G));
        Assert.Equal("spectral", back.Metadata.Kind);
        Assert.Equal(1e-3, back.Metadata.Dt);
        Assert.Equal("float32", back.Metadata.DType);
        Assert.Equal("factor 1, shift 0, offset 0", back.Metadata.Gauge);
        Assert.Equal(3, back.Metadata.Training.GetProperty("epochs").GetInt32());
        Assert.Equal(0.125, back.Metadata.Training.GetProperty("losses")[2].GetDouble());
        Assert.Equal("ac", back.Metadata.Training.GetProperty("dataset").GetString());
        var none = RoundTrip(KnownMembers.Heat(G), new ModelMetadata("spectral"), name: "none");
        Assert.Null(none.Metadata.Dt);
        Assert.Equal(JsonValueKind.Object, none.Metadata.Training.ValueKind);
        Assert.Throws<ArgumentException>(() => new ModelMetadata("spectral", dtype: "float16"));
        Assert.Throws<ArgumentException>(() => Meta.WithTraining(new[] { 1, 2 }));
    }

    [Fact]
    public void ModelFileKeepsEveryBitOfSpecialNumbers()
    {
        // NaN and infinities cannot be in a member (ValidationTests); every finite number a member may hold keeps its bits.
        double[] special = [-0.0, double.Epsilon, -double.Epsilon, 1.0 / 3, -Param.MaxMagnitude / 8, Param.MaxMagnitude / 8, 0.1 + 0.2, 1e-308];
        var longSymbol = Enumerable.Range(0, Spectral.ModeCount(G)).Select(i => special[i % special.Length] * (i % 3 == 0 ? 1 : 7.1)).ToArray();
        var model = new Model(G, new Energy(new Anchor.Quadratic(1.0 / 3)) { Factor = 0.1 + 0.2, Offset = -0.0, Shift = [double.Epsilon] },
            null,
            new Conservation.Multiplier(ParamArray.Learn(longSymbol))
            + new Conservation.Advection(new Scalar.Polynomial(ParamArray.Fixed(special)))
            + new Conservation.Advection(new Scalar.Constant(-0.0)));
        var back = RoundTrip(model, rhs: false);
        static long[] Bits(IEnumerable<double> v) => v.Select(BitConverter.DoubleToInt64Bits).ToArray();
        var w = (Conservation.Sum)back.Model.Conservation!;
        Assert.Equal(Bits(longSymbol), Bits(((Conservation.Multiplier)w.Terms[0]).Phi.Values));
        Assert.Equal(Bits(special), Bits(((Scalar.Polynomial)((Conservation.Advection)w.Terms[1]).B).Coefficients.Values));
        Assert.Equal(Bits([-0.0]), Bits([((Scalar.Constant)((Conservation.Advection)w.Terms[2]).B).C.Value]));
        Assert.Equal(Bits([-0.0, 0.1 + 0.2, double.Epsilon]), Bits([back.Model.Energy.Offset, back.Model.Energy.Factor, back.Model.Energy.Shift[0]]));
    }

    // ------------------------------------------------------------ every primitive of every hierarchy

    private static Model One(Energy? e = null, Dissipation? d = null, Conservation? w = null, int fields = 1) =>
        new(G, fields, e ?? new Energy(Enumerable.Range(0, fields).Select(f => (Anchor)new Anchor.Quadratic(1.0, f)).ToImmutableArray(), []), d, w);

    private static Energy WithTerm(EnergyTerm t) => new(new Anchor.Quadratic(1.0), t);

    private static Network Bounded(int inputs = 1) => Network.Create(inputs, 4, 2, Head.Bounded, 1);

    /// <summary>A small member containing each nested record type (the key), or null when the type is a custom primitive.</summary>
    internal static Model Sample(Type t) => t switch
    {
        _ when t == typeof(Param.Fixed) => One(new Energy(new Anchor.Quadratic(new Param.Fixed(2)))),
        _ when t == typeof(Param.Learned) => One(new Energy(new Anchor.Quadratic(new Param.Learned(2)))),
        _ when t == typeof(Anchor.Quadratic) => One(new Energy(new Anchor.Quadratic(2))),
        _ when t == typeof(Anchor.Quartic) => One(new Energy(new Anchor.Quartic(2))),
        _ when t == typeof(Anchor.DoubleWell) => One(new Energy(new Anchor.DoubleWell(2, new Param.Learned(0.5)))),
        _ when t == typeof(Anchor.CoerciveNetwork) => One(new Energy(new Anchor.CoerciveNetwork(0.1, ParamArray.Learn(0.1, -0.2, 0.3), Bounded()))),
        _ when t == typeof(Anchor.SineNetwork) => One(new Energy(new Anchor.SineNetwork(1, Bounded()))),
        _ when t == typeof(EnergyTerm.Quadratic) => One(WithTerm(new EnergyTerm.Quadratic(0.5))),
        _ when t == typeof(EnergyTerm.Gradient) => One(WithTerm(new EnergyTerm.Gradient(0.5, Derivative.Forward))),
        _ when t == typeof(EnergyTerm.Polynomial) => One(WithTerm(new EnergyTerm.Polynomial(ParamArray.Fixed(0, 1, -1, 0, 1)))),
        _ when t == typeof(EnergyTerm.LocalNetwork) => One(WithTerm(new EnergyTerm.LocalNetwork(Bounded()))),
        _ when t == typeof(EnergyTerm.InputConvex) => One(WithTerm(EnergyTerm.InputConvex.Create(3, 2, 1))),
        _ when t == typeof(EnergyTerm.Circulant) => One(WithTerm(new EnergyTerm.Circulant(ParamArray.Filled(Spectral.ModeCount(G), 0.3, true)))),
        _ when t == typeof(EnergyTerm.LowModes) => One(WithTerm(new EnergyTerm.LowModes(2, Bounded(4)))),
        _ when t == typeof(EnergyTerm.Dense) => One(WithTerm(new EnergyTerm.Dense(Bounded(32)))),
        _ when t == typeof(EnergyTerm.Scaled) => One(WithTerm(new EnergyTerm.Scaled(3, new EnergyTerm.Quadratic(0.5)))),
        _ when t == typeof(EnergyTerm.Sum) => One(WithTerm(new EnergyTerm.Sum([new EnergyTerm.Quadratic(0.5), new EnergyTerm.Gradient(0.1)]))),
        _ when t == typeof(EnergyTerm.Custom) => One(WithTerm(new EnergyTerm.Custom(new Broken.PowerTerm(1, 4, 0)))),
        _ when t == typeof(Scalar.Constant) => One(w: new Conservation.Advection(new Scalar.Constant(0.5))),
        _ when t == typeof(Scalar.Polynomial) => One(w: new Conservation.Advection(new Scalar.Polynomial(ParamArray.Learn(0, 2)))),
        _ when t == typeof(Scalar.Net) => One(w: new Conservation.Advection(new Scalar.Net(Network.Create(1, 3, 1, Head.Free, 2)))),
        _ when t == typeof(NonNegative.Constant) => One(d: new Dissipation.Mobility(new NonNegative.Constant(new Param.Learned(0.5)))),
        _ when t == typeof(NonNegative.Softplus) => One(d: new Dissipation.Mobility(new NonNegative.Softplus(Scalar.Linear(1)))),
        _ when t == typeof(NonNegative.Square) => One(d: new Dissipation.Mobility(new NonNegative.Square(Scalar.Linear(1)))),
        _ when t == typeof(NonNegative.AtLeast) => One(d: new Dissipation.Divergence(new NonNegative.AtLeast(0.05, Scalar.Linear(1)))),
        _ when t == typeof(NonNegative.Net) => One(d: new Dissipation.Mobility(new NonNegative.Net(Network.Create(1, 3, 2, Head.Positive, 3)))),
        _ when t == typeof(Linear.Difference) => One(d: new Dissipation.Congruence(new Linear.Difference(DifferenceKind.Third), new Dissipation.Mobility(NonNegative.Of(1)))),
        _ when t == typeof(Linear.Select) => One(d: new Dissipation.Congruence(new Linear.Select(1, 2), new Dissipation.Mobility(NonNegative.Of(1))), fields: 2),
        _ when t == typeof(Linear.Compose) => One(fields: 2, d: new Dissipation.Congruence(
            new Linear.Compose(Linear.Central(), new Linear.Select(0, 2)), new Dissipation.Mobility(NonNegative.Of(1)))),
        _ when t == typeof(Dissipation.Multiplier) => One(d: new Dissipation.Multiplier(ParamArray.Filled(Spectral.ModeCount(G), 0.2, true))),
        _ when t == typeof(Dissipation.Mobility) => One(d: new Dissipation.Mobility(NonNegative.Of(2))),
        _ when t == typeof(Dissipation.Divergence) => One(d: new Dissipation.Divergence(NonNegative.Of(2))),
        _ when t == typeof(Dissipation.Banded) => One(d: new Dissipation.Banded(ParamArray.Learn(1, -1))),
        _ when t == typeof(Dissipation.LowRank) => One(d: new Dissipation.LowRank(new Param.Learned(0.5), 2, ParamArray.Filled(64, 0.1, true))),
        _ when t == typeof(Dissipation.Sum) => One(d: new Dissipation.Mobility(NonNegative.Of(2)) + new Dissipation.Divergence(NonNegative.Of(1))),
        _ when t == typeof(Dissipation.Scaled) => One(d: new Dissipation.Scaled(new Param.Learned(2), new Dissipation.Mobility(NonNegative.Of(1)))),
        _ when t == typeof(Dissipation.Weighted) => One(d: new Dissipation.Weighted(NonNegative.Of(2), new Dissipation.Divergence(NonNegative.Of(1)))),
        _ when t == typeof(Dissipation.Congruence) => One(d: new Dissipation.Congruence(Linear.Forward(), new Dissipation.Mobility(NonNegative.Of(1)))),
        _ when t == typeof(Dissipation.Custom) => One(d: new Dissipation.Custom(new Broken.Identity(1))),
        _ when t == typeof(Conservation.Multiplier) => One(w: new Conservation.Multiplier(ParamArray.Filled(Spectral.ModeCount(G), 0.2, true))),
        _ when t == typeof(Conservation.Stencil) => One(w: new Conservation.Stencil(ParamArray.Fixed(-1, 0.5), 3)),
        _ when t == typeof(Conservation.Advection) => One(w: new Conservation.Advection(Scalar.Linear(4))),
        _ when t == typeof(Conservation.Banded) => One(w: new Conservation.Banded(ParamArray.Learn(0.5, 0.25))),
        _ when t == typeof(Conservation.LowRank) => One(w: new Conservation.LowRank(2, ParamArray.Filled(64, 0.1, true), ParamArray.Filled(64, -0.2, false))),
        _ when t == typeof(Conservation.Symplectic) => One(w: new Conservation.Symplectic(1, 0), fields: 2),
        _ when t == typeof(Conservation.Coupling) => One(w: new Conservation.Coupling(0, 1, DifferenceKind.Spectral), fields: 2),
        _ when t == typeof(Conservation.Sum) => One(w: new Conservation.Stencil(ParamArray.Fixed(0.5), 1) + new Conservation.Advection(Scalar.Linear(1))),
        _ when t == typeof(Conservation.Scaled) => One(w: new Conservation.Scaled(-2.0, new Conservation.Stencil(ParamArray.Fixed(0.5), 1))),
        _ when t == typeof(Conservation.Congruence) => One(w: new Conservation.Congruence(Linear.Forward(), new Conservation.Stencil(ParamArray.Fixed(0.5), 1))),
        _ when t == typeof(Conservation.Custom) => One(w: new Conservation.Custom(new Broken.Identity(0))),
        _ => throw new Xunit.Sdk.XunitException($"No sample member for {t.FullName}: a new primitive? Add it to ModelJson and to this test."),
    };

    internal static readonly Type[] Hierarchies =
        [typeof(Param), typeof(Anchor), typeof(EnergyTerm), typeof(Scalar), typeof(NonNegative), typeof(Linear), typeof(Dissipation), typeof(Conservation)];

    public static TheoryData<string> EveryNestedType =>
        new(Hierarchies.SelectMany(h => h.GetNestedTypes().Where(t => t.IsSubclassOf(h))).Select(t => t.FullName!));

    [Fact]
    public void ModelFileHierarchiesAreAllSealedRecordsFound()
    {
        var types = Hierarchies.SelectMany(h => h.GetNestedTypes().Where(t => t.IsSubclassOf(h))).ToList();
        Assert.Equal(50, types.Count);   // update when a primitive is added (and cover it in ModelJson)
        Assert.All(types, t => Assert.True(t.IsSealed, t.FullName));
        // no primitive lives outside its hierarchy's nesting
        var all = typeof(Model).Assembly.GetTypes().Where(t => Hierarchies.Any(h => t.IsSubclassOf(h))).ToList();
        Assert.Equal(types.OrderBy(t => t.FullName), all.OrderBy(t => t.FullName));
    }

    [Theory]
    [MemberData(nameof(EveryNestedType))]
    public void ModelFileHandlesEveryPrimitive(string typeName)
    {
        var type = typeof(Model).Assembly.GetType(typeName)!;
        var model = Sample(type);
        Assert.True(Contains(model, type), $"the sample for {type.Name} does not contain it");
        if (type.Name == "Custom")
        {
            var e = Assert.Throws<NotSupportedException>(() => ModelJson.Encode(model, Meta));
            Assert.Contains("custom", e.Message, StringComparison.OrdinalIgnoreCase);
            return;
        }
        var name = type.FullName!.Replace('+', '.');
        RoundTrip(model, name: name);
        // everything inline, and everything in the weights file
        foreach (int limit in new[] { int.MaxValue, 0 })
        {
            var enc = ModelJson.Encode(model, Meta, limit);
            Assert.Equal(model, ModelJson.Decode(enc.Json, enc.Weights.AsSpan()).Model);
        }
    }

    private static bool Contains(object? node, Type t)
    {
        if (node is null) return false;
        if (node.GetType() == t) return true;
        if (node is string || node.GetType().IsPrimitive || node is Grid || node is ParamArray || node is Network) return false;
        if (node is System.Collections.IEnumerable seq) return seq.Cast<object?>().Any(x => Contains(x, t));
        return node.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0 && p.DeclaringType!.Namespace?.Split('.')[0] == "Onsager")
            .Any(p => p.PropertyType.IsClass || p.PropertyType.IsInterface || p.PropertyType.IsGenericType ? Contains(p.GetValue(node), t) : false);
    }

    [Fact]
    public void ModelFileRefusesCustomPrimitivesNamingThem()
    {
        var model = new Model(G, new Energy(new Anchor.Quadratic(1), new EnergyTerm.Custom(new Broken.PowerTerm(1, 4, 0))),
            new Dissipation.Mobility(NonNegative.Of(1)) + new Dissipation.Custom(new Broken.Identity(1)), new Conservation.Custom(new Broken.Identity(0)));
        var e = Assert.Throws<NotSupportedException>(() => ModelDirectory.Save(P("custom"), model, Meta));
        Assert.Contains("energy.terms[0]: EnergyTerm.Custom '1 u^4'", e.Message);
        Assert.Contains("dissipation.terms[1]: Dissipation.Custom '1 I'", e.Message);
        Assert.Contains("conservation: Conservation.Custom '0 I'", e.Message);
        Assert.Contains("code, not data", e.Message);
        Assert.False(Directory.Exists(P("custom")));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    // ------------------------------------------------------------ atomic save

    [Fact]
    public void ModelFileFailedSaveKeepsTheOldModel()
    {
        var old = KnownMembers.Burgers(G);
        ModelDirectory.Save(P("m"), old, Meta);
        var bad = new Model(G, new Energy(new Anchor.Quadratic(1), new EnergyTerm.Custom(new Broken.PowerTerm(1, 4, 0))));
        Assert.Throws<NotSupportedException>(() => ModelDirectory.Save(P("m"), bad, Meta));
        Assert.Equal(old, ModelDirectory.Load(P("m")).Model);
        Assert.Equal(new[] { "m" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void ModelFileSaveReplacesAnExistingModelAndLeavesNoTemporaries()
    {
        ModelDirectory.Save(P("m"), KnownMembers.Burgers(G), Meta);
        File.WriteAllText(Path.Combine(P("m"), "stale.txt"), "from before");
        ModelDirectory.Save(P("m") + "/", KnownMembers.KdV(G), Meta);
        Assert.Equal(KnownMembers.KdV(G), ModelDirectory.Load(P("m")).Model);
        Assert.False(File.Exists(Path.Combine(P("m"), "stale.txt")));
        Assert.Equal(new[] { "m" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        ModelDirectory.Save(P("nested/deeper/m"), KnownMembers.KdV(G), Meta);
        Assert.Equal(KnownMembers.KdV(G), ModelDirectory.Load(P("nested/deeper/m")).Model);
        File.WriteAllText(P("afile"), "x");
        Assert.Contains("is a file", Assert.Throws<ModelFileException>(() => ModelDirectory.Save(P("afile"), KnownMembers.KdV(G), Meta)).Message);
    }

    // ------------------------------------------------------------ bad input

    private static readonly Model Networked = new(G, new Energy(new Anchor.SineNetwork(1, Bounded()), new EnergyTerm.Circulant(ParamArray.Filled(Spectral.ModeCount(G), 0.3, true))),
        new Dissipation.Multiplier(ParamArray.Filled(Spectral.ModeCount(G), 0.2, true)));

    private string Saved(string name = "bad")
    {
        ModelDirectory.Save(P(name), Networked, Meta);
        return P(name);
    }

    private static ModelFileException LoadFails(string d, string fileName, params string[] fragments)
    {
        var e = Assert.Throws<ModelFileException>(() => ModelDirectory.Load(d));
        Assert.Equal(fileName, Path.GetFileName(e.File));
        Assert.Contains(d, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    private static void EditJson(string d, Action<JsonObject> edit)
    {
        var path = Path.Combine(d, "model.json");
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
    }

    [Fact]
    public void ModelFileMissingDirectoryOrFiles()
    {
        LoadFails(P("nowhere"), "nowhere", "no such model directory");
        var d = Saved();
        File.Delete(Path.Combine(d, "model.json"));
        LoadFails(d, "model.json", "missing");
        d = Saved("b2");
        File.Delete(Path.Combine(d, "weights.bin"));
        LoadFails(d, "weights.bin", "missing");
    }

    [Fact]
    public void ModelFileTruncatedWeights()
    {
        var d = Saved();
        var w = Path.Combine(d, "weights.bin");
        var bytes = File.ReadAllBytes(w);
        File.WriteAllBytes(w, bytes[..^8]);
        LoadFails(d, "weights.bin", "truncated", $"model.json expects {bytes.Length}");
        File.WriteAllBytes(w, bytes[..10]);
        LoadFails(d, "weights.bin", "truncated");
        File.WriteAllBytes(w, [.. bytes, 0]);
        LoadFails(d, "weights.bin", "trailing data");
    }

    [Fact]
    public void ModelFileFlippedByteFailsTheChecksum()
    {
        var d = Saved();
        var w = Path.Combine(d, "weights.bin");
        var bytes = File.ReadAllBytes(w);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(w, bytes);
        LoadFails(d, "weights.bin", "checksum mismatch");
        bytes[0] = (byte)'X';
        File.WriteAllBytes(w, bytes);
        LoadFails(d, "weights.bin", "bad magic");
    }

    [Fact]
    public void ModelFileArrayCountMismatch()
    {
        var d = Saved();
        EditJson(d, r => r["weights"]!["arrays"] = 5);
        LoadFails(d, "weights.bin", "array count mismatch");
        // an array moved inline: the header still counts it
        d = Saved("b2");
        EditJson(d, r =>
        {
            var theta = r["model"]!["dissipation"]!["theta"]!.AsObject();
            int n = (int)theta["length"]!;
            theta.Remove("offset"); theta.Remove("length");
            theta["values"] = new JsonArray(Enumerable.Repeat(0.2, n).Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        });
        LoadFails(d, "weights.bin", "array count mismatch", "header holds 3", "references 2");
    }

    [Fact]
    public void ModelFileWrongFormatTagOrVersion()
    {
        var d = Saved();
        EditJson(d, r => r["format"] = "some-other-model");
        LoadFails(d, "model.json", "'some-other-model'", "a model file from elsewhere");
        EditJson(d, r => r.Remove("format"));
        LoadFails(d, "model.json", "not an Onsager model file");
        EditJson(d, r => { r["format"] = "onsager-model"; r["version"] = 99; });
        LoadFails(d, "model.json", "version 99 is not supported");
        File.WriteAllText(Path.Combine(d, "model.json"), "[1, 2, 3]");
        LoadFails(d, "model.json", "not an Onsager model file");
    }

    [Fact]
    public void ModelFileMalformedJsonNamesTheNode()
    {
        var d = Saved();
        var path = Path.Combine(d, "model.json");
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text[..(text.Length / 2)]);
        LoadFails(d, "model.json", "malformed JSON");
        void Edit(Action<JsonObject> edit) { File.WriteAllText(path, text); EditJson(d, edit); }
        Edit(r => r["model"]!["energy"]!["anchors"]![0]!["a"] = "one");
        LoadFails(d, "model.json", "$.model.energy.anchors[0].a", "expected an object");
        Edit(r => r["model"]!["energy"]!["anchors"]![0]!["a"] = new JsonObject { ["learned"] = "one" });
        LoadFails(d, "model.json", "$.model.energy.anchors[0].a.learned", "expected a number, got the string \"one\"");
        Edit(r => r["model"]!["energy"]!["anchors"]![0]!["a"] = new JsonObject { ["learned"] = -1 });
        LoadFails(d, "model.json", "invalid value at $.model.energy.anchors[0]", "positive");
        Edit(r => r["model"]!["energy"]!["anchors"]![0]!["type"] = "cubic");
        LoadFails(d, "model.json", "unknown anchor type 'cubic' at $.model.energy.anchors[0]");
        Edit(r => r["model"]!["dissipation"]!["type"] = "custom");
        LoadFails(d, "model.json", "custom dissipation cannot be loaded");
        Edit(r => r["model"]!["dissipation"]!.AsObject().Remove("type"));
        LoadFails(d, "model.json", "missing value at $.model.dissipation.type");
        Edit(r => r["model"]!["grid"]!["points"] = new JsonArray(1));
        LoadFails(d, "model.json", "invalid value at $.model.grid");
        Edit(r => r["metadata"]!["dtype"] = "float16");
        LoadFails(d, "model.json", "invalid value at $.metadata", "float16");
        File.WriteAllText(path, text);
        Assert.Equal(Networked, ModelDirectory.Load(d).Model);
    }

    [Fact]
    public void ModelFileIncompatibleGridOrFields()
    {
        ModelDirectory.Save(P("m"), Networked, Meta);
        var file = ModelDirectory.Load(P("m"));
        Assert.Same(file, ModelDirectory.CheckCompatible(file, G, 1));
        var e = Assert.Throws<ModelFileException>(() => ModelDirectory.CheckCompatible(file, Grid.Periodic(2 * Math.PI, 64), 1));
        Assert.Contains("N = 32", e.Message);
        Assert.Contains("N = 64", e.Message);
        e = Assert.Throws<ModelFileException>(() => file.CheckCompatible(G, 2));
        Assert.Contains("1 field(s), the data 2", e.Message);
    }

    // ------------------------------------------------------------ --model references

    [Fact]
    public void ModelFileReferencesResolveDirectoriesAndBuiltins()
    {
        var builtin = ModelReference.ResolveFile("builtin:heat");
        Assert.Equal("builtin", builtin.Metadata.Kind);
        Assert.Equal(KnownMembers.Get("heat"), builtin.Model);
        ModelDirectory.Save(P("m"), Networked, Meta);
        Assert.Equal(Networked, ModelReference.Resolve(P("m")));
        Assert.Equal(Meta, ModelReference.ResolveFile(P("m")).Metadata);
        Assert.Throws<UsageException>(() => ModelReference.Resolve(P("nowhere")));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, CliApp.Run(["describe", "--model", P("m")], stdout, stderr));
        Assert.Contains(Networked.Describe(), stdout.ToString());
        File.Delete(Path.Combine(P("m"), "weights.bin"));
        Assert.Equal(1, CliApp.Run(["describe", "--model", P("m")], stdout, stderr));
        Assert.Contains("weights.bin: missing", stderr.ToString());
    }
}
