using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Benchmarks;

/// <summary>
/// `-- --training [--threads T] [--repeats R] [--exact | --nodes N]`: the cost of one training step (zero_grad, the
/// autoregressive loss with k = 3, backward, Adam) of the spectral family at N = 256, dt = 1e-3, as a Stopwatch table.
/// Work: the reference's 32 windows x 11 frames (8 loss starts each = 256 states per step) and the reproduce recipe's
/// 64 windows x 4 frames (64 states). Compiled as the trainer compiles (tabulated densities), or exact with `--exact`.
/// </summary>
public static class TrainingStep
{
    public static void Run(int threads, int repeats, Tabulation? tabulation)
    {
        set_num_threads(threads);
        var inv = CultureInfo.InvariantCulture;
        var grid = Grid.Periodic(2 * Math.PI, 256);
        string nodes = tabulation is null ? "exact" : tabulation.Nodes.ToString(inv);
        Console.WriteLine($"| network | dtype | windows x frames | scheme | ms/step | steps/s | threads | density |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (width, depth) in new[] { (64, 3), (32, 2) })
            foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
            {
                using var m = Dynamics.Compile(Families.Spectral(grid, 0, SpectralOptions.Default with { Width = width, Depth = depth }), CompileOptions.Training(dtype) with { Tabulation = tabulation });
                using var optimizer = new Adam(m.parameters());
                foreach (var (windows, frames) in new[] { (32L, 11L), (64L, 4L) })
                    foreach (var scheme in new[] { "euler", "dg" })
                    {
                        var w = randn([windows, frames, 1, 256], dtype: dtype, generator: new Generator(7));
                        void Step()
                        {
                            using var scope = NewDisposeScope();
                            optimizer.ZeroGrad();
                            Loss.Autoregressive(m, Onsager.Cli.Schemes.Parse(scheme), w, 3, 1e-3).backward();
                            optimizer.Step(1e-3);
                        }
                        // Warm-up: at least 3 steps and 2 s (the allocator takes a while to settle on a new size).
                        var warm = Stopwatch.StartNew();
                        for (int i = 0; i < 3 || warm.Elapsed.TotalSeconds < 2; i++) Step();
                        var clock = Stopwatch.StartNew();
                        for (int i = 0; i < repeats; i++) Step();
                        double ms = clock.Elapsed.TotalMilliseconds / repeats;
                        Console.WriteLine(string.Format(inv, "| {0}x{1} | {2} | {3} x {4} | {5} | {6:F0} | {7:F2} | {8} | {9} |",
                            width, depth, dtype == ScalarType.Float32 ? "float32" : "float64", windows, frames, scheme, ms, 1000 / ms, threads, nodes));
                    }
            }
    }
}
