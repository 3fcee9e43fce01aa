using Xunit;

namespace Onsager.Tests;

/// <summary>The allocator setting that compiling a member applies (docs/benchmarks.md, "Rollout cost of a trained member",
/// where its effect on page faults and time is measured by command; a fault count inside this parallel suite depends on
/// what the other tests and the GC do, so it is not asserted here).</summary>
public class NativeSettingsTests
{
    [Fact]
    public void CompilingAMemberFixesGlibcsAllocatorThresholds()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var m = Dynamics.Compile(KnownMembers.Get("heat", Grid.Periodic(1, 8)));
        // True only when both mallopt calls returned success: the binding (libc, mallopt, the parameter numbers) works and
        // glibc accepted both values.
        Assert.True(NativeSettings.KeepFreedPages(), "glibc's mallopt was not applied (ONSAGER_MALLOC=system, or not glibc)");
    }
}
