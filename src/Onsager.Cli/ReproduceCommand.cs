using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager reproduce DATASET [--quick] [--out DIR] [--budget D] [--samples N] [--kind K] [--scheme S]`.</summary>
public static class ReproduceCommand
{
    public static readonly string[] Datasets = ["ac", "kdv", "ac2d", "fput", "fene"];

    public const string Usage = """
          reproduce ac|kdv|ac2d|fput|fene [--quick] [--out DIR] [--budget D] [--samples N] [--kind K] [--scheme S] [--seed S]
              Generate the dataset by the reference's recipe, train (default kind spectral with the dg stepper in
              the loss), evaluate, diagnose and write DIR/data.h5 (or DIR/data/ shards), DIR/model/,
              DIR/evaluation.json and DIR/report/ (report.md with PNGs).
              --quick: 100 trajectories and a 2-minute training budget (the whole command within about 5 minutes
              on 2 cores). Default: 1000 trajectories, a 30-minute budget. DIR defaults to runs/DATASET-TIMESTAMP.
        """;

    /// <summary>
    /// The training recipe of reproduce, where the command line does not say otherwise (measured, docs/training.md):
    /// windows of k + 1 frames (one loss start per window, so a batch of 64 windows costs what 8 reference windows
    /// do), learning rate 1e-2 with the plateau schedule, 25 steps per epoch, patience 8 epochs, and a 32x2 network
    /// (set in Run).
    /// </summary>
    /// <summary>Sites per batch of the fast recipe: 64 windows of a 256-point line. Larger grids get fewer windows so that a
    /// step costs about the same and its autograd graph fits in memory (64 windows of 128 x 128 held 20 GB).</summary>
    public const int BatchSites = 64 * 256;

    public static TrainingOptions FastRecipe(Arguments a, TrainingOptions o, int sites) => o with
    {
        WindowLength = a.Int("window", o.Horizon + 1, 2),
        BatchSize = a.Int("batch", Math.Clamp(BatchSites / Math.Max(sites, 1), 4, 64), 1),
        LearningRate = a.Double("lr", 1e-2, positive: true),
        StepsPerEpoch = a.Int("steps-per-epoch", 25, 1),
        Patience = a.Int("patience", 8, 1),
    };

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        a.Only("quick", "out", "budget", "samples", "kind", "scheme", "seed", "horizon", "epochs", "dtype", "steps-per-epoch", "lr", "patience", "picard", "full-backprop", "width", "depth", "window", "batch", "threads");
        if (a.Positional.Count != 1 || !Datasets.Contains(a.Positional[0]))
            throw new UsageException($"reproduce needs one of {string.Join(", ", Datasets)}.");
        var key = a.Positional[0];
        bool quick = a.Flag("quick");
        var inv = CultureInfo.InvariantCulture;
        var dir = OutputPath.Folder(a.Text("out") ?? Path.Combine("runs", $"{key}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", inv)}"));
        Directory.CreateDirectory(dir);
        int samples = a.Int("samples", quick ? 100 : 1000, 10);
        int seed = a.Int("seed", 0);
        var total = Stopwatch.StartNew();
        TrainCommand.Threads(a);

        // 1. data
        var recipe = Recipes.Get(key);
        string dataPath = Path.Combine(dir, "data.h5");
        long bytes = samples * recipe.Frames * recipe.Grid.Points.Aggregate(1L, (x, y) => x * y) * recipe.Fields * 4L;
        if (bytes > DatasetWriter.DefaultShardBytes) dataPath = Path.Combine(dir, "data");
        if (File.Exists(dataPath) || Directory.Exists(dataPath)) stderr.WriteLine($"[1/4] reusing {dataPath}");
        else
        {
            stderr.WriteLine($"[1/4] generating {key}: {samples} trajectories (seed {seed})");
            var clock = Stopwatch.StartNew();
            var written = DatasetWriter.Generate(recipe, samples, seed, dataPath, new GenerationOptions(0), null, cancel);
            stderr.WriteLine(string.Format(inv, "      wrote {0} ({1:F1} MB) in {2:F1} s", written.Path, written.Bytes / 1e6, clock.Elapsed.TotalSeconds));
        }

        // 2. training
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        var kind = a.Text("kind") ?? "spectral";
        var options = FastRecipe(a, TrainCommand.Parse(a, reader.Dataset, kind), reader.Dataset.Grid.Sites);
        options = options with { Budget = options.Budget ?? (quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(30)) };
        var modelDir = Path.Combine(dir, "model");
        stderr.WriteLine($"[2/4] training {kind} ({options.Budget.Value.TotalMinutes:G3} min budget)");
        var sizes = SpectralOptions.Default with { Width = a.Int("width", 32, 1), Depth = a.Int("depth", 2, 1) };
        TrainCommand.Train(reader, kind, modelDir, options, null, stdout, stderr, cancel, sizes);

        // 3. evaluation
        stderr.WriteLine("[3/4] evaluating (float64 rollouts)");
        var file = ModelDirectory.Load(modelDir);
        var result = EvaluateCommand.Evaluate(file, modelDir, reader, new EvaluationOptions { Scheme = options.Scheme, Seed = options.Seed }, cancel);
        TrainCommand.WriteAtomically(Path.Combine(dir, "evaluation.json"), result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        // 4. report (diagnostics and pictures) on a few test trajectories; a force field has no energy or operators to diagnose
        if (file.Field is not Model member)
        {
            stderr.WriteLine($"[4/4] no report: the {kind} baseline is a force field without energy or operators");
            stdout.WriteLine();
            EvaluateCommand.Print(result, stdout);
            stdout.WriteLine();
            stdout.WriteLine(string.Format(inv, "wrote {0}: data, model/, evaluation.json; total {1:F0} s", dir, total.Elapsed.TotalSeconds));
            return 0;
        }
        stderr.WriteLine("[4/4] report");
        var diagnosis = Diagnosis.Run(member, dataPath,
            new DiagnosisOptions(options.Scheme, Trajectories: quick ? 2 : 4, DriftSteps: quick ? 20 : 200),
            new SyncProgress<string>(s => stderr.WriteLine($"      {s}")), cancel);
        var report = Report.Write(diagnosis, Path.Combine(dir, "report"));
        stdout.WriteLine();
        EvaluateCommand.Print(result, stdout);
        stdout.WriteLine($"identifiability: {diagnosis.Identifiability.Summary}");
        stdout.WriteLine();
        stdout.WriteLine(string.Format(inv, "wrote {0}: data, model/, evaluation.json, report/ ({1}); total {2:F0} s", dir, report.Markdown, total.Elapsed.TotalSeconds));
        return 0;
    }
}
