using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>
/// `onsager simulate --model M --init FILE|random --steps N --dt DT --scheme S --out FILE [--batch B] [--seed S] [--save-every K]`:
/// rolls a member forward (float64) and writes the frames in the reference layout with the energy, dissipation-rate and
/// mass traces and the solver statistics beside them.
/// </summary>
public static class SimulateCommand
{
    public const string Usage = """
          simulate --model builtin:NAME|DIR --init FILE|random --steps N --dt DT --out FILE
                   [--scheme dg|euler|rk2|rk3|rk4|rk4-adaptive|sbdf1] [--batch B] [--seed S] [--save-every K] [--tolerance TOL]
              Roll a member forward in float64 (default scheme dg, the discrete-gradient step: the energy never rises,
              at any dt). --init FILE takes frame 0 of every trajectory of a dataset (HDF5, shard folder or .npz; its
              grid must be the model's; --batch B keeps the first B); --init random draws B (default 8) seeded smooth
              states. Saves frame 0 and every K-th step (K divides N). FILE ending in .npz writes an .npz, else HDF5,
              in the reference layout (u_sol_all float32 (samples, frames, grid..., fields), t_coord, x_coord, pde_info)
              plus diagnostics/energy and diagnostics/dissipation_rate (samples, frames), diagnostics/mass (samples,
              frames, fields) and the solver statistics in pde_info/solver_*. A DG step that does not converge (its
              iteration or time budget spent) is an error naming the step and residual (exit 1) and nothing is
              written; so is an explicit rollout that blows up (NaN, or a sample's energy rising above its start by
              more than |E(u0)|). A step running longer than 5 s prints a line to stderr every 5 s.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var reference = a.Text("model") ?? throw new UsageException("simulate needs --model builtin:NAME or a saved model directory.");
        var init = a.Text("init") ?? throw new UsageException("simulate needs --init FILE or --init random.");
        var outPath = OutputPath.File(a.Text("out") ?? throw new UsageException("simulate needs --out FILE (.h5 or .npz)."));
        int steps = a.Int("steps", -1, 1);
        if (steps < 1) throw new UsageException("simulate needs --steps N (N >= 1).");
        if (a.Text("dt") is null) throw new UsageException("simulate needs --dt DT.");
        double dt = a.Double("dt", 0, positive: true);
        int saveEvery = a.Int("save-every", 1, 1);
        if (steps % saveEvery != 0) throw new UsageException($"--save-every {saveEvery} must divide --steps {steps} (the saved frames are uniform in time).");
        int seed = a.Int("seed", 0);
        int? batchOption = a.Text("batch") is null ? null : a.Int("batch", 1, 1);
        var dg = DgOptions.Default with { Tolerance = a.Double("tolerance", DgOptions.Default.Tolerance, positive: true) };
        var stepper = Schemes.Parse(a.Text("scheme") ?? "dg", dg);
        var model = ModelReference.Resolve(reference);

        double[] initial;
        int batch;
        string initNote;
        if (init == "random")
        {
            batch = batchOption ?? 8;
            initial = Simulator.RandomInitial(model, batch, seed);
            initNote = $"random (seed {seed})";
        }
        else
        {
            try { (initial, batch) = SimulationFiles.FirstFrames(init, model, batchOption, cancel); }
            catch (DatasetException e) { stderr.WriteLine($"error: --init: {e.Message}"); return 1; }
            initNote = init;
        }

        var watch = Stopwatch.StartNew();
        var progress = new ProgressLine(stderr);
        Trajectory traj;
        try
        {
            traj = new Simulator(model, stepper).RunAsync(initial, batch, dt, steps, saveEvery, progress, cancel, line => stderr.WriteLine(line)).GetAwaiter().GetResult();
        }
        catch (StepFailedException e)
        {
            stderr.WriteLine($"error: {e.Message} Nothing was written.");
            return 1;
        }
        var content = SimulationFiles.Content(model, reference, stepper, dt, saveEvery, seed, initNote, traj);
        bool npz = outPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);
        // Both writers go through a temporary file in the target folder and a rename: no half-written file on failure.
        if (npz) NpzLayout.Write(outPath, content); else Hdf5.Write(outPath, content);
        var inv = CultureInfo.InvariantCulture;
        var s = traj.Statistics;
        stdout.WriteLine(string.Format(inv, "wrote {0} ({1}, {2:F2} MB): u_sol_all ({3}), {4} steps of {5} dt {6:G6}, {7} frames, init {8}",
            outPath, npz ? "npz" : "HDF5", new FileInfo(outPath).Length / 1e6, string.Join(", ", content.Shape), steps, stepper.Name, dt, content.Frames, initNote));
        stdout.WriteLine(string.Format(inv, "energy (mean over samples): {0:G6} -> {1:G6}; solver: {2} iterations, worst residual {3:G3}, {4} substeps; time {5:F2} s",
            Mean(traj.Energy, 0), Mean(traj.Energy, content.Frames - 1), s.Iterations, s.WorstResidual, s.Substeps, watch.Elapsed.TotalSeconds));
        return 0;
    }

    private static double Mean(double[,] x, int frame) => Enumerable.Range(0, x.GetLength(0)).Average(b => x[b, frame]);

    /// <summary>One progress line at most every second (and at the end) with the ETA.</summary>
    private sealed class ProgressLine(TextWriter stderr) : IProgress<RolloutProgress>
    {
        private readonly Stopwatch since = Stopwatch.StartNew(), total = Stopwatch.StartNew();

        public void Report(RolloutProgress p)
        {
            if (since.ElapsedMilliseconds < 1000 && p.Step != p.Steps) return;
            since.Restart();
            double elapsed = total.Elapsed.TotalSeconds, eta = elapsed * (p.Steps - p.Step) / Math.Max(1, p.Step);
            stderr.WriteLine(string.Format(CultureInfo.InvariantCulture, "simulate: step {0}/{1} (t = {2:G6}), mean E {3:G6}, {4:F1} s elapsed, ETA {5:F0} s",
                p.Step, p.Steps, p.Time, p.MeanEnergy, elapsed, eta));
        }
    }
}
