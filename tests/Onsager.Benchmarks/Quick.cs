using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Onsager.Benchmarks;

/// <summary>`-- --quick`: a Stopwatch table of steps per second (one libtorch thread, float64, dt = 1e-3, DG tolerance 1e-10,
/// the state evolving from a seeded smooth start), each cell timed for about <c>budget</c> seconds after one warm-up step.</summary>
public static class Quick
{
    /// <summary>DG cells above this many unknowns (batch x sites) are skipped: 128 x 128 x 64 needs more than 5 GB.</summary>
    public const long MaxDgUnknowns = 300_000;

    public static void Run(double budget, IReadOnlyList<string> grids, IReadOnlyList<int> batches)
    {
        set_num_threads(1);
        var inv = CultureInfo.InvariantCulture;
        string[] schemes = ["euler", "rk4", "sbdf1", "dg"];
        Console.WriteLine("| member | grid | batch | scheme | steps/s | ms/step | DG iterations/step | DG substeps/step | x Euler |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var member in new[] { "reference", "burgers" })
            foreach (var points in grids)
                foreach (var batch in batches)
                {
                    double euler = double.NaN;
                    foreach (var scheme in schemes)
                    {
                        string row;
                        var g = Members.Grid(points);
                        if (scheme == "dg" && (long)batch * g.Sites > MaxDgUnknowns)
                        {
                            Console.WriteLine($"| {member} | {points} | {batch} | {scheme} | not run: over {MaxDgUnknowns} unknowns (the solve's temporaries pass 5 GB) | | | | |");
                            continue;
                        }
                        try
                        {
                            var (ms, iterations, substeps) = Time(member, points, batch, scheme, budget);
                            if (scheme == "euler") euler = ms;
                            row = string.Format(inv, "| {0,7:F1} | {1,9:F3} | {2} | {3} | {4:F1} |", 1000 / ms, ms,
                                scheme == "dg" ? iterations.ToString("F1", inv) : "", scheme == "dg" ? substeps.ToString("F1", inv) : "", ms / euler);
                        }
                        catch (Exception e) { row = $"| failed: {e.GetType().Name}: {e.Message.Split('\n')[0]} | | | | |"; }
                        Console.WriteLine($"| {member} | {points} | {batch} | {scheme} {row}");
                    }
                }
    }

    /// <summary>Milliseconds per step, and for DG the nonlinear iterations and substeps per step.</summary>
    public static (double Ms, double Iterations, double Substeps) Time(string member, string points, int batch, string scheme, double budget)
    {
        var g = Members.Grid(points);
        var model = Members.Get(member, g);
        using var m = Dynamics.Compile(model);
        var stepper = Onsager.Cli.Schemes.Parse(scheme);
        var u = RandomMembers.States(new Random(1), g, model.Fields, batch, 0.5);
        const double dt = 1e-3;
        using (var warm = NewDisposeScope()) Steppers.Step(m, stepper, u, dt);
        int steps = 0; long iterations = 0; long substeps = 0;
        var watch = Stopwatch.StartNew();
        while (steps < 2 || (watch.Elapsed.TotalSeconds < budget && steps < 2000))
        {
            using var scope = NewDisposeScope();
            var r = Steppers.Step(m, stepper, u, dt, steps);
            iterations += r.Iterations; substeps += r.Substeps;
            var next = r.State.MoveToOuterDisposeScope();
            if (steps > 0) u.Dispose();
            u = next;
            steps++;
        }
        double ms = watch.Elapsed.TotalMilliseconds / steps;
        return (ms, (double)iterations / steps, (double)substeps / steps);
    }
}
