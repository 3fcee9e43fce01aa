using System.Runtime.InteropServices;

namespace Onsager.Numbers;

/// <summary>
/// libtorch settings that TorchSharp does not expose. NNPACK: on CPUs without AVX2 libtorch prints "Could not initialize
/// NNPACK! Reason: Unsupported hardware." to stderr at every convolution that probes it; turning NNPACK off (as PyTorch's
/// torch.backends.nnpack.set_flags(False) does) skips the probe, and convolutions take the same native path they fall back to.
/// Linux x64 only (the Itanium C++ ABI of libtorch_cpu.so); elsewhere, or if the symbols are missing, nothing changes.
/// </summary>
internal static class NativeSettings
{
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
