using System.Collections.Immutable;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Onsager.Data;

/// <summary>
/// An n-dimensional array as stored in .npy: C order, little endian. Data is float[], double[], int[], long[] or, for a
/// '&lt;U' string scalar, string[].
/// </summary>
public sealed record NpyArray(ImmutableArray<long> Shape, Array Data)
{
    /// <summary>The number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>A float32 array of the shape.</summary>
    public static NpyArray Of(float[] data, params long[] shape) => new([.. shape], data);
    /// <summary>A float64 array of the shape.</summary>
    public static NpyArray Of(double[] data, params long[] shape) => new([.. shape], data);
    /// <summary>A float64 scalar.</summary>
    public static NpyArray Scalar(double x) => new([], new[] { x });
    /// <summary>A text scalar.</summary>
    public static NpyArray Text(string s) => new([], new[] { s });

    /// <summary>The numpy dtype descriptor.</summary>
    public string Descr => Data switch
    {
        float[] => "<f4", double[] => "<f8", int[] => "<i4", long[] => "<i8",
        string[] s => $"<U{Math.Max(1, s.Length == 0 ? 1 : s.Max(x => x.Length))}",
        _ => throw new ArgumentException($"Unsupported array type {Data.GetType().Name}.")
    };

    /// <summary>The data as float64.</summary>
    public double[] AsDoubles() => Data switch
    {
        double[] d => d, float[] f => f.Select(x => (double)x).ToArray(),
        int[] i => i.Select(x => (double)x).ToArray(), long[] l => l.Select(x => (double)x).ToArray(),
        _ => throw new InvalidOperationException($"Array of {Descr} is not numeric.")
    };

    /// <summary>The data as float32.</summary>
    public float[] AsFloats() => Data is float[] f ? f : AsDoubles().Select(x => (float)x).ToArray();
}

/// <summary>.npy and .npz reading and writing (npz = zip of .npy entries), written by hand.</summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes the array in .npy format.</summary>
    public static void Write(Stream s, NpyArray a)
    {
        if (a.Count != a.Data.Length) throw new ArgumentException($"Shape ({string.Join(", ", a.Shape)}) does not match {a.Data.Length} values.");
        string shape = a.Shape.Length switch { 0 => "()", 1 => $"({a.Shape[0]},)", _ => "(" + string.Join(", ", a.Shape) + ")" };
        string header = $"{{'descr': '{a.Descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = Magic.Length + 4 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        s.Write(Magic);
        s.WriteByte(1); s.WriteByte(0);
        var len = new byte[2];
        BitConverter.TryWriteBytes(len, (ushort)header.Length);
        s.Write(len);
        s.Write(Encoding.ASCII.GetBytes(header));
        switch (a.Data)
        {
            case float[] f: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan())); break;
            case double[] d: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan())); break;
            case int[] i: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(i.AsSpan())); break;
            case long[] l: s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(l.AsSpan())); break;
            case string[] t:
                int width = int.Parse(a.Descr[2..], CultureInfo.InvariantCulture);
                foreach (var str in t)
                {
                    var units = new int[width];
                    for (int c = 0; c < str.Length; c++) units[c] = str[c];
                    s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(units.AsSpan()));
                }
                break;
        }
    }

    /// <summary>The longest .npy header read (numpy writes a few hundred bytes).</summary>
    private const int MaxHeader = 1 << 16;
    /// <summary>The widest '&lt;U' string read (pde_info notes are short).</summary>
    private const int MaxStringWidth = 1 << 16;

    private static readonly Regex DescrRx = new(@"'descr'\s*:\s*'([^']*)'");
    private static readonly Regex OrderRx = new(@"'fortran_order'\s*:\s*(True|False)");
    private static readonly Regex ShapeRx = new(@"'shape'\s*:\s*\(([^)]*)\)");

    /// <summary>Reads one .npy array; <paramref name="name"/> names it in errors. <paramref name="available"/> is how many bytes
    /// the array may occupy (the rest of a seekable stream by default): a header that declares more data than that, or more
    /// than <see cref="Hdf5.MemoryBudget"/>, is refused before anything is allocated.</summary>
    public static NpyArray Read(Stream s, string name, long? available = null)
    {
        available ??= s.CanSeek ? s.Length - s.Position : null;
        var head = new byte[8];
        if (s.ReadAtLeast(head, 8, false) < 8 || !head.AsSpan(0, 6).SequenceEqual(Magic))
            throw new DatasetException(name, "not a .npy array (bad magic bytes)");
        int major = head[6];
        int headerLen;
        if (major == 1) { var b = new byte[2]; s.ReadExactly(b); headerLen = BitConverter.ToUInt16(b); }
        else if (major is 2 or 3) { var b = new byte[4]; s.ReadExactly(b); headerLen = (int)Math.Min(int.MaxValue, BitConverter.ToUInt32(b)); }
        else throw new DatasetException(name, $"unsupported .npy version {major}");
        if (headerLen > MaxHeader || available is long room && headerLen > room)
            throw new DatasetException(name, $"corrupt .npy header length {headerLen}");
        var hb = new byte[headerLen];
        if (s.ReadAtLeast(hb, headerLen, false) < headerLen) throw new DatasetException(name, "truncated .npy header");
        string header = Encoding.ASCII.GetString(hb);
        var dm = DescrRx.Match(header); var om = OrderRx.Match(header); var sm = ShapeRx.Match(header);
        if (!dm.Success || !om.Success || !sm.Success) throw new DatasetException(name, $"malformed .npy header '{header.Trim()}'");
        if (om.Groups[1].Value == "True") throw new DatasetException(name, "Fortran-ordered .npy arrays are not supported");
        var extents = sm.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = extents.Select(x => long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 1L << 53 ? v
                                        : throw new DatasetException(name, $"malformed .npy shape ({sm.Groups[1].Value})")).ToImmutableArray();
        double declared = shape.Aggregate(1.0, (a, b) => a * b);
        string descr = dm.Groups[1].Value;
        string d0 = descr.TrimStart('<', '|', '=');
        int itemSize = d0 switch
        {
            "f4" or "i4" => 4, "f8" or "i8" => 8,
            _ when d0.StartsWith('U') && int.TryParse(d0[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var w) && w is > 0 and <= MaxStringWidth => 4 * w,
            _ => 0,
        };
        if (itemSize > 0)
        {
            double need = declared * itemSize;
            if (available is long left && need > left)
                throw new DatasetException(name, $".npy shape ({string.Join(", ", shape)}) of '{descr}' declares {need:G4} bytes, the data has {left}: a corrupt or truncated array");
            Hdf5.CheckBudget(name, $".npy array of shape ({string.Join(", ", shape)})", need);
        }
        long count = (long)declared;
        if (descr.StartsWith('>')) throw new DatasetException(name, $"big-endian dtype '{descr}' is not supported");
        string d = descr.TrimStart('<', '|', '=');
        Array data = d switch
        {
            "f4" => new float[count], "f8" => new double[count], "i4" => new int[count], "i8" => new long[count],
            _ when d.StartsWith('U') && itemSize > 0 => new string[count],
            _ => throw new DatasetException(name, $"unsupported dtype '{descr}' (expected float32, float64, int32, int64)")
        };
        Span<byte> bytes = data switch
        {
            float[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()),
            double[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()),
            int[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()),
            long[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()),
            _ => default
        };
        if (data is string[] strings)
        {
            int width = int.Parse(d[1..], CultureInfo.InvariantCulture);
            var units = new int[width];
            for (long i = 0; i < count; i++)
            {
                var ub = System.Runtime.InteropServices.MemoryMarshal.AsBytes(units.AsSpan());
                if (s.ReadAtLeast(ub, ub.Length, false) < ub.Length) throw new DatasetException(name, "truncated .npy data");
                strings[i] = new string(units.TakeWhile(u => u != 0).Select(u => (char)u).ToArray());
            }
        }
        else if (s.ReadAtLeast(bytes, bytes.Length, false) < bytes.Length)
            throw new DatasetException(name, $"truncated .npy data: expected {bytes.Length} bytes");
        return new NpyArray(shape, data);
    }

    /// <summary>Writes the array as an .npy file.</summary>
    public static void WriteFile(string path, NpyArray a) => Atomic.WriteFile(path, s => Write(s, a));

    /// <summary>Reads an .npy file.</summary>
    public static NpyArray ReadFile(string path)
    {
        if (!File.Exists(path)) throw new DatasetException(path, "file not found");
        using var s = File.OpenRead(path);
        try { return Read(s, path); }
        catch (EndOfStreamException e) { throw new DatasetException(path, "truncated .npy file", e); }
    }

    /// <summary>Writes an .npz (entries NAME.npy, deflate-compressed) atomically.</summary>
    public static void WriteNpz(string path, IEnumerable<KeyValuePair<string, NpyArray>> arrays) => Atomic.WriteFile(path, s =>
    {
        using var zip = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, array) in arrays)
        {
            var entry = zip.CreateEntry(name + ".npy", CompressionLevel.Fastest);
            using var es = entry.Open();
            using var buffered = new BufferedStream(es, 1 << 20);
            Write(buffered, array);
        }
    });

    /// <summary>Reads every array of an .npz, keyed by entry name without '.npy'.</summary>
    public static ImmutableSortedDictionary<string, NpyArray> ReadNpz(string path)
    {
        if (!File.Exists(path)) throw new DatasetException(path, "file not found");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var result = ImmutableSortedDictionary.CreateBuilder<string, NpyArray>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy")) continue;
                using var es = entry.Open();
                using var buffered = new BufferedStream(es, 1 << 20);
                result[entry.FullName[..^4]] = Read(buffered, $"{path}:{entry.FullName}", entry.Length);
            }
            return result.ToImmutable();
        }
        catch (InvalidDataException e) { throw new DatasetException(path, $"not a readable .npz (zip) file: {e.Message}", e); }
        catch (EndOfStreamException e) { throw new DatasetException(path, "truncated .npz file", e); }
        catch (Exception e) when (e is NotSupportedException or IOException or ArgumentException or OverflowException)
        {
            throw new DatasetException(path, $"not a readable .npz (zip) file: {e.Message}", e);
        }
    }
}

/// <summary>Atomic file writes: write to a temporary name in the same folder, then move over the target (stale temporaries of
/// the same target from killed writers are removed first, <see cref="Temporary"/>).</summary>
public static class Atomic
{
    /// <summary>Writes the file atomically.</summary>
    public static void WriteFile(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        Temporary.CleanStale(full);
        var tmp = Temporary.Sibling(full, "tmp");
        try
        {
            using (var s = new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                write(s);
                s.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Writes a text file (UTF-8, no byte-order mark) atomically, through <see cref="WriteFile"/>.</summary>
    public static void WriteText(string path, string text) =>
        WriteFile(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });
}
