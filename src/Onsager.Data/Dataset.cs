using System.Collections.Immutable;
using System.Diagnostics;
using PureHDF.VOL.Native;

namespace Onsager.Data;

/// <summary>The file layout of a dataset.</summary>
public enum DatasetFormat
{
    /// <summary>One HDF5 file.</summary>
    Hdf5,
    /// <summary>HDF5 shards, each holding a range of samples.</summary>
    Hdf5Shards,
    /// <summary>A numpy .npz archive.</summary>
    Npz,
}

/// <summary>One file of a dataset and the samples [FirstSample, FirstSample + Samples) it holds.</summary>
public sealed record DatasetShard(string Path, long FirstSample, long Samples);

/// <summary>How a dataset is split into training, validation and test data.</summary>
public enum SplitKind
{
    /// <summary>By trajectory (the reference's): whole trajectories go to train (70 %), validation (20 %) or test (the last 10 %).</summary>
    Trajectories,
    /// <summary>In time: every trajectory's first 70 % of frames train, the next 20 % validate, the last 10 % test.</summary>
    Time,
}

/// <summary>Frames [Start, End) of a trajectory.</summary>
public sealed record FrameRange
{
    /// <summary>The first frame.</summary>
    public int Start { get; }
    /// <summary>One past the last frame.</summary>
    public int End { get; }
    /// <summary>The number of frames.</summary>
    public int Count => End - Start;

    /// <summary>Frames [start, end).</summary>
    public FrameRange(int start, int end)
    {
        if (start < 0 || end <= start) throw new ArgumentException($"A frame range needs 0 <= start < end, got [{start}, {end}).");
        Start = start;
        End = end;
    }

    /// <inheritdoc />
    public override string ToString() => $"frames {Start}..{End - 1}";
}

/// <summary>
/// Which trajectories and which of their frames train, validate and test. By trajectory (the reference split: test = the
/// last 10 % in file order, train 70 % and validation 20 % drawn seeded from the rest), each part has whole
/// trajectories; in time, each part has every trajectory and its own range of frames.
/// </summary>
public sealed record DatasetSplit(ImmutableArray<int> Train, ImmutableArray<int> Validation, ImmutableArray<int> Test)
{
    /// <summary>Whether the split is by trajectory or in time.</summary>
    public SplitKind Kind { get; init; } = SplitKind.Trajectories;
    /// <summary>Frames of the training trajectories that training may use (all of them in a split by trajectory).</summary>
    public FrameRange? TrainFrames { get; init; }
    /// <summary>Frames the validation trajectories use.</summary>
    public FrameRange? ValidationFrames { get; init; }
    /// <summary>Frames the test trajectories use.</summary>
    public FrameRange? TestFrames { get; init; }

    /// <summary>The split's name as run.json and evaluation.json record it: "trajectories" or "time".</summary>
    public string Name => Kind switch
    {
        SplitKind.Trajectories => "trajectories",
        SplitKind.Time => "time",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown split kind"),
    };

    /// <summary>"trajectories" or "time" to a kind (null for null); a usage error names the choices.</summary>
    public static SplitKind? Parse(string? name) => name switch
    {
        null => null,
        "trajectories" => SplitKind.Trajectories,
        "time" => SplitKind.Time,
        _ => throw new ArgumentException($"A split is 'time' or 'trajectories', got '{name}'."),
    };

    /// <summary>One line saying what the split holds.</summary>
    public string Describe() => Kind switch
    {
        SplitKind.Trajectories => $"split by trajectory: {Train.Length} train, {Validation.Length} validation, {Test.Length} test trajectories",
        SplitKind.Time => $"split in time: {Train.Length} trajector{(Train.Length == 1 ? "y" : "ies")}, train {TrainFrames}, validation {ValidationFrames}, test {TestFrames}",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown split kind"),
    };
}

/// <summary>
/// A dataset's validated metadata (immutable): one HDF5 file, a folder of HDF5 shards with the same layout, or an .npz.
/// Open with <see cref="Open"/>; read values with <see cref="DatasetReader"/>.
/// </summary>
public sealed record Dataset(
    string Path,
    DatasetFormat Format,
    ImmutableArray<DatasetShard> Shards,
    ImmutableArray<long> Shape,
    ImmutableArray<double> Times,
    ImmutableArray<ImmutableArray<double>> Coordinates,
    ImmutableSortedDictionary<string, double> Scalars,
    ImmutableSortedDictionary<string, string> Notes,
    ImmutableArray<string> CoefficientNames)
{
    /// <summary>The number of trajectories.</summary>
    public long Samples => Shape[0];
    /// <summary>The number of frames per trajectory.</summary>
    public int Frames => (int)Shape[1];
    /// <summary>The number of fields.</summary>
    public int Fields => (int)Shape[^1];
    /// <summary>The number of grid points along each axis.</summary>
    public ImmutableArray<int> Points => Shape.Skip(2).Take(Shape.Length - 3).Select(x => (int)x).ToImmutableArray();
    /// <summary>Values per trajectory (frames x sites x fields).</summary>
    public long SampleSize => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
    /// <summary>Values per frame (sites x fields).</summary>
    public long FrameSize => Shape.Skip(2).Aggregate(1L, (a, b) => a * b);
    /// <summary>The time between frames.</summary>
    public double Dt => Times.Length > 1 ? Validation.Spacing(Times) : Scalars.GetValueOrDefault("dt", double.NaN);
    /// <summary>Domain lengths L = N * spacing per axis (x_j = x_0 + j L / N).</summary>
    public ImmutableArray<double> Lengths => Coordinates.Select(x => x.Length * Validation.Spacing(x)).ToImmutableArray();
    /// <summary>First grid coordinate x_0 per axis (the dynamics do not depend on it; writers keep it).</summary>
    public ImmutableArray<double> Origins => Coordinates.Select(x => x[0]).ToImmutableArray();
    /// <summary>The domain length along the first axis.</summary>
    public double DomainLength => Lengths[0];
    /// <summary>The dataset's grid.</summary>
    public Grid Grid => new(Lengths, Points);
    /// <summary>The dataset's name (from its notes, else the file name).</summary>
    public string Name => Notes.TryGetValue("name", out var n) && !string.IsNullOrEmpty(n) ? n : System.IO.Path.GetFileNameWithoutExtension(Path);
    /// <summary>pde_info/known_member: null when absent or empty; a <see cref="DatasetException"/> naming the file and the field when not a known member.</summary>
    public string? KnownMember => Notes.TryGetValue("known_member", out var k) && !string.IsNullOrEmpty(k)
        ? KnownMembers.Names.Contains(k) ? k : throw new DatasetException(Path, $"pde_info/known_member '{k}' is not a known member (known: {string.Join(", ", KnownMembers.Names)})")
        : null;
    /// <summary>pde_info/fields split at commas when it names every field (none empty), else field0, field1, ...</summary>
    public ImmutableArray<string> FieldNames => Notes.TryGetValue("fields", out var f) && f is not null && f.Split(',') is var names
                                                && names.Length == Fields && names.All(n => n.Length > 0)
        ? [.. names] : Enumerable.Range(0, Fields).Select(i => $"field{i}").ToImmutableArray();

    /// <summary>The reference train/validation/test split.</summary>
    public DatasetSplit ReferenceSplit(int seed = 0) => Split(checked((int)Samples), seed) with
    {
        TrainFrames = new FrameRange(0, Frames), ValidationFrames = new FrameRange(0, Frames), TestFrames = new FrameRange(0, Frames),
    };

    /// <summary>A split by trajectory needs this many trajectories (7 train, 2 validation, 1 test); fewer are split in time.</summary>
    public const int TrajectoriesForSplit = 10;

    /// <summary>The split a dataset gets when none is asked for: by trajectory from <see cref="TrajectoriesForSplit"/> trajectories on, else in time.</summary>
    public SplitKind DefaultSplit => Samples >= TrajectoriesForSplit ? SplitKind.Trajectories : SplitKind.Time;

    /// <summary>The split of the given kind (the data's default when null); see <see cref="SplitInTime"/> and <see cref="ReferenceSplit"/>.</summary>
    public DatasetSplit SplitBy(SplitKind? kind = null, int seed = 0) => (kind ?? DefaultSplit) switch
    {
        SplitKind.Trajectories => ReferenceSplit(seed),
        SplitKind.Time => SplitInTime(),
        var k => throw new ArgumentOutOfRangeException(nameof(kind), k, "unknown split kind"),
    };

    /// <summary>
    /// Every trajectory in every part: frames [0, 0.7 T) train, [0.7 T, 0.9 T) validate and [0.9 T, T) test (rounded), so no
    /// frame that is predicted in one part is seen in another. Each part needs at least 2 frames (one step).
    /// </summary>
    public DatasetSplit SplitInTime()
    {
        int t = Frames, trainEnd = (int)Math.Round(0.7 * t), validationEnd = (int)Math.Round(0.9 * t);
        if (trainEnd < 2 || validationEnd - trainEnd < 2 || t - validationEnd < 2)
            throw new DatasetException(Path, $"a split in time needs at least 2 frames in each of train (70 %), validation (20 %) and test (10 %); the trajectories have {t} frames");
        var all = Enumerable.Range(0, checked((int)Samples)).ToImmutableArray();
        return new DatasetSplit(all, all, all)
        {
            Kind = SplitKind.Time, TrainFrames = new FrameRange(0, trainEnd), ValidationFrames = new FrameRange(trainEnd, validationEnd),
            TestFrames = new FrameRange(validationEnd, t),
        };
    }

    /// <summary>
    /// Test = the last floor(n/10) trajectories in file order; validation = round(0.2 n) drawn with a seeded shuffle of the
    /// rest, train = the remainder (about 70 %). Index lists are sorted.
    /// </summary>
    public static DatasetSplit Split(int samples, int seed = 0)
    {
        if (samples < 3) throw new ArgumentException($"A split needs at least 3 trajectories, got {samples}.");
        int test = Math.Max(1, samples / 10);
        int validation = Math.Max(1, (int)Math.Round(0.2 * samples));
        int rest = samples - test;
        if (validation >= rest) validation = rest - 1;
        var order = Enumerable.Range(0, rest).ToArray();
        var rng = Rng.For("split", seed, samples);
        for (int i = rest - 1; i > 0; i--) { int j = rng.NextInt(0, i); (order[i], order[j]) = (order[j], order[i]); }
        return new DatasetSplit(
            order.Skip(validation).Order().ToImmutableArray(),
            order.Take(validation).Order().ToImmutableArray(),
            Enumerable.Range(rest, test).ToImmutableArray());
    }

    /// <summary>
    /// Opens and validates a dataset: metadata always; with <paramref name="checkValues"/> every value is scanned for NaN
    /// and infinity (streamed, sample block by block). Throws <see cref="DatasetException"/> naming the file and the problem.
    /// </summary>
    public static Dataset Open(string path, bool checkValues = true, CancellationToken cancel = default)
    {
        Dataset d;
        if (Directory.Exists(path)) d = OpenShards(path);
        else if (!File.Exists(path)) throw new DatasetException(path, "file or folder not found");
        else if (IsZip(path)) d = OpenNpz(path);
        else d = OpenHdf5(path);
        if (checkValues)
        {
            using var reader = new DatasetReader(d);
            reader.CheckFinite(cancel);
        }
        return d;
    }

    private static bool IsZip(string path)
    {
        using var s = File.OpenRead(path);
        Span<byte> b = stackalloc byte[4];
        return s.ReadAtLeast(b, 4, false) == 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4;
    }

    private static Dataset FromMeta(string path, DatasetFormat format, IReadOnlyList<Hdf5.FileMeta> metas)
    {
        var first = metas[0];
        var shards = ImmutableArray.CreateBuilder<DatasetShard>();
        long total = 0;
        foreach (var m in metas)
        {
            if (m.Shape.Length != first.Shape.Length || !m.Shape.Skip(1).SequenceEqual(first.Shape.Skip(1)))
                throw new DatasetException(m.Path, $"shard shape ({string.Join(", ", m.Shape)}) disagrees with {first.Path} ({string.Join(", ", first.Shape)}) beyond the sample axis");
            if (!m.Times.SequenceEqual(first.Times)) throw new DatasetException(m.Path, $"'t_coord' disagrees with {first.Path}");
            for (int a = 0; a < m.Coordinates.Length; a++)
                if (!m.Coordinates[a].SequenceEqual(first.Coordinates[a])) throw new DatasetException(m.Path, $"grid coordinates disagree with {first.Path}");
            shards.Add(new DatasetShard(m.Path, total, m.Shape[0]));
            total += m.Shape[0];
        }
        var shape = first.Shape.SetItem(0, total);
        return new Dataset(path, format, shards.ToImmutable(), shape, [.. first.Times],
            first.Coordinates.Select(c => c.ToImmutableArray()).ToImmutableArray(), first.Scalars, first.Notes, first.CoefficientNames);
    }

    private static Dataset OpenHdf5(string path)
    {
        using var f = Hdf5.Open(path);
        return FromMeta(path, DatasetFormat.Hdf5, [Hdf5.ReadMeta(f, path)]);
    }

    private static Dataset OpenShards(string folder)
    {
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".h5") || f.EndsWith(".hdf5")).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new DatasetException(folder, "folder holds no shard files (*.h5)");
        var metas = files.Select(p => { using var f = Hdf5.Open(p); return Hdf5.ReadMeta(f, p); }).ToList();
        return FromMeta(folder, DatasetFormat.Hdf5Shards, metas);
    }

    private static Dataset OpenNpz(string path)
    {
        var arrays = Npy.ReadNpz(path);
        var meta = NpzLayout.Meta(path, arrays);
        return FromMeta(path, DatasetFormat.Npz, [meta]);
    }

    /// <summary>The grid as the file gives it: "[x0, x0 + L) with N = n" per axis.</summary>
    public string GridText => "periodic " + string.Join(" x ", Coordinates.Select((x, a) => $"[{x[0]:G6}, {x[0] + Lengths[a]:G6})")) +
                              $" with {string.Join(" x ", Points)} points";

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name}: {Format} '{Path}', shape ({string.Join(", ", Shape)}), dt {Dt:G6}, grid {GridText}";
}

/// <summary>The reference layout inside an .npz: u_sol_all, t_coord, x_coord[, y_coord], coef/u_ic/NAME, pde_info/NAME.</summary>
public static class NpzLayout
{
    /// <summary>Writes the content as an .npz file.</summary>
    public static void Write(string path, DatasetContent c)
    {
        var entries = new List<KeyValuePair<string, NpyArray>>
        {
            new("u_sol_all", new NpyArray([.. c.Shape], c.Values)),
            new("t_coord", NpyArray.Of(c.Times, c.Times.Length)),
            new("x_coord", NpyArray.Of(c.Coordinates[0], c.Coordinates[0].Length)),
        };
        if (c.Coordinates.Length > 1) entries.Add(new("y_coord", NpyArray.Of(c.Coordinates[1], c.Coordinates[1].Length)));
        foreach (var (name, m) in c.Coefficients)
            entries.Add(new($"coef/u_ic/{name}", NpyArray.Of(m.Cast<double>().ToArray(), m.GetLength(0), m.GetLength(1))));
        foreach (var (name, x) in c.Scalars) entries.Add(new($"pde_info/{name}", NpyArray.Scalar(x)));
        foreach (var (name, s) in c.Notes) entries.Add(new($"pde_info/{name}", NpyArray.Text(s)));
        foreach (var (name, a) in c.Diagnostics) entries.Add(new($"diagnostics/{name}", a));
        Npy.WriteNpz(path, entries);
    }

    internal static Hdf5.FileMeta Meta(string path, ImmutableSortedDictionary<string, NpyArray> a)
    {
        if (!a.TryGetValue("u_sol_all", out var u)) throw new DatasetException(path, "missing dataset 'u_sol_all'");
        if (u.Data is not (float[] or double[])) throw new DatasetException(path, $"unsupported dtype of 'u_sol_all': {u.Descr} (expected float32 or float64)");
        if (u.Shape.Length is not (4 or 5)) throw new DatasetException(path, $"wrong rank of 'u_sol_all': {u.Shape.Length}");
        if (u.Shape.Any(d => d < 1)) throw new DatasetException(path, $"empty axis in 'u_sol_all' shape ({string.Join(", ", u.Shape)})");
        Hdf5.CheckBudget(path, $"one trajectory of 'u_sol_all' (shape ({string.Join(", ", u.Shape)}))", u.Shape.Skip(1).Aggregate(1.0, (x, y) => x * y) * sizeof(float));
        var t = Vector(path, a, "t_coord");
        if (t.Length != u.Shape[1]) throw new DatasetException(path, $"'t_coord' has {t.Length} entries but 'u_sol_all' has {u.Shape[1]} frames");
        Validation.UniformTimes(path, t);
        string[] names = u.Shape.Length == 4 ? ["x_coord"] : ["x_coord", "y_coord"];
        var coords = ImmutableArray.CreateBuilder<double[]>();
        for (int i = 0; i < names.Length; i++)
        {
            var x = Vector(path, a, names[i]);
            if (x.Length != u.Shape[2 + i]) throw new DatasetException(path, $"'{names[i]}' has {x.Length} entries but axis {2 + i} of 'u_sol_all' has {u.Shape[2 + i]}");
            Validation.PeriodicGrid(path, names[i], x);
            coords.Add(x);
        }
        var scalars = a.Where(kv => kv.Key.StartsWith("pde_info/") && kv.Value.Data is not string[] && kv.Value.Count == 1)
            .ToImmutableSortedDictionary(kv => kv.Key["pde_info/".Length..], kv => kv.Value.AsDoubles()[0], StringComparer.Ordinal);
        var notes = a.Where(kv => kv.Key.StartsWith("pde_info/") && kv.Value.Data is string[] { Length: 1 } s && s[0] is not null)
            .ToImmutableSortedDictionary(kv => kv.Key["pde_info/".Length..], kv => ((string[])kv.Value.Data)[0], StringComparer.Ordinal);
        Validation.DomainLength(path, coords, scalars);
        Validation.TimeStep(path, t, scalars);
        var coefs = a.Keys.Where(k => k.StartsWith("coef/u_ic/")).Select(k => k["coef/u_ic/".Length..]).ToImmutableArray();
        return new Hdf5.FileMeta(path, u.Shape, u.Data is double[], t, coords.ToImmutable(), scalars, notes, coefs);
    }

    /// <summary>A numeric vector entry (t_coord, x_coord, y_coord), or an error naming it.</summary>
    private static double[] Vector(string path, ImmutableSortedDictionary<string, NpyArray> a, string name)
    {
        if (!a.TryGetValue(name, out var v)) throw new DatasetException(path, $"missing dataset '{name}'");
        if (v.Data is string[]) throw new DatasetException(path, $"'{name}' holds text, not numbers");
        if (v.Shape.Length != 1) throw new DatasetException(path, $"wrong rank of '{name}': {v.Shape.Length}, expected 1");
        return v.AsDoubles();
    }
}

/// <summary>
/// Reads values of a <see cref="Dataset"/>: windows of consecutive frames, whole trajectories, IC coefficients. HDF5 data
/// is read from disk on demand: a file (or shard) of at most <see cref="WholeFileBytes"/> is read whole and the last one
/// read is kept, larger files by hyperslabs; an .npz is held in memory. Thread-safe (reads are serialised).
/// </summary>
public sealed class DatasetReader : IDisposable
{
    /// <summary>The dataset read.</summary>
    public Dataset Dataset { get; }
    private readonly NativeFile?[] files;
    private readonly Hdf5.FileMeta?[] metas;
    private readonly ImmutableSortedDictionary<string, NpyArray>? npz;
    private readonly object gate = new();
    private readonly long wholeFileBytes;
    private (int Index, float[] Values)? whole;

    /// <summary>Files (or shards) up to this size are read whole: PureHDF reads a whole dataset about 10x faster than one
    /// of its trajectories as a hyperslab (see <see cref="Hdf5.ReadAll"/>). A shard of <see cref="DatasetWriter"/> is 256 MB.</summary>
    public const long WholeFileBytes = 512L << 20;

    /// <param name="dataset">The dataset to read.</param>
    /// <param name="wholeFileBytes">Files up to this size (as float32) are read whole and the last one kept; 0 reads every
    /// request as a hyperslab.</param>
    public DatasetReader(Dataset dataset, long wholeFileBytes = WholeFileBytes)
    {
        Dataset = dataset;
        this.wholeFileBytes = wholeFileBytes;
        files = new NativeFile?[dataset.Shards.Length];
        metas = new Hdf5.FileMeta?[dataset.Shards.Length];
        if (dataset.Format == DatasetFormat.Npz) npz = Npy.ReadNpz(dataset.Path);
    }

    /// <summary>Opens and validates a dataset for reading; with <paramref name="checkValues"/> this reader scans every value
    /// for NaN and infinity, so the file it read last (a small dataset: the whole of it) stays loaded for the reads after.</summary>
    public static DatasetReader Open(string path, bool checkValues = false)
    {
        var reader = new DatasetReader(Dataset.Open(path, checkValues: false));
        if (!checkValues) return reader;
        try { reader.CheckFinite(); }
        catch { reader.Dispose(); throw; }
        return reader;
    }

    private (DatasetShard Shard, int Index) Locate(long sample)
    {
        if (sample < 0 || sample >= Dataset.Samples) throw new ArgumentOutOfRangeException(nameof(sample), $"Sample {sample} outside [0, {Dataset.Samples}).");
        for (int i = 0; i < Dataset.Shards.Length; i++)
        {
            var s = Dataset.Shards[i];
            if (sample < s.FirstSample + s.Samples) return (s, i);
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Frames [frame, frame + count) of one trajectory, layout (frames, sites..., fields).</summary>
    public float[] ReadFrames(long sample, int frame, int count)
    {
        if (frame < 0 || count < 1 || frame + count > Dataset.Frames)
            throw new ArgumentOutOfRangeException(nameof(frame), $"Frames {frame}..{frame + count - 1} outside [0, {Dataset.Frames}).");
        return ReadSamples(sample, 1, frame, count);
    }

    /// <summary>A window of <paramref name="length"/> consecutive frames (the reference trains on 11).</summary>
    public float[] ReadWindow(long sample, int start, int length = 11) => ReadFrames(sample, start, length);

    /// <summary>The whole trajectory of a sample.</summary>
    public float[] ReadTrajectory(long sample) => ReadFrames(sample, 0, Dataset.Frames);

    /// <summary>Samples [sample, sample + count) (within one shard or across shards), frames [frame, frame + frames).</summary>
    public float[] ReadSamples(long sample, int count, int frame, int frames)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count));
        var result = new float[count * frames * Dataset.FrameSize];
        long done = 0;
        while (done < count)
        {
            var (shard, index) = Locate(sample + done);
            long local = sample + done - shard.FirstSample;
            long take = Math.Min(count - done, shard.Samples - local);
            float[] block;
            if (npz is not null) block = Slice(npz["u_sol_all"].AsFloats(), local, take, frame, frames);
            else
            {
                lock (gate)
                {
                    var f = files[index] ??= Hdf5.Open(shard.Path);
                    var meta = metas[index] ??= Hdf5.ReadMeta(f, shard.Path);
                    if (shard.Samples * Dataset.SampleSize * sizeof(float) <= wholeFileBytes)
                    {
                        if (whole is not { } w || w.Index != index) whole = (index, Hdf5.ReadAll(f, meta));
                        block = Slice(whole.Value.Values, local, take, frame, frames);
                    }
                    else block = Hdf5.ReadBlock(f, meta, local, take, frame, frames);
                }
            }
            block.CopyTo(result, done * frames * Dataset.FrameSize);
            done += take;
        }
        return result;
    }

    /// <summary>Samples [local, local + count), frames [frame, frame + frames) of a file's values held in memory.</summary>
    private float[] Slice(float[] all, long local, long count, int frame, int frames)
    {
        long run = frames * Dataset.FrameSize;
        var block = new float[count * run];
        for (long s = 0; s < count; s++)
            Array.Copy(all, (local + s) * Dataset.SampleSize + frame * Dataset.FrameSize, block, s * run, run);
        return block;
    }

    /// <summary>A window of consecutive frames of one trajectory.</summary>
    public sealed record Window(long Sample, int Start, float[] Values);

    /// <summary>
    /// Streams every window of <paramref name="length"/> consecutive frames (start frames 0, stride, 2 stride, ...) of the
    /// given trajectories, reading one trajectory at a time from disk.
    /// </summary>
    public IEnumerable<Window> Windows(IEnumerable<long> samples, int length = 11, int stride = 1)
    {
        if (length < 1 || length > Dataset.Frames) throw new ArgumentOutOfRangeException(nameof(length), $"Window length {length} outside [1, {Dataset.Frames}].");
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride));
        long frameSize = Dataset.FrameSize;
        foreach (var s in samples)
        {
            var trajectory = ReadTrajectory(s);
            for (int start = 0; start + length <= Dataset.Frames; start += stride)
                yield return new Window(s, start, trajectory.AsSpan((int)(start * frameSize), (int)(length * frameSize)).ToArray());
        }
    }

    /// <summary>Scans every value for NaN or infinity in blocks of at most ~32 MB; throws with the first bad index.</summary>
    public void CheckFinite(CancellationToken cancel = default)
    {
        long perBlock = Math.Max(1, (32L << 20) / 4 / Dataset.SampleSize);
        foreach (var shard in Dataset.Shards)
            for (long s = 0; s < shard.Samples; s += perBlock)
            {
                cancel.ThrowIfCancellationRequested();
                int take = (int)Math.Min(perBlock, shard.Samples - s);
                var block = ReadSamples(shard.FirstSample + s, take, 0, Dataset.Frames);
                try { Validation.Finite(shard.Path, block, s, Dataset.Shape.SetItem(0, shard.Samples)); }
                catch (DatasetException e) when (Dataset.Shards.Length > 1)
                {
                    throw new DatasetException(e.File, e.Problem + $" (sample {shard.FirstSample + s} onwards of the whole dataset)");
                }
            }
    }

    /// <summary>An IC coefficient array coef/u_ic/NAME, (samples, length), concatenated over shards.</summary>
    public double[,] Coefficient(string name)
    {
        if (npz is not null)
        {
            if (!npz.TryGetValue($"coef/u_ic/{name}", out var a)) throw new DatasetException(Dataset.Path, $"missing dataset 'coef/u_ic/{name}'");
            if (a.Data is string[] || a.Shape.Length is not (1 or 2))
                throw new DatasetException(Dataset.Path, $"'coef/u_ic/{name}' is not a numeric (samples, length) array (shape ({string.Join(", ", a.Shape)}))");
            var d = a.AsDoubles();
            int rows = (int)a.Shape[0], cols = a.Shape.Length > 1 ? (int)a.Shape[1] : 1;
            var m = new double[rows, cols];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = d[i * cols + j];
            return m;
        }
        var parts = new List<double[,]>();
        lock (gate)
            for (int i = 0; i < Dataset.Shards.Length; i++)
            {
                var f = files[i] ??= Hdf5.Open(Dataset.Shards[i].Path);
                parts.Add(Hdf5.ReadCoefficient(f, Dataset.Shards[i].Path, name));
            }
        int width = parts[0].GetLength(1), total = parts.Sum(p => p.GetLength(0)), row = 0;
        var result = new double[total, width];
        foreach (var p in parts)
        {
            for (int i = 0; i < p.GetLength(0); i++, row++) for (int j = 0; j < width; j++) result[row, j] = p[i, j];
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
            for (int i = 0; i < files.Length; i++) { files[i]?.Dispose(); files[i] = null; }
    }
}

/// <summary>What <see cref="DatasetWriter.Generate"/> wrote.</summary>
public sealed record WriteResult(string Path, DatasetFormat Format, ImmutableArray<string> Files, long Samples, long Bytes, TimeSpan Elapsed);

/// <summary>Generates a recipe's dataset into a file (HDF5 or .npz) or, when larger than one shard, a folder of HDF5 shards.</summary>
public static class DatasetWriter
{
    /// <summary>The largest shard (bytes of u_sol_all).</summary>
    public const long DefaultShardBytes = 256L << 20;

    /// <summary>Generates samples of the recipe into a dataset file.</summary>
    public static WriteResult Generate(Recipe recipe, long samples, long seed, string path, GenerationOptions? options = null,
        IProgress<GenerationProgress>? progress = null, CancellationToken cancel = default, long shardBytes = DefaultShardBytes)
    {
        if (samples < 1) throw new ArgumentException($"Need at least one sample, got {samples}.");
        var clock = Stopwatch.StartNew();
        long bytesPerSample = (long)recipe.Frames * recipe.Grid.Sites * recipe.Fields * sizeof(float);
        bool npz = path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);
        long perShard = Math.Max(1, shardBytes / bytesPerSample);
        if (npz || samples <= perShard)
        {
            if (samples * bytesPerSample > Array.MaxLength) throw new ArgumentException($"{samples} samples ({samples * bytesPerSample >> 20} MB) are too many for one file; write HDF5 shards instead of .npz.");
            var block = Generators.Generate(recipe, seed, 0, (int)samples, options, progress, cancel);
            var content = DatasetContent.From(block);
            if (npz) NpzLayout.Write(path, content); else Hdf5.Write(path, content);
            return new WriteResult(path, npz ? DatasetFormat.Npz : DatasetFormat.Hdf5, [path], samples, new FileInfo(path).Length, clock.Elapsed);
        }
        var full = System.IO.Path.GetFullPath(path.TrimEnd('/'));
        if (File.Exists(full)) throw new ArgumentException($"'{path}' is a file, but {samples} samples need a folder of shards ({perShard} samples each).");
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any(e => !System.IO.Path.GetFileName(e).StartsWith("shard-")))
            throw new ArgumentException($"'{path}' is a folder with other files than shards; refusing to replace it.");
        var parent = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        Temporary.CleanStale(full);
        var tmp = Temporary.Sibling(full, "tmp");
        Directory.CreateDirectory(tmp);
        var names = new List<string>();
        try
        {
            int shardCount = (int)((samples + perShard - 1) / perShard);
            for (int s = 0; s < shardCount; s++)
            {
                long start = s * perShard;
                int count = (int)Math.Min(perShard, samples - start);
                var block = Generators.Generate(recipe, seed, start, count, options, progress, cancel, progressOffset: start, progressTotal: samples);
                var name = $"shard-{s:D5}.h5";
                Hdf5.Write(System.IO.Path.Combine(tmp, name), DatasetContent.From(block));
                names.Add(name);
            }
            if (Directory.Exists(full))
            {
                var old = Temporary.Sibling(full, "old");
                Directory.Move(full, old);
                Directory.Move(tmp, full);
                Directory.Delete(old, true);
            }
            else Directory.Move(tmp, full);
        }
        catch
        {
            try { Directory.Delete(tmp, true); } catch (IOException) { }
            throw;
        }
        var files = names.Select(n => System.IO.Path.Combine(full, n)).ToImmutableArray();
        return new WriteResult(full, DatasetFormat.Hdf5Shards, files, samples, files.Sum(f => new FileInfo(f).Length), clock.Elapsed);
    }
}
