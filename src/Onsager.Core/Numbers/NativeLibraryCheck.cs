using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

[assembly: InternalsVisibleTo("Onsager.Tests")]

namespace Onsager.Numbers;

/// <summary>
/// Predicts, before TorchSharp loads its native library, the one load failure that its own message hides: TorchSharp
/// 0.107.0's libLibTorchSharp.so records a version need on GLIBCXX_3.4.32 (GCC 13's libstdc++), so on a system with an
/// older libstdc++ (Debian 12) the loader refuses it and TorchSharp reports "doesn't contain a reference to
/// libtorch-cpu-linux-x64". The Onsager.Core package's build targets mark that need weak (build/GlibcxxWeakVersion.targets)
/// in every project that references it; what they cannot reach (an F# script's <c>#r "nuget: Onsager"</c> without
/// <c>usepackagetargets=true</c>, a copy made by hand) gets a one-line message on stderr naming the version and the fix.
/// Reads files only; Linux x64 only; never throws.
/// </summary>
public static class NativeLibraryCheck
{
    /// <summary>The version needs of libLibTorchSharp.so that the build targets mark weak.</summary>
    public static IReadOnlyList<string> PatchedVersions { get; } = ["GLIBCXX_3.4.32"];

#pragma warning disable CA2255 // a library's module initializer: the check has to run before the first TorchSharp call, wherever that is
    [ModuleInitializer]
    internal static void WarnAtLoad()
#pragma warning restore CA2255
    {
        if (Diagnose() is { } problem) Console.Error.WriteLine(problem);
    }

    /// <summary>
    /// A one-line description of why TorchSharp's native library will not load here, with the fix; null when nothing
    /// is wrong (or off Linux x64, or when the files cannot be read).
    /// </summary>
    public static string? Diagnose()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        try
        {
            return SystemLibstdcxx() is { } libstdcxx ? Diagnose(TorchSharpCandidates(), libstdcxx) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The message for the first of <paramref name="libraries"/> with a strong need on a patched version that
    /// <paramref name="libstdcxx"/> does not define; null when there is none.</summary>
    internal static string? Diagnose(IEnumerable<string> libraries, string libstdcxx)
    {
        byte[]? system = null;
        foreach (var library in libraries)
            foreach (var version in StrongVersionNeeds(library).Where(PatchedVersions.Contains))
            {
                system ??= File.ReadAllBytes(libstdcxx);
                if (!Contains(system, Encoding.ASCII.GetBytes(version + "\0")))
                    return $"Onsager: {library} needs {version} (GCC 13's libstdc++), which {libstdcxx} lacks, so libtorch will " +
                           "not load. Fix: reference the Onsager package from a project (its build targets mark that need weak), " +
                           "or in an F# script write #r \"nuget: Onsager, usepackagetargets=true\".";
            }
        return null;
    }

    /// <summary>Where TorchSharp looks for libLibTorchSharp.so: beside TorchSharp.dll (a RID build), under runtimes/ (a
    /// portable build), and in the package folder and the copy it makes there for F# interactive.</summary>
    private static IEnumerable<string> TorchSharpCandidates()
    {
        var dir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        if (string.IsNullOrEmpty(dir)) return [];
        string[] relative = ["", "runtimes/linux-x64/native", "../../runtimes/linux-x64/native", "cpu"];
        return relative.Select(r => Path.GetFullPath(Path.Combine(dir, r, "libLibTorchSharp.so"))).Where(File.Exists).Distinct();
    }

    /// <summary>The libstdc++ this process has loaded, else the system's.</summary>
    private static string? SystemLibstdcxx()
    {
        var loaded = File.Exists("/proc/self/maps")
            ? File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                  .Where(f => f.Length >= 6 && Path.GetFileName(f[5]).StartsWith("libstdc++.so", StringComparison.Ordinal))
                  .Select(f => f[5]).FirstOrDefault()
            : null;
        string[] system = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6"];
        return loaded ?? system.FirstOrDefault(File.Exists);
    }

    /// <summary>The version needs (Vernaux entries of .gnu.version_r) of an ELF64 little-endian file, whether each is
    /// marked weak, and the file offset of its flags; empty for anything else.</summary>
    internal static IReadOnlyList<(string Version, bool Weak, long FlagsOffset)> VersionNeeds(string path)
    {
        var b = File.ReadAllBytes(path);
        var found = new List<(string, bool, long)>();
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1) return found;
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (sh + 64 > b.Length) break;
            if (BitConverter.ToUInt32(b, (int)sh + 4) != 0x6ffffffe) continue;              // SHT_GNU_verneed
            long vn = BitConverter.ToInt64(b, (int)sh + 24);                                 // sh_offset
            int entries = (int)BitConverter.ToUInt32(b, (int)sh + 44);                       // sh_info: Verneed entries
            long strSh = shoff + (long)BitConverter.ToUInt32(b, (int)sh + 40) * shentsize;   // sh_link: .dynstr
            long strtab = BitConverter.ToInt64(b, (int)strSh + 24);
            for (int n = 0; n < entries; n++)
            {
                int auxCount = BitConverter.ToUInt16(b, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
                for (int k = 0; k < auxCount; k++)
                {
                    int nameOff = (int)(strtab + BitConverter.ToUInt32(b, (int)aux + 8));
                    int end = Array.IndexOf(b, (byte)0, nameOff);
                    bool weak = (BitConverter.ToUInt16(b, (int)aux + 4) & 2) != 0;          // VER_FLG_WEAK
                    found.Add((Encoding.ASCII.GetString(b, nameOff, end - nameOff), weak, aux + 4));
                    long next = BitConverter.ToUInt32(b, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                long nextVn = BitConverter.ToUInt32(b, (int)vn + 12);
                if (nextVn == 0) break;
                vn += nextVn;
            }
        }
        return found;
    }

    /// <summary>The version needs of an ELF64 library (e.g. GLIBCXX_3.4.32) that the loader enforces (not marked weak).</summary>
    public static IReadOnlyList<string> StrongVersionNeeds(string path) => [.. VersionNeeds(path).Where(e => !e.Weak).Select(e => e.Version)];

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
