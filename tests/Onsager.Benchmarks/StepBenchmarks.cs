using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace Onsager.Benchmarks;

/// <summary>One step of each scheme (float64, dt = 1e-3, DG tolerance 1e-10) on the two members, BenchmarkDotNet style.</summary>
[MemoryDiagnoser(false)]
public class StepBenchmarks
{
    [Params("reference", "burgers")] public string Member { get; set; } = "reference";
    [Params("256", "1024", "4096", "128x128")] public string Points { get; set; } = "256";
    [Params(1, 64)] public int Batch { get; set; } = 1;
    [Params("euler", "rk4", "sbdf1", "dg")] public string Scheme { get; set; } = "euler";

    private CompiledModel? model;
    private Stepper stepper = new Stepper.Euler();
    private Tensor? u;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        var g = Members.Grid(Points);
        var m = Members.Get(Member, g);
        model = Dynamics.Compile(m);
        stepper = Onsager.Cli.Schemes.Parse(Scheme);
        u = RandomMembers.States(new Random(1), g, m.Fields, Batch, 0.5);
    }

    [Benchmark]
    public double Step()
    {
        using var scope = NewDisposeScope();
        return Steppers.Step(model!, stepper, u!, 1e-3).Residual;
    }

    [GlobalCleanup]
    public void Cleanup() { model?.Dispose(); u?.Dispose(); }
}
