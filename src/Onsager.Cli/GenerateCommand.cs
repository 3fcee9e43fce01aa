using System.Diagnostics;
using System.Globalization;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager generate DATASET --samples N --seed S --out PATH [--frames T] [--n N] [--length L] [--origin X0] [--dt DT] [--noise S] [--threads K]`.</summary>
public static class GenerateCommand
{
    public const string Usage = """
          generate DATASET --samples N --seed S --out PATH [--frames T] [--n N] [--length L] [--origin X0] [--dt DT] [--noise S] [--threads K]
              Generate a dataset (ac, kdv, ac2d, fput, fene, ch, burgers, kdv-burgers, wave, heat, ks) in the
              reference HDF5 layout. PATH is one .h5 file, or a folder of shards of at most 256 MB when the data are
              larger; a PATH ending in .npz writes one .npz instead. --frames, --n, --length, --origin and --dt
              override the frame count, the grid points per axis (a power of two), the domain length (2 pi; ks
              32 pi), the first grid coordinate (0) and the frame spacing (the solver takes more substeps when it
              grows). --noise adds Gaussian noise of S times each trajectory's rms to the saved values (seeded; recorded
              as pde_info/noise). ks (Kuramoto-Sivashinsky) is chaotic: the out-of-class control. Progress and ETA on stderr;
              prints what it wrote.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        if (a.Positional.Count != 1) throw new UsageException($"generate needs one dataset name ({string.Join(", ", Recipes.Names)}).");
        var key = a.Positional[0];
        if (!Recipes.Names.Contains(key)) throw new UsageException($"Unknown dataset '{key}'. Known: {string.Join(", ", Recipes.Names)}.");
        var outPath = a.Text("out") ?? throw new UsageException("generate needs --out PATH.");
        int samples = a.Int("samples", 0, 1);
        if (samples == 0) throw new UsageException("generate needs --samples N (N >= 1).");
        int seed = a.Int("seed", 0);
        int? frames = a.Text("frames") is null ? null : a.Int("frames", 0, 2);
        int? points = a.Text("n") is null ? null : a.Int("n", 0, 8);
        int threads = a.Int("threads", 0, 0);
        double? length = a.Text("length") is null ? null : a.Double("length", 0, positive: true);
        double? origin = a.Text("origin") is null ? null : a.Double("origin", 0);
        double? dt = a.Text("dt") is null ? null : a.Double("dt", 0, positive: true);
        double? noise = a.Text("noise") is null ? null : a.Double("noise", 0);
        Recipe recipe;
        try { recipe = Recipes.With(Recipes.Get(key), frames, points, length, origin, dt, noise); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        // One file (.npz, or HDF5 up to one shard), else a folder of shards: DatasetWriter.Generate's rule.
        long bytesPerSample = (long)recipe.Frames * recipe.Grid.Sites * recipe.Fields * sizeof(float);
        bool oneFile = outPath.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) || samples <= Math.Max(1, DatasetWriter.DefaultShardBytes / bytesPerSample);
        if (oneFile) OutputPath.File(outPath); else OutputPath.Folder(outPath);
        var progress = new ProgressLine(stderr, key);
        var result = DatasetWriter.Generate(recipe, samples, seed, outPath, new GenerationOptions(threads), progress, cancel);
        progress.Finish();
        var shape = string.Join(" x ", new[] { (long)samples, recipe.Frames }.Concat(recipe.Grid.Points.Select(p => (long)p)).Append(recipe.Fields));
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Format(inv, "wrote {0} ({1}, {2} file{3}, {4:F1} MB): {5} '{6}' shape {7}, dt {8:G6}, grid {9}, seed {10}",
            result.Path, result.Format, result.Files.Length, result.Files.Length == 1 ? "" : "s", result.Bytes / 1e6, key, recipe.Equation, shape, recipe.Dt, GridText(recipe), seed));
        stdout.WriteLine(string.Format(inv, "time: {0:F2} s, {1:F2} ms per trajectory ({2} threads)",
            result.Elapsed.TotalSeconds, result.Elapsed.TotalMilliseconds / samples, threads > 0 ? threads : Environment.ProcessorCount));
        return 0;
    }

    private static string GridText(Recipe r) =>
        string.Join(" x ", r.Grid.Lengths.Select(l => string.Format(CultureInfo.InvariantCulture, "[{0:G6}, {1:G6})", r.Origin, r.Origin + l))) +
        $" with {string.Join(" x ", r.Grid.Points)} points";

    /// <summary>A synchronous progress sink: one line at most every second (and at the end), with the ETA.</summary>
    private sealed class ProgressLine(TextWriter stderr, string name) : IProgress<GenerationProgress>
    {
        private readonly object gate = new();
        private readonly Stopwatch since = Stopwatch.StartNew();
        private long last = -1;
        private GenerationProgress? latest;

        public void Report(GenerationProgress p)
        {
            lock (gate)
            {
                if (latest is null || p.Done > latest.Done) latest = p;
                if (since.ElapsedMilliseconds < 1000 && p.Done != p.Total) return;
                since.Restart();
                Print(latest);
            }
        }

        private void Print(GenerationProgress p)
        {
            if (p.Done == last) return;
            last = p.Done;
            double eta = p.Done > 0 ? p.Elapsed.TotalSeconds * (p.Total - p.Done) / p.Done : double.NaN;
            stderr.WriteLine(string.Format(CultureInfo.InvariantCulture, "generate {0}: {1}/{2} trajectories ({3:F0}%), {4:F1} s elapsed, ETA {5:F0} s",
                name, p.Done, p.Total, 100.0 * p.Done / p.Total, p.Elapsed.TotalSeconds, eta));
        }

        public void Finish() { lock (gate) if (latest is not null) Print(latest); }
    }
}
