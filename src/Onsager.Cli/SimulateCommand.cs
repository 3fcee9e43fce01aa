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
        a.Only("model", "init", "steps", "dt", "scheme", "out", "batch", "seed", "save-every", "tolerance");
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
        var schemeName = a.Text("scheme") ?? "dg";
        if (!Stepper.Names.Contains(schemeName)) throw new UsageException($"Unknown scheme '{schemeName}'. Schemes: {string.Join(", ", Stepper.Names)}.");
        var stepper = Stepper.Parse(schemeName, dg);
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
            try { (initial, batch) = FirstFrames(init, model, batchOption, cancel); }
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
        var content = Content(model, reference, stepper, dt, saveEvery, seed, initNote, traj);
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

    /// <summary>Frame 0 of the first B trajectories of a dataset, in the model's (batch, field, x[, y]) order.</summary>
    public static (double[] Values, int Batch) FirstFrames(string path, Model model, int? batch, CancellationToken cancel)
    {
        var d = Dataset.Open(path, checkValues: false, cancel);
        if (d.Fields != model.Fields)
            throw new DatasetException(path, $"has {d.Fields} field(s), the model {model.Fields}");
        var g = model.Grid;
        bool same = d.Points.SequenceEqual(g.Points) && d.Lengths.Zip(g.Lengths).All(p => Math.Abs(p.First - p.Second) <= 1e-6 * p.Second);
        if (!same)
            throw new DatasetException(path, $"grid {d.Grid} does not match the model's grid {g}");
        int b = (int)Math.Min(batch ?? d.Samples, d.Samples);
        using var reader = new DatasetReader(d);
        var frames = reader.ReadSamples(0, b, 0, 1);                                // (b, sites..., fields)
        int sites = g.Sites, fields = model.Fields;
        var values = new double[frames.Length];
        for (int s = 0; s < b; s++)
            for (int i = 0; i < sites; i++)
                for (int c = 0; c < fields; c++)
                {
                    float x = frames[((long)s * sites + i) * fields + c];
                    if (!float.IsFinite(x)) throw new DatasetException(path, $"{(float.IsNaN(x) ? "NaN" : "Inf")} in frame 0 of trajectory {s} (site {i}, field {c})");
                    values[(s * fields + c) * sites + i] = x;
                }
        return (values, b);
    }

    /// <summary>The trajectory in the reference layout: (batch, frame, field, x[, y]) float64 -> (samples, frames, x[, y], fields) float32.</summary>
    public static DatasetContent Content(Model model, string reference, Stepper stepper, double dt, int saveEvery, int seed, string init, Trajectory t)
    {
        long batch = t.Shape[0]; int frames = (int)t.Shape[1], fields = (int)t.Shape[2], sites = model.Grid.Sites;
        var values = new float[t.States.Length];
        for (long b = 0; b < batch; b++)
            for (int f = 0; f < frames; f++)
            {
                long frame = (b * frames + f) * fields * sites;
                for (int c = 0; c < fields; c++)
                    for (int i = 0; i < sites; i++)
                        values[frame + (long)i * fields + c] = (float)t.States[frame + (long)c * sites + i];
            }
        var shape = new List<long> { batch, frames };
        shape.AddRange(model.Grid.Points.Select(p => (long)p));
        shape.Add(fields);
        var scalars = new Dictionary<string, double>
        {
            ["dt"] = dt * saveEvery,
            ["step_dt"] = dt,
            ["steps"] = t.Statistics.Steps,
            ["save_every"] = saveEvery,
            ["seed"] = seed,
            ["frames"] = frames,
            ["solver_iterations"] = t.Statistics.Iterations,
            ["solver_worst_residual"] = t.Statistics.WorstResidual,
            ["solver_substeps"] = t.Statistics.Substeps,
        };
        if (model.Grid.Lengths.Distinct().Count() == 1) scalars["L"] = model.Grid.Lengths[0];
        var notes = new Dictionary<string, string>
        {
            ["name"] = reference,
            ["equation"] = model.Describe(),
            ["scheme"] = stepper.Name,
            ["init"] = init,
            ["known_member"] = reference.StartsWith("builtin:", StringComparison.Ordinal) ? reference["builtin:".Length..] : "",
            ["generator"] = "onsager simulate",
        };
        var diagnostics = new Dictionary<string, NpyArray>
        {
            ["energy"] = NpyArray.Of(t.Energy.Cast<double>().ToArray(), batch, frames),
            ["dissipation_rate"] = NpyArray.Of(t.DissipationRate.Cast<double>().ToArray(), batch, frames),
            ["mass"] = NpyArray.Of(t.Mass.Cast<double>().ToArray(), batch, frames, fields),
        };
        return new DatasetContent(values, [.. shape], [.. t.Times],
            Enumerable.Range(0, model.Grid.Dimensions).Select(a => model.Grid.Coordinates(a).ToArray()).ToImmutableArray(),
            ImmutableSortedDictionary.Create<string, double[,]>(StringComparer.Ordinal),
            scalars.ToImmutableSortedDictionary(StringComparer.Ordinal), notes.ToImmutableSortedDictionary(StringComparer.Ordinal))
        { Diagnostics = diagnostics.ToImmutableSortedDictionary(StringComparer.Ordinal) };
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
