using System.Collections.Immutable;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Onsager.Data;
using PureHDF;

namespace Onsager.Fuzzing;

/// <summary>How one mutant fared: refused with a one-line <see cref="DatasetException"/> or <see cref="ModelFileException"/>
/// (clear error), read without complaint (accepted), any other exception or a multi-line message (crash), or still running
/// after the time limit (hang).</summary>
public enum Outcome { ClearError, Accepted, Crash, Hang }

/// <summary>One mutant's record: its case number, what it was made from and how, the outcome, the seconds it took and the message.</summary>
public sealed record FuzzCase(int Case, string Base, string Mutation, Outcome Outcome, double Seconds, string? Message);

/// <summary>The counts of a fuzz run, the slowest case and the cases that crashed or hung.</summary>
public sealed record FuzzReport(int Count, int Seed, ImmutableDictionary<Outcome, int> Counts, double SlowestSeconds, string SlowestCase,
                                ImmutableArray<FuzzCase> Failures, TimeSpan Elapsed)
{
    public int Of(Outcome o) => Counts.GetValueOrDefault(o);
    public bool Passed => Of(Outcome.Crash) == 0 && Of(Outcome.Hang) == 0;

    public override string ToString() =>
        $"fuzz: {Count} mutants (seed {Seed}): {Of(Outcome.ClearError)} clear errors, {Of(Outcome.Accepted)} accepted, {Of(Outcome.Crash)} crashes, " +
        $"{Of(Outcome.Hang)} hangs; slowest case {SlowestSeconds:F2} s ({SlowestCase}); {Elapsed.TotalSeconds:F0} s in all";
}

/// <summary>
/// A seeded fuzzer of the readers: mutants of small valid HDF5 files, .npz files and model directories (byte flips,
/// truncations, edits of declared shapes, of attributes and of model.json's fields, weights with their checksum updated),
/// each read as <c>onsager inspect</c> and <c>describe</c> would read it. Case i depends only on (seed, i).
/// </summary>
public static class Fuzzer
{
    /// <summary>Default time limit of one case: a case still running after it counts as a hang.</summary>
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(10);

    public static FuzzReport Run(int count, int seed, string workDir, TimeSpan? limit = null, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(workDir);
        var bases = Path.Combine(workDir, "bases");
        var kinds = MakeBases(bases);
        var counts = new Dictionary<Outcome, int>();
        var failures = ImmutableArray.CreateBuilder<FuzzCase>();
        double slowest = 0; string slowestCase = "";
        for (int i = 0; i < count; i++)
        {
            var c = RunCase(i, seed, kinds, workDir, limit ?? DefaultLimit);
            counts[c.Outcome] = counts.GetValueOrDefault(c.Outcome) + 1;
            if (c.Seconds > slowest) { slowest = c.Seconds; slowestCase = $"case {c.Case}, {c.Base}, {c.Mutation}"; }
            if (c.Outcome is Outcome.Crash or Outcome.Hang)
            {
                failures.Add(c);
                log?.Invoke($"case {c.Case} ({c.Base}, {c.Mutation}): {c.Outcome}: {c.Message}");
            }
            if (log is not null && (i + 1) % 1000 == 0) log($"fuzz: {i + 1}/{count} cases, {clock.Elapsed.TotalSeconds:F0} s");
        }
        return new FuzzReport(count, seed, counts.ToImmutableDictionary(), slowest, slowestCase, failures.ToImmutable(), clock.Elapsed);
    }

    // ------------------------------------------------------------------ bases

    private sealed record Base(string Name, string Path, bool IsModel);

    private static List<Base> MakeBases(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        var list = new List<Base>();
        foreach (var (name, content) in new[] { ("1d", Content1D()), ("2d", Content2D()) })
        {
            var h5 = System.IO.Path.Combine(dir, $"{name}.h5");
            Hdf5.Write(h5, content);
            list.Add(new Base($"{name}.h5", h5, false));
            var npz = System.IO.Path.Combine(dir, $"{name}.npz");
            NpzLayout.Write(npz, content);
            list.Add(new Base($"{name}.npz", npz, false));
        }
        var grid = Grid.Periodic(2 * Math.PI, 16);
        var models = new List<(string, IVectorField, ModelMetadata)>
        {
            ("allen-cahn", KnownMembers.AllenCahn(grid), ModelMetadata.Builtin("allen-cahn")),
            ("random-5", RandomMembers.Generate(5), new ModelMetadata("random", 1e-3)),
        };
        foreach (var kind in new[] { "spectral", "local", "onsagernet", "unconstrained" })
            models.Add((kind, Families.Create(kind, grid), new ModelMetadata(kind, 1e-3)));
        foreach (var (name, field, meta) in models)
        {
            var m = System.IO.Path.Combine(dir, $"model-{name}");
            ModelDirectory.Save(m, field, meta);
            list.Add(new Base($"model-{name}", m, true));
        }
        return list;
    }

    private static DatasetContent Content(long[] shape, int seed)
    {
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        int frames = (int)shape[1];
        var times = Enumerable.Range(0, frames).Select(i => i * 0.1).ToArray();
        var coords = Enumerable.Range(2, shape.Length - 3).Select(a => Enumerable.Range(0, (int)shape[a]).Select(j => j * 2 * Math.PI / shape[a]).ToArray()).ToImmutableArray();
        var coef = new double[shape[0], 2];
        for (int i = 0; i < shape[0]; i++) { coef[i, 0] = i; coef[i, 1] = -i; }
        return new DatasetContent(values, [.. shape], times, coords,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, double[,]>("amplitude", coef)]),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, double> { ["dt"] = 0.1, ["L"] = 2 * Math.PI, ["seed"] = 1 }),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
            {
                ["name"] = "fuzz", ["equation"] = "u_t = u_xx", ["fields"] = "u", ["known_member"] = "allen-cahn", ["generator"] = "fuzz",
            }));
    }

    private static DatasetContent Content1D() => Content([3, 5, 16, 1], 1);
    private static DatasetContent Content2D() => Content([2, 3, 8, 8, 1], 2);

    // ------------------------------------------------------------------ one case

    private static FuzzCase RunCase(int i, int seed, List<Base> bases, string workDir, TimeSpan limit)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + i * 7919 + 17));                 // not HashCode.Combine: it is salted per process
        var b = bases[rng.Next(bases.Count)];
        var target = System.IO.Path.Combine(workDir, $"case-{i % 4}");
        if (Directory.Exists(target)) Directory.Delete(target, true);
        if (File.Exists(target + System.IO.Path.GetExtension(b.Path))) File.Delete(target + System.IO.Path.GetExtension(b.Path));
        string mutation;
        string path;
        if (b.IsModel)
        {
            CopyDirectory(b.Path, target);
            mutation = MutateModel(rng, target);
            path = target;
        }
        else
        {
            path = target + System.IO.Path.GetExtension(b.Path);
            var bytes = File.ReadAllBytes(b.Path);
            (bytes, mutation) = b.Path.EndsWith(".npz") ? MutateNpz(rng, bytes) : MutateHdf5(rng, bytes);
            File.WriteAllBytes(path, bytes);
        }
        var clock = Stopwatch.StartNew();
        var task = Task.Run(() => b.IsModel ? ReadModel(path) : ReadDataset(path));
        Outcome outcome; string? message = null;
        if (!task.Wait(limit)) { outcome = Outcome.Hang; message = $"still running after {limit.TotalSeconds:F0} s"; }
        else
        {
            var e = task.Result;
            message = e?.Message;
            outcome = e switch
            {
                null => Outcome.Accepted,
                DatasetException or ModelFileException when !e.Message.Contains('\n') && e.Message.Length > 0 => Outcome.ClearError,
                _ => Outcome.Crash,
            };
            if (outcome == Outcome.Crash) message = e!.ToString();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (outcome != Outcome.Hang)
        {
            try { if (Directory.Exists(path)) Directory.Delete(path, true); else File.Delete(path); } catch (IOException) { }
        }
        return new FuzzCase(i, b.Name, mutation, outcome, seconds, message);
    }

    /// <summary>What <c>onsager inspect</c> does with a dataset: open it (values checked), touch every derived property,
    /// read a trajectory and every IC coefficient. Returns the exception, or null when the file was accepted.</summary>
    public static Exception? ReadDataset(string path)
    {
        try
        {
            using var reader = DatasetReader.Open(path, checkValues: true);
            var d = reader.Dataset;
            _ = (d.Name, d.ToString(), d.GridText, d.Dt, d.FieldNames, d.Lengths, d.Grid, d.SampleSize, d.DefaultSplit);
            try { _ = d.KnownMember; } catch (DatasetException) { }
            _ = reader.ReadTrajectory(d.Samples - 1);
            foreach (var name in d.CoefficientNames) _ = reader.Coefficient(name);
            return null;
        }
        catch (Exception e) { return e; }
    }

    /// <summary>What <c>onsager describe</c> does with a model directory: load it and describe it.</summary>
    public static Exception? ReadModel(string dir)
    {
        try
        {
            var file = ModelDirectory.Load(dir);
            _ = file.Field.Describe();
            _ = (file.Field.Grid, file.Field.Fields, file.Metadata.Kind);
            return null;
        }
        catch (Exception e) { return e; }
    }

    // ------------------------------------------------------------------ mutations

    private static readonly long[] Extremes = [0, 1, 2, 7, 255, 65535, 1L << 31, (1L << 31) - 1, 1L << 32, 1_000_000_000, 1L << 40, long.MaxValue, -1, long.MinValue];

    private static (byte[], string) Flip(Random rng, byte[] bytes)
    {
        var b = (byte[])bytes.Clone();
        int n = 1 + rng.Next(16);
        for (int k = 0; k < n; k++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
        return (b, $"{n} byte flips");
    }

    private static (byte[], string) Truncate(Random rng, byte[] bytes)
    {
        int at = rng.Next(bytes.Length);
        return (bytes[..at], $"truncated at {at} of {bytes.Length}");
    }

    /// <summary>Replaces an occurrence of a small integer (a declared extent or length) stored as a 2-, 4- or 8-byte
    /// little-endian number by an extreme one.</summary>
    private static (byte[], string) EditNumber(Random rng, byte[] bytes, long[] candidates)
    {
        var b = (byte[])bytes.Clone();
        int width = new[] { 8, 8, 4, 2 }[rng.Next(4)];
        long from = candidates[rng.Next(candidates.Length)];
        var hits = new List<int>();
        for (int i = 0; i + width <= b.Length; i++)
        {
            long v = width switch { 8 => BitConverter.ToInt64(b, i), 4 => BitConverter.ToUInt32(b, i), _ => BitConverter.ToUInt16(b, i) };
            if (v == from) hits.Add(i);
        }
        if (hits.Count == 0) return Flip(rng, bytes);
        int at = hits[rng.Next(hits.Count)];
        long to = Extremes[rng.Next(Extremes.Length)];
        var repl = BitConverter.GetBytes(to);
        Array.Copy(repl, 0, b, at, width);
        return (b, $"{width}-byte {from} at {at} -> {to}");
    }

    /// <summary>Overwrites bytes of an ASCII string in the file (an attribute's name or value).</summary>
    private static (byte[], string) EditText(Random rng, byte[] bytes, string[] words)
    {
        var b = (byte[])bytes.Clone();
        var word = words[rng.Next(words.Length)];
        var needle = Encoding.ASCII.GetBytes(word);
        int at = b.AsSpan().IndexOf(needle);
        if (at < 0) return Flip(rng, bytes);
        int kind = rng.Next(3);
        for (int k = 0; k < needle.Length; k++)
            b[at + k] = kind switch { 0 => 0, 1 => (byte)rng.Next(256), _ => (byte)'x' };
        return (b, $"text '{word}' at {at} edited ({kind})");
    }

    private static readonly string[] Hdf5Words = ["u_sol_all", "t_coord", "x_coord", "y_coord", "pde_info", "known_member", "allen-cahn", "fields", "name", "coef", "u_ic", "amplitude", "fuzz", "dt", "TREE", "HEAP", "SNOD", "OHDR", "OCHK", "GCOL"];

    private static (byte[], string) MutateHdf5(Random rng, byte[] bytes) => rng.Next(10) switch
    {
        0 or 1 or 2 => Flip(rng, bytes),
        3 => Truncate(rng, bytes),
        4 or 5 or 6 => EditNumber(rng, bytes, [1, 2, 3, 5, 8, 16]),
        7 => EditText(rng, bytes, Hdf5Words),
        _ => Structural(rng),
    };

    /// <summary>A file written through PureHDF with parts of the reference layout missing, mistyped or mis-sized.</summary>
    private static (byte[], string) Structural(Random rng)
    {
        var c = rng.Next(2) == 0 ? Content1D() : Content2D();
        var parts = new List<string>();
        var file = new H5File();
        object U() => rng.Next(8) switch
        {
            0 => new H5Dataset(c.Values.Take(c.Values.Length / 2).ToArray(), fileDims: [(ulong)(c.Values.Length / 2)]),
            1 => new H5Dataset(c.Values.Select(x => (int)x).ToArray(), fileDims: c.Shape.Select(x => (ulong)x).ToArray()),
            2 => "not an array",
            _ => new H5Dataset(c.Values, fileDims: c.Shape.Select(x => (ulong)x).ToArray()),
        };
        object Vector(double[] v) => rng.Next(8) switch
        {
            0 => v.Take(Math.Max(0, v.Length - 1)).ToArray(),
            1 => v.Select(x => (long)x).ToArray(),
            2 => v.Select(x => x * x).ToArray(),
            3 => v.Select(_ => double.NaN).ToArray(),
            4 => "text",
            _ => v,
        };
        void Put(string name, Func<object> value) { if (rng.Next(6) == 0) parts.Add($"no {name}"); else file[name] = value(); }
        Put("u_sol_all", U);
        Put("t_coord", () => Vector(c.Times));
        Put("x_coord", () => Vector(c.Coordinates[0]));
        if (c.Coordinates.Length > 1) Put("y_coord", () => Vector(c.Coordinates[1]));
        var info = new H5Group();
        foreach (var (name, value) in c.Scalars)
            if (rng.Next(4) > 0) info[name] = rng.Next(6) switch { 0 => double.NaN, 1 => -value, 2 => "text", _ => value };
        foreach (var (name, value) in c.Notes)
            if (rng.Next(4) > 0) info[name] = rng.Next(6) switch { 0 => "", 1 => "no-such-member", 2 => 3.0, 3 => new[] { "a", "b" }, _ => value };
        file["pde_info"] = info;
        if (rng.Next(3) > 0) file["coef"] = new H5Group { ["u_ic"] = new H5Group { ["amplitude"] = rng.Next(3) == 0 ? new[] { 1.0 } : c.Coefficients["amplitude"] } };
        using var s = new MemoryStream();
        try { file.Write(s); }
        catch (Exception e) when (e is not OutOfMemoryException) { return (Content1DBytes(), $"structural (writer refused: {e.GetType().Name})"); }
        return (s.ToArray(), "structural: " + (parts.Count == 0 ? "edited values" : string.Join(", ", parts)));
    }

    private static byte[] Content1DBytes()
    {
        var tmp = System.IO.Path.GetTempFileName();
        try { Hdf5.Write(tmp, Content1D()); return File.ReadAllBytes(tmp); }
        finally { File.Delete(tmp); }
    }

    private static (byte[], string) MutateNpz(Random rng, byte[] bytes)
    {
        int kind = rng.Next(10);
        if (kind <= 1) return Flip(rng, bytes);
        if (kind == 2) return Truncate(rng, bytes);
        // Entry-level edits: unpack, edit one entry (its .npy header or data), or drop or retype it, and pack again.
        var entries = new List<(string Name, byte[] Data)>();
        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
            foreach (var e in zip.Entries)
            {
                using var es = e.Open();
                using var ms = new MemoryStream();
                es.CopyTo(ms);
                entries.Add((e.FullName, ms.ToArray()));
            }
        int at = rng.Next(entries.Count);
        var (name, data) = entries[at];
        string what;
        switch (kind)
        {
            case 3:
                entries.RemoveAt(at); what = $"entry {name} removed"; break;
            case 4: case 5:
            {
                var header = Encoding.ASCII.GetString(data, 10, Math.Min(data.Length - 10, BitConverter.ToUInt16(data, 8)));
                int open = header.IndexOf("'shape': (", StringComparison.Ordinal);
                int close = open < 0 ? -1 : header.IndexOf(')', open);
                if (close < 0) { what = $"entry {name}: no shape"; break; }
                string shape = rng.Next(5) switch
                {
                    0 => "1000000000, 101, 256, 1", 1 => "", 2 => "-3, 5", 3 => "99999999999999999999,", _ => $"{rng.Next(1, 100)}, {rng.Next(1, 100)}, {Extremes[rng.Next(Extremes.Length)]}, 1",
                };
                var edited = header[..(open + 10)] + shape + header[close..];
                data = Rebuild(data, edited);
                what = $"entry {name}: shape ({shape})";
                entries[at] = (name, data);
                break;
            }
            case 6:
            {
                var header = Encoding.ASCII.GetString(data, 10, Math.Min(data.Length - 10, BitConverter.ToUInt16(data, 8)));
                var descr = new[] { "<f2", "<U0", "<U99999999", "|b1", "<c16", "<i2", "<f4", "<f8", "<i8", "O" }[rng.Next(10)];
                var edited = System.Text.RegularExpressions.Regex.Replace(header, @"'descr': '[^']*'", $"'descr': '{descr}'");
                data = Rebuild(data, edited);
                entries[at] = (name, data);
                what = $"entry {name}: descr {descr}";
                break;
            }
            case 7:
                entries[at] = (name, data[..rng.Next(data.Length)]); what = $"entry {name} truncated"; break;
            case 8:
            {
                var (b, w) = EditNumber(rng, data, [1, 2, 3, 5, 8, 16, 10]);
                entries[at] = (name, b); what = $"entry {name}: {w}"; break;
            }
            default:
            {
                var (b, w) = Flip(rng, data);
                entries[at] = (name, b); what = $"entry {name}: {w}"; break;
            }
        }
        using var outStream = new MemoryStream();
        using (var zip = new ZipArchive(outStream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (n, d) in entries)
            {
                using var es = zip.CreateEntry(n, CompressionLevel.Fastest).Open();
                es.Write(d);
            }
        return (outStream.ToArray(), what);
    }

    /// <summary>An .npy entry with its header text replaced (version 1 layout, length field updated).</summary>
    private static byte[] Rebuild(byte[] npy, string header)
    {
        int oldLength = BitConverter.ToUInt16(npy, 8);
        var h = Encoding.ASCII.GetBytes(header);
        var result = new byte[10 + h.Length + Math.Max(0, npy.Length - 10 - oldLength)];
        Array.Copy(npy, result, 8);
        BitConverter.GetBytes((ushort)h.Length).CopyTo(result, 8);
        h.CopyTo(result, 10);
        if (npy.Length > 10 + oldLength) Array.Copy(npy, 10 + oldLength, result, 10 + h.Length, npy.Length - 10 - oldLength);
        return result;
    }

    private static readonly JsonNode?[] JsonValues =
    [
        -1, 0, 1e308, -1e308, 1e11, 2147483648L, 1.5, -0.0, "NaN", "Infinity", null, "x", true, new JsonArray(), new JsonObject(), 1e-320, 9007199254740993L,
    ];

    private static string MutateModel(Random rng, string dir)
    {
        var json = Path.Combine(dir, ModelJson.JsonFileName);
        var weights = Path.Combine(dir, ModelJson.WeightsFileName);
        int kind = rng.Next(10);
        switch (kind)
        {
            case 0: { var (b, w) = Flip(rng, File.ReadAllBytes(json)); File.WriteAllBytes(json, b); return "model.json: " + w; }
            case 1: { var (b, w) = Truncate(rng, File.ReadAllBytes(json)); File.WriteAllBytes(json, b); return "model.json: " + w; }
            case 2: { var (b, w) = Flip(rng, File.ReadAllBytes(weights)); File.WriteAllBytes(weights, b); return "weights.bin: " + w; }
            case 3: { var (b, w) = Truncate(rng, File.ReadAllBytes(weights)); File.WriteAllBytes(weights, b); return "weights.bin: " + w; }
            case 4:
            {
                // Weights edited with the checksum (and the byte count) updated: NaN, Inf, huge values or other bytes inside.
                var b = File.ReadAllBytes(weights);
                string w;
                if (b.Length > ModelJson.WeightsHeaderBytes + 8 && rng.Next(2) == 0)
                {
                    int at = ModelJson.WeightsHeaderBytes + 8 * rng.Next((b.Length - ModelJson.WeightsHeaderBytes) / 8);
                    double v = new[] { double.NaN, double.PositiveInfinity, 1e300, -1e300, 0.0, 1e-320 }[rng.Next(6)];
                    BitConverter.GetBytes(v).CopyTo(b, at);
                    w = $"weights.bin: {v} at byte {at}, checksum updated";
                }
                else { (b, w) = rng.Next(2) == 0 ? Flip(rng, b) : Truncate(rng, b); w = $"weights.bin: {w}, checksum updated"; }
                File.WriteAllBytes(weights, b);
                var node = JsonNode.Parse(File.ReadAllText(json))!;
                node["weights"]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(b));
                node["weights"]!["bytes"] = b.Length;
                File.WriteAllText(json, node.ToJsonString());
                return w;
            }
            case 5: File.Delete(rng.Next(2) == 0 ? json : weights); return "a file removed";
            default:
            {
                // A JSON-aware edit of one node of model.json: a number, a string, a key removed, a node retyped.
                var root = JsonNode.Parse(File.ReadAllText(json))!;
                var nodes = new List<JsonNode>();
                void Walk(JsonNode? n) { if (n is null) return; nodes.Add(n); if (n is JsonObject o) foreach (var kv in o) Walk(kv.Value); else if (n is JsonArray a) foreach (var x in a) Walk(x); }
                Walk(root);
                var target = nodes[1 + rng.Next(nodes.Count - 1)];
                string path = target.GetPath();
                var parent = target.Parent!;
                if (rng.Next(4) == 0 && parent is JsonObject po)
                {
                    po.Remove(target.GetPropertyName());
                    File.WriteAllText(json, root.ToJsonString());
                    return $"model.json: {path} removed";
                }
                var value = JsonValues[rng.Next(JsonValues.Length)]?.DeepClone();
                if (parent is JsonObject obj) obj[target.GetPropertyName()] = value;
                else if (parent is JsonArray arr) arr[target.GetElementIndex()] = value;
                File.WriteAllText(json, root.ToJsonString());
                return $"model.json: {path} = {value?.ToJsonString() ?? "null"}";
            }
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
