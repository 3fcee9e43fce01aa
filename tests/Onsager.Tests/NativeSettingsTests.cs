using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>The allocator setting that compiling a member applies: tensors of a few MB reuse heap pages instead of faulting
/// fresh ones again and again (docs/benchmarks.md, "Rollout cost of a trained member"). Page faults are counted for the
/// whole process, so this class runs alone, after the parallel tests.</summary>
[Collection(nameof(RunsAlone))]
public class NativeSettingsTests
{
    [Fact]
    public void ARolloutStepReusesItsPagesOnceAMemberIsCompiled()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var m = Dynamics.Compile(KnownMembers.Get("heat", Grid.Periodic(1, 8)));
        Assert.True(NativeSettings.KeepFreedPages(), "glibc's mallopt was not applied (ONSAGER_MALLOC=system, or not glibc)");
        static long MinorFaults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7]);
        // A rollout step of a network-density member on 4 x 1024 sites: activations of 4 MB, allocated and freed many
        // times per solver iteration, from a thread-pool thread as evaluate's are.
        var grid = Grid.Periodic(16, 1024);
        using var member = Dynamics.Compile(Families.Spectral(grid, seed: 1));
        var u = RandomMembers.States(new Random(1), grid, 1, 4, 1.0);
        var stepper = new Stepper.DiscreteGradient(Stepper.DiscreteGradient.FourierPicard);
        long Faults(int steps) => Task.Run(() =>
        {
            long before = MinorFaults();
            var v = u;
            for (int i = 0; i < steps; i++) { using var scope = NewDisposeScope(); v = Steppers.Step(member, stepper, v, 0.1).State.MoveToOuterDisposeScope(); }
            return MinorFaults() - before;
        }).Result;
        Faults(1);
        long faults = Faults(3);
        // Measured 1,357 with the setting and 31,335 without it (ONSAGER_MALLOC=system, this assertion alone).
        Assert.True(faults < 10_000, $"{faults} minor page faults over 3 steps");
    }
}

/// <summary>Tests that measure the whole process (its page faults) and so must not share it with other tests.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;
