using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Onsager.Algebra;

/// <summary>The two parts of a saved member: the text of model.json and the bytes of weights.bin.</summary>
public sealed record ModelEncoding(string Json, ImmutableArray<byte> Weights);

/// <summary>
/// Pure conversion between a member or a baseline force field (with its metadata) and the model-file format: model.json
/// (format tag, version, metadata, the whole algebra value or force field, the SHA-256 of the weights) and weights.bin (every array longer than
/// <see cref="InlineLimit"/> as float64 little-endian after a 16-byte header: magic "ONSAGERW", uint32 version,
/// uint32 array count). No file I/O here: <c>Onsager.Data.ModelDirectory</c> reads and writes the directory.
/// Numbers round-trip bit-exactly. Custom primitives are code, not data: they are refused, named.
/// </summary>
public static class ModelJson
{
    /// <summary>The format tag in model.json.</summary>
    public const string FormatTag = "onsager-model";
    /// <summary>The model.json format version.</summary>
    public const int FormatVersion = 1;
    /// <summary>The name of the model's JSON file.</summary>
    public const string JsonFileName = "model.json";
    /// <summary>The name of the model's weights file.</summary>
    public const string WeightsFileName = "weights.bin";
    /// <summary>Arrays with more entries than this go to weights.bin; shorter ones stay inline in model.json.</summary>
    public const int InlineLimit = 8;
    /// <summary>The weights file format version.</summary>
    public const int WeightsVersion = 1;
    /// <summary>The size in bytes of the weights file header.</summary>
    public const int WeightsHeaderBytes = 16;
    private static ReadOnlySpan<byte> Magic => "ONSAGERW"u8;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // ---------------------------------------------------------------- encoding

    /// <summary>
    /// model.json and weights.bin of a member (key "model") or a baseline force field (key "forceField"); throws
    /// <see cref="NotSupportedException"/> naming any custom primitive.
    /// </summary>
    public static ModelEncoding Encode(IVectorField field, ModelMetadata metadata, int inlineLimit = InlineLimit)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(metadata);
        var w = new Writer(inlineLimit);
        var (key, m) = field switch
        {
            Model model => ("model", w.Model(model)),
            ForceField f => ("forceField", w.ForceField(f)),
            _ => throw new NotSupportedException($"The model-file format does not know the vector field {field.GetType().FullName}."),
        };
        if (w.Customs.Count > 0)
            throw new NotSupportedException(
                "Cannot save custom primitives: they are code, not data. Found: " + string.Join("; ", w.Customs) +
                ". Replace them with built-in primitives to save the member.");
        var weights = w.Weights();
        var root = new JsonObject
        {
            ["format"] = FormatTag,
            ["version"] = FormatVersion,
            ["metadata"] = new JsonObject
            {
                ["kind"] = metadata.Kind,
                ["dt"] = metadata.Dt is double dt ? Num(dt) : null,
                ["dtype"] = metadata.DType,
                ["gauge"] = metadata.Gauge,
                ["training"] = JsonNode.Parse(metadata.Training.GetRawText()),
            },
            ["weights"] = new JsonObject
            {
                ["file"] = WeightsFileName,
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(weights)),
                ["arrays"] = w.Count,
                ["bytes"] = weights.Length,
            },
            [key] = m,
        };
        return new ModelEncoding(root.ToJsonString(Indented) + "\n", ImmutableArray.Create(weights));
    }

    /// <summary>A double as JSON: a number when finite (shortest round-trip form), else "NaN", "Infinity" or "-Infinity".</summary>
    private static JsonNode Num(double v) =>
        double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");

    /// <summary>The encoder's state: the arrays bound for weights.bin (in encoding order) and the custom primitives met.</summary>
    internal sealed class Writer(int inlineLimit)
    {
        private readonly List<ImmutableArray<double>> arrays = [];
        private long offset = WeightsHeaderBytes;
        public readonly List<string> Customs = [];
        public int Count => arrays.Count;

        public byte[] Weights()
        {
            var bytes = new byte[offset];
            Magic.CopyTo(bytes);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), WeightsVersion);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)arrays.Count);
            int at = WeightsHeaderBytes;
            foreach (var a in arrays)
                foreach (var v in a) { BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), v); at += 8; }
            return bytes;
        }

        /// <summary>Records a custom primitive (refused by <see cref="Encode"/>, named by its path).</summary>
        public JsonNode Custom(string path, string what, string formula, object impl)
        {
            Customs.Add($"{path}: {what} '{formula}' ({impl.GetType().FullName})");
            return new JsonObject { ["type"] = "custom" };
        }

        private static JsonObject Grid(Grid g) => new()
        {
            ["lengths"] = new JsonArray(g.Lengths.Select(Num).ToArray()),
            ["points"] = new JsonArray(g.Points.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()),
        };

        public JsonObject ForceField(ForceField f) => f switch
        {
            Onsager.Algebra.ForceField.Convolutional c => new JsonObject
            {
                ["type"] = "convolutional", ["grid"] = Grid(c.Grid), ["fields"] = c.Fields,
                ["width"] = c.Width, ["depth"] = c.Depth, ["kernel"] = c.Kernel, ["weights"] = Array(c.Weights),
            },
            Onsager.Algebra.ForceField.Fourier o => new JsonObject
            {
                ["type"] = "fourier", ["grid"] = Grid(o.Grid), ["fields"] = o.Fields, ["modes"] = o.Modes,
                ["width"] = o.Width, ["layers"] = o.Layers, ["projection"] = o.Projection, ["weights"] = Array(o.Weights),
            },
            _ => throw Unknown(f),
        };

        public JsonObject Model(Model m) => new()
        {
            ["grid"] = Grid(m.Grid),
            ["fields"] = m.Fields,
            ["energy"] = Energy(m.Energy),
            ["dissipation"] = m.Dissipation?.EncodeWith(this, "dissipation"),
            ["conservation"] = m.Conservation?.EncodeWith(this, "conservation"),
        };

        private JsonObject Energy(Energy e) => new()
        {
            ["anchors"] = new JsonArray(e.Anchors.Select((a, i) => a.EncodeWith(this, $"energy.anchors[{i}]")).ToArray()),
            ["terms"] = new JsonArray(e.Terms.Select((t, i) => t.EncodeWith(this, $"energy.terms[{i}]")).ToArray()),
            ["factor"] = Num(e.Factor),
            ["shift"] = new JsonArray(e.Shift.Select(Num).ToArray()),
            ["offset"] = Num(e.Offset),
        };

        public static JsonNode Param(Param p) => p switch
        {
            Onsager.Numbers.Param.Fixed f => new JsonObject { ["fixed"] = Num(f.V) },
            Onsager.Numbers.Param.Learned l => new JsonObject { ["learned"] = Num(l.V) },
            _ => throw Unknown(p),
        };

        /// <summary>An array: inline when short, else a reference to the next block of weights.bin.</summary>
        public JsonNode Array(ParamArray a)
        {
            if (a.Length <= inlineLimit)
                return new JsonObject { ["learned"] = a.Learned, ["values"] = new JsonArray(a.Values.Select(Num).ToArray()) };
            var node = new JsonObject { ["learned"] = a.Learned, ["offset"] = offset, ["length"] = a.Length };
            arrays.Add(a.Values);
            offset += 8L * a.Length;
            return node;
        }

        public JsonNode Network(Network n) => new JsonObject
        {
            ["inputs"] = n.Inputs, ["width"] = n.Width, ["depth"] = n.Depth, ["head"] = Name(n.Head), ["weights"] = Array(n.Weights),
        };

        public JsonNode Scalar(Scalar s) => s switch
        {
            Onsager.Algebra.Scalar.Constant c => new JsonObject { ["type"] = "constant", ["c"] = Param(c.C) },
            Onsager.Algebra.Scalar.Polynomial p => new JsonObject { ["type"] = "polynomial", ["coefficients"] = Array(p.Coefficients) },
            Onsager.Algebra.Scalar.Net n => new JsonObject { ["type"] = "net", ["network"] = Network(n.Network) },
            _ => throw Unknown(s),
        };

        public JsonNode NonNegative(NonNegative s) => s switch
        {
            Onsager.Algebra.NonNegative.Constant c => new JsonObject { ["type"] = "constant", ["c"] = Param(c.C) },
            Onsager.Algebra.NonNegative.Softplus p => new JsonObject { ["type"] = "softplus", ["inner"] = Scalar(p.Inner) },
            Onsager.Algebra.NonNegative.Square p => new JsonObject { ["type"] = "square", ["inner"] = Scalar(p.Inner) },
            Onsager.Algebra.NonNegative.AtLeast a => new JsonObject { ["type"] = "at-least", ["floor"] = Num(a.Floor), ["inner"] = Scalar(a.Inner) },
            Onsager.Algebra.NonNegative.Net n => new JsonObject { ["type"] = "net", ["network"] = Network(n.Network) },
            _ => throw Unknown(s),
        };

        public static JsonNode Linear(Linear l) => l switch
        {
            Onsager.Algebra.Linear.Difference d => new JsonObject { ["type"] = "difference", ["kind"] = Name(d.Kind), ["axis"] = d.Axis },
            Onsager.Algebra.Linear.Select s => new JsonObject { ["type"] = "select", ["field"] = s.Field, ["fields"] = s.Fields },
            Onsager.Algebra.Linear.Compose c => new JsonObject { ["type"] = "compose", ["outer"] = Linear(c.Outer), ["inner"] = Linear(c.Inner) },
            _ => throw Unknown(l),
        };
    }

    private static NotSupportedException Unknown(object o) =>
        new($"The model-file format does not know the primitive {o.GetType().FullName?.Replace('+', '.')}: add it to ModelJson (encoder and decoder).");

    internal static string Name<T>(T e) where T : struct, Enum => e.ToString().ToLowerInvariant();

    // ---------------------------------------------------------------- decoding

    /// <summary>
    /// The member and metadata in model.json and weights.bin. Throws <see cref="ModelFileException"/> (file "model.json"
    /// or "weights.bin") naming the problem: not our format, unsupported version, malformed JSON (with the path of the
    /// bad node), truncated weights, checksum mismatch, array count mismatch, invalid values.
    /// </summary>
    public static ModelFile Decode(string json, ReadOnlySpan<byte> weights) => Decode(json, weights.ToArray());

    private static ModelFile Decode(string json, byte[] weights)
    {
        JsonNode? rootNode;
        try { rootNode = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException e)
        {
            throw new ModelFileException(JsonFileName, $"malformed JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}", e);
        }
        if (rootNode is not JsonObject root)
            throw new ModelFileException(JsonFileName, "not an Onsager model file (the top level is not a JSON object).");
        if (root["format"] is not JsonValue fv || !fv.TryGetValue<string>(out var format))
            throw new ModelFileException(JsonFileName, $"not an Onsager model file (no \"format\": \"{FormatTag}\" tag).");
        if (format != FormatTag)
            throw new ModelFileException(JsonFileName, $"format tag '{format}' is not '{FormatTag}': a model file from elsewhere.");
        try { return Decode(root, new Reader(weights)); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new ModelFileException(JsonFileName, $"malformed: {e.Message}", e);
        }
    }

    private static ModelFile Decode(JsonObject root, Reader r)
    {
        int version = r.Int(root, "version", "$");
        if (version != FormatVersion)
            throw new ModelFileException(JsonFileName, $"format version {version} is not supported (this build reads version {FormatVersion}; $.version).");
        var metadata = r.Metadata(r.Obj(root, "metadata", "$"), "$.metadata");
        r.CheckWeights(r.Obj(root, "weights", "$"), "$.weights");
        IVectorField model = root.ContainsKey("forceField") && !root.ContainsKey("model")
            ? r.ForceField(r.Obj(root, "forceField", "$"), "$.forceField")
            : r.Model(r.Obj(root, "model", "$"), "$.model");
        if (r.Referenced != r.HeaderCount)
            throw new ModelFileException(WeightsFileName, $"array count mismatch: the header holds {r.HeaderCount} arrays, model.json references {r.Referenced}.");
        return new ModelFile(model, metadata);
    }

    /// <summary>The decoder's state: the weights it reads arrays from and how many it referenced.</summary>
    internal sealed class Reader(byte[] weights)
    {
        public int HeaderCount;
        public int Referenced;

        private static ModelFileException Bad(string path, string problem) => new(JsonFileName, $"{problem} at {path}");

        /// <summary>Runs a record's constructor; its checks' failures become errors naming the JSON path of the offending field.</summary>
        public static T Build<T>(string path, Func<T> build)
        {
            try { return build(); }
            catch (ArgumentException e)
            {
                var at = Checks.FieldOf(e) is { } f ? f.StartsWith('[') ? path + f : $"{path}.{f}" : path;
                throw new ModelFileException(JsonFileName, $"invalid value at {at}: {e.Message}", e);
            }
        }

        private static JsonNode Req(JsonObject o, string key, string path) =>
            o.TryGetPropertyValue(key, out var n) && n is not null ? n : throw Bad($"{path}.{key}", "missing value");

        public JsonObject Obj(JsonObject o, string key, string path) => AsObj(Req(o, key, path), $"{path}.{key}");

        public static JsonObject AsObj(JsonNode? n, string path) => n as JsonObject ?? throw Bad(path, $"expected an object, got {Kind(n)}");

        public static JsonArray Arr(JsonObject o, string key, string path) =>
            Req(o, key, path) as JsonArray ?? throw Bad($"{path}.{key}", $"expected an array, got {Kind(o[key]!)}");

        private static string Kind(JsonNode? n) => n is null ? "null" : n.GetValueKind() switch
        {
            JsonValueKind.Object => "an object", JsonValueKind.Array => "an array", JsonValueKind.String => $"the string {n.ToJsonString()}",
            JsonValueKind.Number => $"the number {n.ToJsonString()}", JsonValueKind.True or JsonValueKind.False => n.ToJsonString(), _ => "null"
        };

        private static double Dbl(JsonNode? n, string path)
        {
            if (n is JsonValue v)
            {
                if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d)) return d;
                if (v.TryGetValue<string>(out var s))
                    switch (s) { case "NaN": return double.NaN; case "Infinity": return double.PositiveInfinity; case "-Infinity": return double.NegativeInfinity; }
            }
            throw Bad(path, $"expected a number, got {Kind(n)}");
        }

        public double Dbl(JsonObject o, string key, string path) => Dbl(Req(o, key, path), $"{path}.{key}");

        public int Int(JsonObject o, string key, string path) => Int(Req(o, key, path), $"{path}.{key}");

        private static int Int(JsonNode? n, string path) =>
            n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i : throw Bad(path, $"expected an integer, got {Kind(n)}");

        private static long Long(JsonObject o, string key, string path) =>
            Req(o, key, path) is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var i) ? i
                : throw Bad($"{path}.{key}", $"expected an integer, got {Kind(o[key]!)}");

        private static string Str(JsonObject o, string key, string path) =>
            Req(o, key, path) is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Bad($"{path}.{key}", $"expected a string, got {Kind(o[key]!)}");

        private static bool Bool(JsonObject o, string key, string path) =>
            Req(o, key, path) is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Bad($"{path}.{key}", $"expected true or false, got {Kind(o[key]!)}");

        private static int Opt(JsonObject o, string key, string path, int fallback) => o.ContainsKey(key) ? Int(Req(o, key, path), $"{path}.{key}") : fallback;

        public static T Enum<T>(JsonObject o, string key, string path) where T : struct, Enum
        {
            var s = Str(o, key, path);
            foreach (var e in System.Enum.GetValues<T>()) if (Name(e) == s) return e;
            throw Bad($"{path}.{key}", $"unknown {typeof(T).Name.ToLowerInvariant()} '{s}' (known: {string.Join(", ", System.Enum.GetValues<T>().Select(Name))})");
        }

        public ModelMetadata Metadata(JsonObject o, string path)
        {
            double? dt = o.TryGetPropertyValue("dt", out var d) && d is not null ? Dbl(d, path + ".dt") : null;
            var training = AsObj(Req(o, "training", path), path + ".training");
            var element = JsonDocument.Parse(training.ToJsonString()).RootElement.Clone();
            return Build(path, () => new ModelMetadata(Str(o, "kind", path), dt, Str(o, "dtype", path), Str(o, "gauge", path), element));
        }

        public void CheckWeights(JsonObject o, string path)
        {
            const string W = WeightsFileName;
            long bytes = Long(o, "bytes", path);
            int arrays = Int(o, "arrays", path);
            var sha = Str(o, "sha256", path);
            if (weights.Length < WeightsHeaderBytes || !weights.AsSpan(0, 8).SequenceEqual(Magic))
                throw new ModelFileException(W, weights.Length < WeightsHeaderBytes && weights.AsSpan(0, Math.Min(weights.Length, 8)).SequenceEqual(Magic[..Math.Min(weights.Length, 8)])
                    ? $"truncated: {weights.Length} bytes, the header alone has {WeightsHeaderBytes}."
                    : "not an Onsager weights file (bad magic).");
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(weights.AsSpan(8));
            if (version != WeightsVersion) throw new ModelFileException(W, $"weights format version {version} is not supported (this build reads {WeightsVersion}).");
            HeaderCount = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(weights.AsSpan(12)));
            if (weights.Length < bytes) throw new ModelFileException(W, $"truncated: {weights.Length} bytes, model.json expects {bytes} ({path}.bytes).");
            if (weights.Length > bytes) throw new ModelFileException(W, $"{weights.Length} bytes, model.json expects {bytes} ({path}.bytes; trailing data).");
            if (HeaderCount != arrays)
                throw new ModelFileException(W, $"array count mismatch: the header holds {HeaderCount} arrays, model.json says {arrays} ({path}.arrays).");
            var actual = Convert.ToHexStringLower(SHA256.HashData(weights));
            if (!string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase))
                throw new ModelFileException(W, $"checksum mismatch: SHA-256 is {actual}, model.json records {sha} (the file is damaged or from another save).");
        }

        private Param Param(JsonNode n, string path)
        {
            var o = AsObj(n, path);
            if (o.Count == 1 && o.ContainsKey("fixed")) { var v = Dbl(o, "fixed", path); return Build(path, () => new Param.Fixed(v)); }
            if (o.Count == 1 && o.ContainsKey("learned")) { var v = Dbl(o, "learned", path); return Build(path, () => new Param.Learned(v)); }
            throw Bad(path, "expected a parameter {\"fixed\": v} or {\"learned\": v}");
        }

        public Param Param(JsonObject o, string key, string path) => Param(Req(o, key, path), $"{path}.{key}");

        public ParamArray Array(JsonObject parent, string key, string parentPath)
        {
            string path = $"{parentPath}.{key}";
            var o = AsObj(Req(parent, key, parentPath), path);
            bool learned = Bool(o, "learned", path);
            if (o.ContainsKey("values"))
            {
                var values = Arr(o, "values", path).Select((x, i) => Dbl(x, $"{path}.values[{i}]")).ToImmutableArray();
                return Build(path, () => new ParamArray(values, learned));
            }
            long offset = Long(o, "offset", path);
            int length = Int(o, "length", path);
            if (length < 0) throw Bad(path + ".length", $"negative length {length}");
            if (offset < WeightsHeaderBytes || offset % 8 != 0)
                throw Bad(path + ".offset", $"an array cannot start at byte {offset} (arrays start at byte {WeightsHeaderBytes} or later, at multiples of 8)");
            if (offset + 8L * length > weights.Length)
                throw new ModelFileException(WeightsFileName, $"truncated: the array of {path} ends at byte {offset + 8L * length}, the file has {weights.Length}.");
            Referenced++;
            var v = new double[length];
            for (int i = 0; i < length; i++) v[i] = BinaryPrimitives.ReadDoubleLittleEndian(weights.AsSpan((int)offset + 8 * i));
            if (ParamArray.FirstInvalid(v) is var bad and >= 0)
                throw new ModelFileException(WeightsFileName,
                    $"invalid value in the array of {path} (bytes {offset} to {offset + 8L * length}): entry {bad} (byte {offset + 8L * bad}) is {Checks.Show(v[bad])}; " +
                    $"numbers in a member are finite with magnitude at most {Onsager.Numbers.Param.MaxMagnitude:G}.");
            return Build(path, () => new ParamArray(ImmutableArray.Create(v), learned));
        }

        public Network Network(JsonObject parent, string key, string parentPath)
        {
            string path = $"{parentPath}.{key}";
            var o = AsObj(Req(parent, key, parentPath), path);
            int inputs = Int(o, "inputs", path), width = Int(o, "width", path), depth = Int(o, "depth", path);
            var head = Enum<Head>(o, "head", path);
            var weights = Array(o, "weights", path);
            return Build(path, () => new Network(inputs, width, depth, head, weights));
        }

        public static string Type(JsonObject o, string path) => Str(o, "type", path);

        public static ModelFileException UnknownType(string what, string type, string path) =>
            type == "custom" ? Bad(path, $"a custom {what} cannot be loaded (custom primitives are code, not data)")
                             : Bad(path, $"unknown {what} type '{type}'");

        private Grid Grid(JsonObject o, string path)
        {
            var g = Obj(o, "grid", path);
            var lengths = Arr(g, "lengths", path + ".grid").Select((x, i) => Dbl(x, $"{path}.grid.lengths[{i}]")).ToImmutableArray();
            var points = Arr(g, "points", path + ".grid").Select((x, i) => Int(x, $"{path}.grid.points[{i}]")).ToImmutableArray();
            return Build(path + ".grid", () => new Onsager.Numbers.Grid(lengths, points));
        }

        /// <summary>A baseline force field; its sizes fix the weight count, so weights of another baseline or size are refused by name.</summary>
        public ForceField ForceField(JsonObject o, string p)
        {
            var grid = Grid(o, p);
            int fields = Int(o, "fields", p);
            return Type(o, p) switch
            {
                "convolutional" => Build(p, () => new Onsager.Algebra.ForceField.Convolutional(grid, fields, Int(o, "width", p), Int(o, "depth", p), Int(o, "kernel", p), Array(o, "weights", p))),
                "fourier" => Build(p, () => new Onsager.Algebra.ForceField.Fourier(grid, fields, Int(o, "modes", p), Int(o, "width", p), Int(o, "layers", p), Int(o, "projection", p), Array(o, "weights", p))),
                var t => throw UnknownType("force field", t, p),
            };
        }

        public Model Model(JsonObject o, string path)
        {
            var grid = Grid(o, path);
            int fields = Int(o, "fields", path);
            var energy = Energy(Obj(o, "energy", path), path + ".energy");
            var d = o["dissipation"] is JsonNode dn ? Operator<Dissipation>(AsObj(dn, path + ".dissipation"), path + ".dissipation") : null;
            var w = o["conservation"] is JsonNode wn ? Operator<Conservation>(AsObj(wn, path + ".conservation"), path + ".conservation") : null;
            return Build(path, () => new Model(grid, fields, energy, d, w));
        }

        private Energy Energy(JsonObject o, string path)
        {
            var anchors = Arr(o, "anchors", path).Select((x, i) => Anchor(AsObj(x, $"{path}.anchors[{i}]"), $"{path}.anchors[{i}]")).ToImmutableArray();
            var terms = Arr(o, "terms", path).Select((x, i) => Term(AsObj(x, $"{path}.terms[{i}]"), $"{path}.terms[{i}]")).ToImmutableArray();
            double factor = Dbl(o, "factor", path), offset = Dbl(o, "offset", path);
            var shift = Arr(o, "shift", path).Select((x, i) => Dbl(x, $"{path}.shift[{i}]")).ToImmutableArray();
            return Build(path, () => new Energy(anchors, terms) { Factor = factor, Shift = shift, Offset = offset });
        }

        /// <summary>An anchor, decoded by its tag (each anchor decodes itself: Energy.cs).</summary>
        public Anchor Anchor(JsonObject o, string p) => Primitives<Anchor>.Decode(this, o, p, "anchor");

        /// <summary>An energy term, decoded by its tag (each term decodes itself: Energy.cs).</summary>
        public EnergyTerm Term(JsonObject o, string p) => Primitives<EnergyTerm>.Decode(this, o, p, "energy term");

        public Scalar Scalar(JsonObject o, string p) => Type(o, p) switch
        {
            "constant" => Build(p, () => new Scalar.Constant(Param(o, "c", p))),
            "polynomial" => Build(p, () => new Scalar.Polynomial(Array(o, "coefficients", p))),
            "net" => Build(p, () => new Scalar.Net(Network(o, "network", p))),
            var t => throw UnknownType("scalar", t, p),
        };

        public NonNegative NonNegative(JsonObject o, string p) => Type(o, p) switch
        {
            "constant" => Build(p, () => new NonNegative.Constant(Param(o, "c", p))),
            "softplus" => Build(p, () => new NonNegative.Softplus(Scalar(Obj(o, "inner", p), p + ".inner"))),
            "square" => Build(p, () => new NonNegative.Square(Scalar(Obj(o, "inner", p), p + ".inner"))),
            "at-least" => Build(p, () => new NonNegative.AtLeast(Dbl(o, "floor", p), Scalar(Obj(o, "inner", p), p + ".inner"))),
            "net" => Build(p, () => new NonNegative.Net(Network(o, "network", p))),
            var t => throw UnknownType("non-negative function", t, p),
        };

        public Linear Linear(JsonObject o, string p) => Type(o, p) switch
        {
            "difference" => Build(p, () => new Linear.Difference(Enum<DifferenceKind>(o, "kind", p), Int(o, "axis", p))),
            "select" => Build(p, () => new Linear.Select(Int(o, "field", p), Int(o, "fields", p))),
            "compose" => Build(p, () => new Linear.Compose(Linear(Obj(o, "outer", p), p + ".outer"), Linear(Obj(o, "inner", p), p + ".inner"))),
            var t => throw UnknownType("linear map", t, p),
        };

        /// <summary>A dissipation or conservation, decoded by its primitive's tag (Primitives.cs).</summary>
        public T Operator<T>(JsonObject o, string p) where T : class => Primitives<T>.Decode(this, o, p, typeof(T).Name.ToLowerInvariant());
    }
}
