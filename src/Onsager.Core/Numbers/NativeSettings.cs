using System.Runtime.InteropServices;

namespace Onsager.Numbers;

/// <summary>
/// Native settings that TorchSharp does not expose, applied once per process when a member or force field is compiled.
/// <para>The allocator (<see cref="KeepFreedPages"/>): libtorch takes tensor memory from the C library's malloc. glibc serves
/// blocks above its mmap threshold (128 KB at start, raised only as such blocks are freed) with fresh pages, and returns a
/// freed heap top above its trim threshold to the system; either way the next tensor of that size page-faults all its pages
/// again. A float64 network density on 4 x 1024 sites allocates 4 MB activations many times per solver iteration, and in a
/// virtual machine those faults cost more than the arithmetic (docs/benchmarks.md, "Rollout cost of a trained member"). Onsager fixes the mmap
/// threshold at 64 MB and the trim threshold at 256 MB, so blocks below 64 MB are reused from the heap and up to 256 MB of
/// freed heap stays with the process. glibc on Linux only; the environment variable ONSAGER_MALLOC=system leaves the
/// allocator as the process configured it.</para>
/// <para>NNPACK: on CPUs without AVX2 libtorch prints "Could not initialize
/// NNPACK! Reason: Unsupported hardware." to stderr at every convolution that probes it; turning NNPACK off (as PyTorch's
/// torch.backends.nnpack.set_flags(False) does) skips the probe, and convolutions take the same native path they fall back to.
/// Linux x64 only (the Itanium C++ ABI of libtorch_cpu.so); elsewhere, or if the symbols are missing, nothing changes.</para>
/// </summary>
internal static class NativeSettings
{
    private static readonly Lazy<bool> Kept = new(SetAllocator);

    /// <summary>Blocks below this many bytes come from the heap, not from fresh pages.</summary>
    public const int MmapThreshold = 64 << 20;

    /// <summary>Up to this many bytes of freed heap top stay with the process.</summary>
    public const int TrimThreshold = 256 << 20;

    /// <summary>Both settings, once per process: the allocator and NNPACK.</summary>
    public static void Apply()
    {
        KeepFreedPages();
        QuietNnpack();
    }

    /// <summary>Fixes glibc's mmap and trim thresholds once per process; true when they were set.</summary>
    public static bool KeepFreedPages() => Kept.Value;

    // glibc's mallopt parameters (malloc.h).
    private const int MTrimThreshold = -1, MMmapThreshold = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    private static bool SetAllocator()
    {
        if (!OperatingSystem.IsLinux() || string.Equals(Environment.GetEnvironmentVariable("ONSAGER_MALLOC"), "system", StringComparison.OrdinalIgnoreCase))
            return false;
        try
        {
            // mallopt returns 1 on success; musl and other C libraries without it throw or return 0.
            return Mallopt(MMmapThreshold, MmapThreshold) == 1 & Mallopt(MTrimThreshold, TrimThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static readonly Lazy<bool> Quiet = new(DisableNnpack);

    /// <summary>Turns NNPACK off once per process; true when it was turned off.</summary>
    public static bool QuietNnpack() => Quiet.Value;

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    private static bool DisableNnpack()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
