using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Onsager.Data;

namespace Onsager;

/// <summary>A reproduction of one of the reference's datasets: which one, quick or full, the folder (default
/// runs/DATASET-TIMESTAMP), trajectories (default 100 quick, 1000 full), seed, kind and the training choices (the budget
/// defaults to 2 minutes quick, 30 full).</summary>
public sealed record ReproductionOptions(string Dataset)
{
    /// <summary>The quick run (fewer trajectories, shorter budget).</summary>
    public bool Quick { get; init; }
    /// <summary>The output folder (default runs/DATASET-TIMESTAMP).</summary>
    public string? Out { get; init; }
    /// <summary>The number of trajectories (default 100 quick, 1000 full).</summary>
    public int? Samples { get; init; }
    /// <summary>The random seed.</summary>
    public int Seed { get; init; }
    /// <summary>The model kind.</summary>
    public string Kind { get; init; } = "spectral";
    /// <summary>The training choices.</summary>
    public TrainingChoices Choices { get; init; } = new();
    /// <summary>Network width and depth of the spectral family (the fast recipe's 32 x 2 unless given).</summary>
    public int Width { get; init; } = 32;
    /// <summary>Network depth of the spectral family.</summary>
    public int Depth { get; init; } = 2;
}

/// <summary>What a reproduction wrote: the folder, the data, the training, the evaluation, and for a member the diagnosis
/// and its report (null for a baseline force field: it has no energy or operators to diagnose).</summary>
public sealed record ReproductionResult(string Directory, string DataPath, TrainingRunResult Training, EvaluationResult Evaluation,
                                        DiagnosisResult? Diagnosis, ReportFiles? Report, TimeSpan Elapsed);

/// <summary>
/// reproduce as a pipeline: generate the dataset by the reference's recipe (or reuse it), train with the fast recipe,
/// evaluate (float64 rollouts), diagnose and write the report. Progress goes to <c>log</c>, one line each.
/// </summary>
public static class Reproduction
{
    /// <summary>The datasets of the reference it reproduces.</summary>
    public static IReadOnlyList<string> Datasets { get; } = ["ac", "kdv", "ac2d", "fput", "fene"];

    /// <summary>Sites per batch of the fast recipe: 64 windows of a 256-point line. Larger grids get fewer windows so that a
    /// step costs about the same and its autograd graph fits in memory (64 windows of 128 x 128 held 20 GB).</summary>
    public const int BatchSites = 64 * 256;

    /// <summary>
    /// The training recipe of reproduce where the choices do not say otherwise (measured, docs/training.md): windows of
    /// k + 1 frames (one loss start per window, so a batch of 64 windows costs what 8 reference windows do), learning rate
    /// 1e-2 with the plateau schedule, 25 steps per epoch, patience 8 epochs (and a 32 x 2 network,
    /// <see cref="ReproductionOptions.Width"/>).
    /// </summary>
    public static TrainingOptions FastRecipe(TrainingOptions o, int sites, TrainingChoices c) => o with
    {
        WindowLength = c.WindowLength ?? o.Horizon + 1,
        BatchSize = c.BatchSize ?? Math.Clamp(BatchSites / Math.Max(sites, 1), 4, 64),
        LearningRate = c.LearningRate ?? 1e-2,
        StepsPerEpoch = c.StepsPerEpoch ?? 25,
        Patience = c.Patience ?? 8,
    };

    /// <summary>Runs the reproduction.</summary>
    public static ReproductionResult Run(ReproductionOptions o, IProgress<string>? log = null, CancellationToken cancel = default)
    {
        if (!Datasets.Contains(o.Dataset)) throw new ArgumentException($"reproduce needs one of {string.Join(", ", Datasets)}.");
        var inv = CultureInfo.InvariantCulture;
        var dir = o.Out ?? Path.Combine("runs", $"{o.Dataset}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", inv)}");
        Directory.CreateDirectory(dir);
        int samples = o.Samples ?? (o.Quick ? 100 : 1000);
        var total = Stopwatch.StartNew();

        // 1. data
        var recipe = Recipes.Get(o.Dataset);
        string dataPath = Path.Combine(dir, "data.h5");
        long bytes = samples * recipe.Frames * recipe.Grid.Points.Aggregate(1L, (x, y) => x * y) * recipe.Fields * 4L;
        if (bytes > DatasetWriter.DefaultShardBytes) dataPath = Path.Combine(dir, "data");
        if (File.Exists(dataPath) || Directory.Exists(dataPath)) log?.Report($"[1/4] reusing {dataPath}");
        else
        {
            log?.Report($"[1/4] generating {o.Dataset}: {samples} trajectories (seed {o.Seed})");
            var clock = Stopwatch.StartNew();
            var written = DatasetWriter.Generate(recipe, samples, o.Seed, dataPath, new GenerationOptions(0), null, cancel);
            log?.Report(string.Format(inv, "      wrote {0} ({1:F1} MB) in {2:F1} s", written.Path, written.Bytes / 1e6, clock.Elapsed.TotalSeconds));
        }

        // 2. training
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        var choices = o.Choices with { Seed = o.Choices.Seed ?? o.Seed };
        var options = FastRecipe(choices.Over(TrainingRun.Defaults(reader.Dataset, o.Kind)), reader.Dataset.Grid.Sites, choices);
        options = options with { Budget = options.Budget ?? (o.Quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(30)) };
        var modelDir = Path.Combine(dir, "model");
        log?.Report($"[2/4] training {o.Kind} ({options.Budget.Value.TotalMinutes:G3} min budget)");
        var sizes = SpectralOptions.Default with { Width = o.Width, Depth = o.Depth };
        var training = TrainingRun.Run(reader, o.Kind, modelDir, options, null, log, cancel, sizes);

        // 3. evaluation
        log?.Report("[3/4] evaluating (float64 rollouts)");
        var file = ModelDirectory.Load(modelDir);
        file.CheckCompatible(reader.Dataset.Grid, reader.Dataset.Fields, modelDir);
        var evaluation = Evaluator.Evaluate(file.Field, reader, new EvaluationOptions { Scheme = options.Scheme, Seed = options.Seed },
                                            $"{file.Metadata.Kind} ({modelDir})", cancel);
        Atomic.WriteText(Path.Combine(dir, "evaluation.json"), evaluation.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        // 4. report (diagnostics and pictures) on a few test trajectories; a force field has no energy or operators to diagnose
        if (file.Field is not Model member)
        {
            log?.Report($"[4/4] no report: the {o.Kind} baseline is a force field without energy or operators");
            return new ReproductionResult(dir, dataPath, training, evaluation, null, null, total.Elapsed);
        }
        log?.Report("[4/4] report");
        var diagnosis = Diagnosis.Run(member, dataPath,
            new DiagnosisOptions(options.Scheme, Trajectories: o.Quick ? 2 : 4, DriftSteps: o.Quick ? 20 : 200),
            log is null ? null : new Reporter<string>(s => log.Report($"      {s}")), cancel);
        var report = Report.Write(diagnosis, Path.Combine(dir, "report"));
        return new ReproductionResult(dir, dataPath, training, evaluation, diagnosis, report, total.Elapsed);
    }
}
