using System.Collections.Immutable;
using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace Onsager.Data;

/// <summary>HDF5 files in the reference layout through PureHDF (pure managed).</summary>
public static class Hdf5
{
    /// <summary>The HDF5 file signature.</summary>
    public static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes the content atomically (temporary file in the same folder, then moved over the target).</summary>
    public static void Write(string path, DatasetContent c)
    {
        if (c.Values.LongLength != c.Samples * c.SampleSize) throw new ArgumentException("Values do not match the shape.");
        var file = new H5File
        {
            ["u_sol_all"] = new H5Dataset(c.Values, fileDims: c.Shape.Select(x => (ulong)x).ToArray()),
            ["t_coord"] = c.Times,
            ["x_coord"] = c.Coordinates[0],
        };
        if (c.Coordinates.Length > 1) file["y_coord"] = c.Coordinates[1];
        var uic = new H5Group();
        foreach (var (name, values) in c.Coefficients) uic[name] = values;
        file["coef"] = new H5Group { ["u_ic"] = uic };
        var info = new H5Group();
        foreach (var (name, value) in c.Scalars) info[name] = value;
        foreach (var (name, value) in c.Notes) info[name] = value;
        file["pde_info"] = info;
        if (c.Diagnostics.Count > 0)
        {
            var diagnostics = new H5Group();
            foreach (var (name, a) in c.Diagnostics) diagnostics[name] = new H5Dataset(a.AsDoubles(), fileDims: a.Shape.Select(x => (ulong)x).ToArray());
            file["diagnostics"] = diagnostics;
        }
        Atomic.WriteFile(path, s => file.Write(s));
    }

    /// <summary>Checks the signature and the superblock's end-of-file address against the file length.</summary>
    public static void CheckContainer(string path)
    {
        if (!File.Exists(path)) throw new DatasetException(path, "file not found");
        using var s = File.OpenRead(path);
        var head = new byte[64];
        int n = s.ReadAtLeast(head, head.Length, false);
        if (n < 8 || !head.AsSpan(0, 8).SequenceEqual(Signature))
            throw new DatasetException(path, n == 0 ? "empty file, not HDF5" : "not an HDF5 file (no HDF5 signature at offset 0)");
        if (n < 12) throw new DatasetException(path, "truncated HDF5 file (superblock incomplete)");
        int version = head[8];
        int offsets, eofAt;
        switch (version)
        {
            case 0: case 1:
                offsets = head[13];
                eofAt = 24 + (version == 1 ? 4 : 0) + 2 * offsets;
                break;
            case 2: case 3:
                offsets = head[9];
                eofAt = 12 + 2 * offsets;
                break;
            default: throw new DatasetException(path, $"unsupported HDF5 superblock version {version}");
        }
        if (offsets is not (2 or 4 or 8) || n < eofAt + offsets) throw new DatasetException(path, "truncated or corrupt HDF5 superblock");
        ulong eof = 0;
        for (int i = 0; i < offsets; i++) eof |= (ulong)head[eofAt + i] << (8 * i);
        if ((ulong)s.Length < eof) throw new DatasetException(path, $"truncated HDF5 file: {s.Length} bytes on disk, the superblock says {eof}");
    }

    /// <summary>The metadata of one HDF5 file, validated (values are not read).</summary>
    internal sealed record FileMeta(string Path, ImmutableArray<long> Shape, bool Float64, double[] Times, ImmutableArray<double[]> Coordinates,
        ImmutableSortedDictionary<string, double> Scalars, ImmutableSortedDictionary<string, string> Notes, ImmutableArray<string> CoefficientNames);

    internal static NativeFile Open(string path)
    {
        CheckContainer(path);
        try { return H5File.OpenRead(path); }
        catch (Exception e) when (e is not DatasetException) { throw new DatasetException(path, $"cannot be read as HDF5: {e.Message}", e); }
    }

    /// <summary>The most bytes one read of a dataset's values may allocate: one trajectory (or a coordinate array) larger
    /// than this is refused before anything is read. Half the memory available to the process, at most what one float32
    /// array can hold.</summary>
    public static long MemoryBudget => Math.Min((long)Array.MaxLength * sizeof(float), Math.Max(1L << 28, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2));

    /// <summary>How many times its size in the file a compressed (chunked) dataset may declare: deflate of constant data
    /// reaches about 1000.</summary>
    private const double CompressionBound = 1100;

    /// <summary>
    /// Checks a dataset's declared shape against the file before anything is read: every extent at least 1 and below
    /// 2^53, and its bytes no more than the file holds (contiguous or compact storage) or could hold compressed
    /// (chunked storage, <see cref="CompressionBound"/> times the file). A corrupt shape (a flipped bit, 1e9 samples in a
    /// 19 KB file) is thus an error at once, not minutes of reading fill values.
    /// </summary>
    internal static void CheckExtent(string path, string name, IH5Dataset d)
    {
        var dims = d.Space.Dimensions;
        string shape = $"({string.Join(", ", dims)})";
        if (dims.Any(x => x > (1UL << 53))) throw new DatasetException(path, $"'{name}' declares an impossible shape {shape}: a corrupt file");
        double bytes = dims.Aggregate(1.0, (a, x) => a * x) * Math.Max(1, (int)d.Type.Size);
        long fileBytes = new FileInfo(path).Length;
        bool stored = d.Layout.Class is H5DataLayoutClass.Compact or H5DataLayoutClass.Contiguous;
        if (stored ? bytes > fileBytes : bytes > CompressionBound * fileBytes)
            throw new DatasetException(path, $"'{name}' declares shape {shape} ({bytes:G4} bytes), more than the file's {fileBytes} bytes {(stored ? "hold" : "could hold compressed")}: a corrupt or truncated file");
    }

    /// <summary>Throws when one read of <paramref name="bytes"/> would exceed <see cref="MemoryBudget"/>.</summary>
    internal static void CheckBudget(string path, string what, double bytes)
    {
        if (bytes > MemoryBudget)
            throw new DatasetException(path, $"{what} needs {bytes / (1 << 20):F0} MB in memory, more than the budget of {MemoryBudget >> 20} MB");
    }

    internal static FileMeta ReadMeta(NativeFile f, string path)
    {
        try
        {
            if (!f.LinkExists("u_sol_all")) throw new DatasetException(path, "missing dataset 'u_sol_all'");
            var u = f.Dataset("u_sol_all");
            if (u.Type.Class != H5DataTypeClass.FloatingPoint || u.Type.Size is not (4 or 8))
                throw new DatasetException(path, $"unsupported dtype of 'u_sol_all': {u.Type.Class} of {u.Type.Size} bytes (expected float32 or float64)");
            CheckExtent(path, "u_sol_all", u);
            var dims = u.Space.Dimensions.Select(x => (long)x).ToImmutableArray();
            if (dims.Length is not (4 or 5))
                throw new DatasetException(path, $"wrong rank of 'u_sol_all': {dims.Length} (shape ({string.Join(", ", dims)})); expected (samples, frames, N, fields) or (samples, frames, Nx, Ny, fields)");
            if (dims.Any(d => d < 1)) throw new DatasetException(path, $"empty axis in 'u_sol_all' shape ({string.Join(", ", dims)})");
            CheckBudget(path, $"one trajectory of 'u_sol_all' (shape ({string.Join(", ", dims)}))", dims.Skip(1).Aggregate(1.0, (a, x) => a * x) * sizeof(float));
            var t = ReadVector(f, path, "t_coord");
            if (t.Length != dims[1]) throw new DatasetException(path, $"'t_coord' has {t.Length} entries but 'u_sol_all' has {dims[1]} frames");
            Validation.UniformTimes(path, t);
            var coords = ImmutableArray.CreateBuilder<double[]>();
            string[] names = dims.Length == 4 ? ["x_coord"] : ["x_coord", "y_coord"];
            for (int a = 0; a < names.Length; a++)
            {
                var x = ReadVector(f, path, names[a]);
                if (x.Length != dims[2 + a]) throw new DatasetException(path, $"'{names[a]}' has {x.Length} entries but axis {2 + a} of 'u_sol_all' has {dims[2 + a]}");
                Validation.PeriodicGrid(path, names[a], x);
                coords.Add(x);
            }
            var scalars = ImmutableSortedDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
            var notes = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (f.LinkExists("pde_info"))
                foreach (var child in f.Group("pde_info").Children())
                {
                    if (child is not IH5Dataset d) continue;
                    if (d.Type.Class == H5DataTypeClass.FloatingPoint && d.Space.Dimensions.Length == 0) scalars[child.Name] = d.Read<double>();
                    else if (d.Type.Class == H5DataTypeClass.FixedPoint && d.Space.Dimensions.Length == 0) scalars[child.Name] = d.Read<long>();
                    else if (d.Type.Class is H5DataTypeClass.String or H5DataTypeClass.VariableLength && d.Space.Dimensions.Length == 0 && d.Read<string>() is { } note) notes[child.Name] = note;
                }
            Validation.DomainLength(path, coords, scalars);
            Validation.TimeStep(path, t, scalars);
            var coefNames = ImmutableArray<string>.Empty;
            if (f.LinkExists("coef/u_ic"))
                coefNames = f.Group("coef").Group("u_ic").Children().OfType<IH5Dataset>().Select(d => d.Name).Order(StringComparer.Ordinal).ToImmutableArray();
            return new FileMeta(path, dims, u.Type.Size == 8, t, coords.ToImmutable(), scalars.ToImmutable(), notes.ToImmutable(), coefNames);
        }
        catch (Exception e) when (e is not DatasetException)
        {
            throw new DatasetException(path, $"cannot be read as a dataset: {e.Message}", e);
        }
    }

    private static double[] ReadVector(NativeFile f, string path, string name)
    {
        if (!f.LinkExists(name)) throw new DatasetException(path, $"missing dataset '{name}'");
        var d = f.Dataset(name);
        if (d.Space.Dimensions.Length != 1) throw new DatasetException(path, $"wrong rank of '{name}': {d.Space.Dimensions.Length}, expected 1");
        if (d.Type.Class != H5DataTypeClass.FloatingPoint || d.Type.Size is not (4 or 8))
            throw new DatasetException(path, $"unsupported dtype of '{name}': {d.Type.Class} of {d.Type.Size} bytes (expected float64)");
        CheckExtent(path, name, d);
        return d.Type.Size == 8 ? d.Read<double[]>() : d.Read<float[]>().Select(x => (double)x).ToArray();
    }

    /// <summary>Reads samples [sample, sample + samples) and frames [frame, frame + frames) of u_sol_all as float32.</summary>
    internal static float[] ReadBlock(NativeFile f, FileMeta meta, long sample, long samples, long frame, long frames)
    {
        var u = f.Dataset("u_sol_all");
        int rank = meta.Shape.Length;
        var starts = new ulong[rank]; var blocks = new ulong[rank];
        starts[0] = (ulong)sample; blocks[0] = (ulong)samples;
        starts[1] = (ulong)frame; blocks[1] = (ulong)frames;
        for (int a = 2; a < rank; a++) blocks[a] = (ulong)meta.Shape[a];
        var selection = new HyperslabSelection(rank, starts, blocks);
        ulong count = blocks.Aggregate(1UL, (a, b) => a * b);
        try
        {
            if (!meta.Float64) return u.Read<float[]>(fileSelection: selection, memoryDims: [count]);
            return u.Read<double[]>(fileSelection: selection, memoryDims: [count]).Select(x => (float)x).ToArray();
        }
        catch (Exception e) when (e is not DatasetException)
        {
            throw new DatasetException(meta.Path, $"cannot read samples {sample}..{sample + samples - 1}, frames {frame}..{frame + frames - 1}: {e.Message}", e);
        }
    }

    /// <summary>All of u_sol_all as float32. PureHDF reads a whole contiguous dataset in large runs, but walks a hyperslab
    /// element by element along its last axis (the field axis, of length 1 here): one 128 x 128 trajectory of an ac2d shard
    /// took 8 s as a hyperslab and the whole 265 MB shard 0.6 s (docs/data.md, "Reading").</summary>
    internal static float[] ReadAll(NativeFile f, FileMeta meta)
    {
        var u = f.Dataset("u_sol_all");
        try { return meta.Float64 ? u.Read<double[]>().Select(x => (float)x).ToArray() : u.Read<float[]>(); }
        catch (Exception e) when (e is not DatasetException)
        {
            throw new DatasetException(meta.Path, $"cannot read u_sol_all: {e.Message}", e);
        }
    }

    internal static double[,] ReadCoefficient(NativeFile f, string path, string name)
    {
        try
        {
            if (!f.LinkExists($"coef/u_ic/{name}")) throw new DatasetException(path, $"missing dataset 'coef/u_ic/{name}'");
            var d = f.Group("coef").Group("u_ic").Dataset(name);
            var dims = d.Space.Dimensions;
            if (dims.Length is not (1 or 2) || d.Type.Class is not (H5DataTypeClass.FloatingPoint or H5DataTypeClass.FixedPoint))
                throw new DatasetException(path, $"'coef/u_ic/{name}' is not a numeric (samples, length) array (rank {dims.Length}, {d.Type.Class})");
            CheckExtent(path, $"coef/u_ic/{name}", d);
            CheckBudget(path, $"'coef/u_ic/{name}'", dims.Aggregate(1.0, (a, x) => a * x) * sizeof(double));
            var flat = d.Read<double[]>();
            int rows = (int)dims[0], cols = dims.Length > 1 ? (int)dims[1] : 1;
            if (flat.LongLength != (long)rows * cols) throw new DatasetException(path, $"'coef/u_ic/{name}' holds {flat.LongLength} values, its shape says {(long)rows * cols}");
            var m = new double[rows, cols];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = flat[i * cols + j];
            return m;
        }
        catch (Exception e) when (e is not (DatasetException or OperationCanceledException))
        {
            throw new DatasetException(path, $"cannot read 'coef/u_ic/{name}': {e.Message}", e);
        }
    }
}

/// <summary>Checks shared by every format.</summary>
internal static class Validation
{
    /// <summary>Uniform frame times t_i = t_0 + i dt, dt = (t_last - t_0) / (frames - 1), to float32 accuracy.</summary>
    public static void UniformTimes(string path, double[] t)
    {
        if (t.Length < 2) return;
        foreach (var v in t) if (!double.IsFinite(v)) throw new DatasetException(path, $"'t_coord' holds {v}");
        double dt = Spacing(t);
        if (!(dt > 0)) throw new DatasetException(path, $"'t_coord' does not increase: t[0] = {t[0]}, t[{t.Length - 1}] = {t[^1]}");
        double scale = Math.Max(Math.Abs(t[0]), Math.Abs(t[^1]));
        for (int i = 1; i < t.Length; i++)
        {
            double d = t[i] - t[i - 1];
            if (Math.Abs(t[i] - (t[0] + i * dt)) > 1e-6 * dt + 1e-6 * scale)
                throw new DatasetException(path, $"non-uniform 't_coord': step {i - 1}->{i} is {d:G6}, the mean step is {dt:G6}");
        }
    }

    /// <summary>
    /// x_j = x_0 + j h with any origin x_0 and spacing h = (x_{N-1} - x_0) / (N - 1); the periodic domain is then L = N h.
    /// Tolerates coordinates stored in float32 (a relative error of 1e-6 of the largest |x|).
    /// </summary>
    public static void PeriodicGrid(string path, string name, double[] x)
    {
        if (x.Length < 2) throw new DatasetException(path, $"'{name}' needs at least 2 points");
        foreach (var v in x) if (!double.IsFinite(v)) throw new DatasetException(path, $"'{name}' holds {v}");
        int n = x.Length;
        double h = (x[^1] - x[0]) / (n - 1);
        if (!(h > 0)) throw new DatasetException(path, $"'{name}' is not a uniform periodic grid: it does not increase (x_0 = {x[0]:G9}, x_{n - 1} = {x[^1]:G9})");
        double scale = Math.Max(Math.Abs(x[0]), Math.Abs(x[^1]));
        for (int j = 1; j < n; j++)
        {
            double expected = x[0] + j * h;
            if (Math.Abs(x[j] - expected) > 1e-6 * h + 1e-6 * scale)
                throw new DatasetException(path, $"'{name}' is not a uniform periodic grid x_j = x_0 + j h: x_{j} = {x[j]:G9}, expected {expected:G9} (h = {h:G9} from its ends)");
        }
    }

    /// <summary>Spacing of a validated uniform grid, from its ends (more accurate than x_1 - x_0 for float32 coordinates).</summary>
    public static double Spacing(IReadOnlyList<double> x) => (x[^1] - x[0]) / (x.Count - 1);

    /// <summary>When pde_info records the frame step dt, it must be t_coord's step (or, with one frame, positive and finite).</summary>
    public static void TimeStep(string path, double[] t, IReadOnlyDictionary<string, double> scalars)
    {
        if (!scalars.TryGetValue("dt", out var dt)) return;
        if (!(dt > 0) || !double.IsFinite(dt)) throw new DatasetException(path, $"pde_info/dt = {dt:G9} is not a positive time step");
        if (t.Length >= 2 && Math.Abs(Spacing(t) - dt) > 1e-5 * dt)
            throw new DatasetException(path, $"pde_info/dt = {dt:G9} contradicts 't_coord', whose step is {Spacing(t):G9}");
    }

    /// <summary>When pde_info records the domain length L, each axis must satisfy N * spacing = L (x_j = j L / N, not j L / (N - 1)).</summary>
    public static void DomainLength(string path, IReadOnlyList<double[]> coords, IReadOnlyDictionary<string, double> scalars)
    {
        if (!scalars.TryGetValue("L", out var l) || !(l > 0)) return;
        string[] names = ["x_coord", "y_coord"];
        for (int a = 0; a < coords.Count; a++)
        {
            var x = coords[a];
            double span = x.Length * Spacing(x);
            if (Math.Abs(span - l) > 1e-6 * l)
                throw new DatasetException(path, $"'{names[a]}' is not the periodic grid x_j = j L / N of pde_info/L = {l:G9}: N * spacing = {span:G9}");
        }
    }

    /// <summary>Throws at the first NaN or infinity with its (sample, frame, site..., field) index.</summary>
    public static void Finite(string path, ReadOnlySpan<float> values, long firstSample, ImmutableArray<long> shape)
    {
        int bad = -1;
        for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) { bad = i; break; }
        if (bad < 0) return;
        var index = new long[shape.Length];
        long rest = bad;
        for (int a = shape.Length - 1; a >= 1; a--) { index[a] = rest % shape[a]; rest /= shape[a]; }
        index[0] = firstSample + rest;
        throw new DatasetException(path, $"{(float.IsNaN(values[bad]) ? "NaN" : "Inf")} in 'u_sol_all' at index ({string.Join(", ", index)})");
    }
}
