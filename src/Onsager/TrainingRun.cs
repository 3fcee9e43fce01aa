using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>Choices for a training run; each one left null takes the default of the data and the kind
/// (<see cref="TrainingRun.Defaults"/>) or of the recipe (<see cref="Reproduction.FastRecipe"/>).</summary>
public sealed record TrainingChoices
{
    /// <summary>The stepper of the loss.</summary>
    public Stepper? Scheme { get; init; }
    /// <summary>The loss horizon k.</summary>
    public int? Horizon { get; init; }
    /// <summary>Frames per training window.</summary>
    public int? WindowLength { get; init; }
    /// <summary>Windows per optimiser step.</summary>
    public int? BatchSize { get; init; }
    /// <summary>The maximum number of epochs.</summary>
    public int? MaxEpochs { get; init; }
    /// <summary>The random seed.</summary>
    public int? Seed { get; init; }
    /// <summary>The initial learning rate.</summary>
    public double? LearningRate { get; init; }
    /// <summary>Optimiser steps per epoch.</summary>
    public int? StepsPerEpoch { get; init; }
    /// <summary>Learning-rate plateau patience in epochs.</summary>
    public int? Patience { get; init; }
    /// <summary>Whether to cut the graph between the loss steps.</summary>
    public bool? Detach { get; init; }
    /// <summary>Picard iterations unrolled by the dg step in the loss.</summary>
    public int? PicardIterations { get; init; }
    /// <summary>The wall-clock budget.</summary>
    public TimeSpan? Budget { get; init; }
    /// <summary>How the data are split.</summary>
    public SplitKind? Split { get; init; }
    /// <summary>The training precision.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>The given options with every choice made here put in.</summary>
    public TrainingOptions Over(TrainingOptions d) => d with
    {
        Scheme = Scheme ?? d.Scheme, Horizon = Horizon ?? d.Horizon, WindowLength = WindowLength ?? d.WindowLength, BatchSize = BatchSize ?? d.BatchSize,
        MaxEpochs = MaxEpochs ?? d.MaxEpochs, Seed = Seed ?? d.Seed, LearningRate = LearningRate ?? d.LearningRate,
        StepsPerEpoch = StepsPerEpoch ?? d.StepsPerEpoch, Patience = Patience ?? d.Patience, Detach = Detach ?? d.Detach,
        PicardIterations = PicardIterations ?? d.PicardIterations, Budget = Budget ?? d.Budget, Split = Split ?? d.Split, DType = DType ?? d.DType,
    };
}

/// <summary>A training run into a folder: the data file, the folder, the kind (null when resuming: the checkpoint's), the
/// checkpoint folder to resume from, the choices, and the network sizes of the family or baseline.</summary>
public sealed record TrainingRunOptions(string Data, string Out)
{
    /// <summary>The model kind (null when resuming: the checkpoint's).</summary>
    public string? Kind { get; init; }
    /// <summary>A model folder written by an earlier run: its model is the start, and its checkpoint state (when present)
    /// continues the epoch count, the schedule and the optimiser's moments.</summary>
    public string? Resume { get; init; }
    /// <summary>The training choices.</summary>
    public TrainingChoices Choices { get; init; } = new();
    /// <summary>Network sizes of the spectral family.</summary>
    public SpectralOptions? Spectral { get; init; }
    /// <summary>Network sizes of the baselines.</summary>
    public BaselineOptions? Baseline { get; init; }
    /// <summary>true: members whose M and W kill constants (spectral, local, polynomial); null: so when the data conserve
    /// mass to <see cref="DataMass.Tolerance"/>; false: not.</summary>
    public bool? ConserveMass { get; init; }
    /// <summary>How the polynomial kind is fitted (weak form when null); other kinds refuse it.</summary>
    public FitForm? Fit { get; init; }
}

/// <summary>What a training run wrote: the folder, the kind, the training (null for classical: nothing is learned) and the model.</summary>
public sealed record TrainingRunResult(string Out, string Kind, TrainingResult? Training, IVectorField Model)
{
    /// <summary>The least-squares fit, for the polynomial kind.</summary>
    public PolynomialFit? Fit { get; init; }

    /// <summary>One line saying what was written.</summary>
    public string Summary => Fit is { } f
        ? string.Format(CultureInfo.InvariantCulture, "wrote {0}: polynomial fitted in {1:F1} s, unexplained {2:P2}: {3}", Out, f.Elapsed.TotalSeconds, f.Unexplained, f.Describe())
        : Training is not { } r
        ? $"wrote {Out}: classical member (the true equation, nothing learned): {Model.Describe()}"
        : string.Format(CultureInfo.InvariantCulture, "wrote {0}: {1} trained {2} epochs ({3} steps) in {4:F0} s, best validation loss {5:E3} at epoch {6}, stopped: {7}",
                        Out, Kind, r.Epochs, r.Steps, r.Elapsed.TotalSeconds, r.BestValidationLoss, r.BestEpoch, r.StoppedBecause);
}

/// <summary>
/// Training as a pipeline: builds (or resumes) the member or baseline, trains it, checkpoints every new best into the
/// folder (model.json + weights.bin with <see cref="CheckpointFile"/> and <see cref="OptimizerFile"/>, atomically together),
/// and writes loss.csv and run.json. Progress and notes go to <c>log</c>, one line each.
/// </summary>
public static class TrainingRun
{
    /// <summary>Epoch, step, schedule and best loss of the checkpoint (JSON).</summary>
    public const string CheckpointFile = "checkpoint.json";
    /// <summary>Adam's moments and step counts of the checkpoint (<see cref="AdamState.ToBytes"/>).</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The options of a kind on a dataset: its default scheme (<see cref="Families.DefaultScheme"/>) and horizon (5 for fput, else 3).</summary>
    public static TrainingOptions Defaults(Dataset data, string kind) =>
        new() { Scheme = Families.DefaultScheme(kind), Horizon = data.Name == "fput" ? 5 : 3 };

    /// <summary>Runs the training into the output folder.</summary>
    public static TrainingRunResult Run(TrainingRunOptions o, IProgress<string>? log = null, CancellationToken cancel = default)
    {
        using var reader = DatasetReader.Open(o.Data, checkValues: true);
        var kind = o.Kind ?? (o.Resume is { } r ? ModelDirectory.Load(r).Metadata.Kind : throw new ArgumentException($"A training needs a kind ({string.Join(", ", Families.Kinds)})."));
        if (o.Fit is not null && kind != "polynomial") throw new ArgumentException("A fit form applies to the polynomial kind only.");
        return Run(reader, kind, o.Out, o.Choices.Over(Defaults(reader.Dataset, kind)), o.Resume, log, cancel, o.Spectral, o.Baseline, o.ConserveMass, o.Fit);
    }

    /// <summary>The run on an open dataset with resolved options (what <see cref="Reproduction"/> calls).</summary>
    public static TrainingRunResult Run(DatasetReader reader, string kind, string outDir, TrainingOptions options, string? resume,
                                        IProgress<string>? log, CancellationToken cancel, SpectralOptions? spectral = null, BaselineOptions? baseline = null,
                                        bool? conserveMass = null, FitForm? form = null)
    {
        var data = reader.Dataset;
        var inv = CultureInfo.InvariantCulture;
        var split = data.SplitBy(options.Split, options.Seed);
        IVectorField initial;
        TrainingState? state = null;
        if (resume is not null)
        {
            var file = ModelDirectory.Load(resume);
            file.CheckCompatible(data.Grid, data.Fields, resume);
            initial = file.Field;
            kind = file.Metadata.Kind;
            state = ReadState(resume);
            log?.Report(state is null ? $"resuming {kind} from {resume}"
                                      : $"resuming {kind} from {resume} at epoch {state.Epoch} (step {state.Step}, optimiser state restored)");
        }
        else
        {
            if (conserveMass is null && kind is "spectral" or "local")
            {
                (conserveMass, var reason) = DataMass.Choose(reader, split, null, $"a mass-conserving {kind} member (M and W kill constants)", $"a {kind} member free to change mass");
                log?.Report(reason);
            }
            initial = Families.Create(kind, data.Grid, data.Fields, options.Seed, data.KnownMember, spectral, baseline, conserveMass == true && kind != "polynomial");
        }
        string dtype = options.DType == ScalarType.Float32 ? "float32" : "float64";
        int window = options.WindowOn(split, data.Frames);
        bool windowCut = options.WindowLength is null && window < TrainingOptions.ReferenceWindow;
        options = options with { Split = split.Kind, WindowLength = window };
        string gauge = initial is Model ? "none fixed during training; see docs/theory.md (gauges)" : "none (a force field has no energy)";
        ModelMetadata Metadata(JsonObject training) =>
            new(kind, data.Dt, dtype, gauge, JsonDocument.Parse(training.ToJsonString()).RootElement);
        JsonObject RunJson(TrainingResult? r, EpochRecord? at) => new()
        {
            ["dataset"] = data.Name, ["data"] = Path.GetFullPath(data.Path), ["kind"] = kind, ["scheme"] = options.Scheme.Name, ["horizon"] = options.Horizon,
            ["detach"] = options.Detach, ["picard"] = options.PicardIterations, ["dtype"] = dtype, ["seed"] = options.Seed,
            ["batch"] = options.BatchSize, ["width"] = spectral?.Width, ["depth"] = spectral?.Depth, ["window"] = options.WindowLength, ["learningRate"] = options.LearningRate,
            ["stepsPerEpoch"] = options.StepsPerEpoch, ["patience"] = options.Patience,
            ["budgetSeconds"] = options.Budget?.TotalSeconds, ["threads"] = get_num_threads(), ["split"] = split.Name,
            ["epoch"] = at?.Epoch ?? r?.BestEpoch, ["step"] = at?.Step, ["validationLoss"] = at?.ValidationLoss ?? r?.BestValidationLoss,
            ["epochs"] = r?.Epochs, ["steps"] = r?.Steps, ["seconds"] = r?.Elapsed.TotalSeconds, ["stoppedBecause"] = r?.StoppedBecause,
            ["rollbacks"] = r?.Rollbacks, ["created"] = DateTime.UtcNow.ToString("O", inv),
        };

        if (kind == "classical")
        {
            ModelDirectory.Save(outDir, initial, Metadata(RunJson(null, null)));
            return new TrainingRunResult(outDir, kind, null, initial);
        }

        if (kind == "polynomial")
        {
            var fit = PolynomialFitting.Fit(reader, new PolynomialFitOptions { Split = options.Split, Seed = options.Seed, ConserveMass = conserveMass,
                                                                               Form = form ?? FitForm.Weak }, cancel);
            log?.Report(fit.Split.Describe());
            log?.Report($"fitting polynomial on {data.Name} ({fit.Form.ToString().ToLowerInvariant()} form, {fit.Rows} rows): {fit.MassReason}");
            var run = RunJson(null, null);
            run["fit"] = fit.ToJson();
            ModelDirectory.Save(outDir, fit.Model, Metadata(run));
            Atomic.WriteText(Path.Combine(outDir, "run.json"), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return new TrainingRunResult(outDir, kind, null, fit.Model) { Fit = fit };
        }

        log?.Report(options.Split == data.DefaultSplit && data.DefaultSplit == SplitKind.Time
            ? $"{data.Samples} trajector{(data.Samples == 1 ? "y" : "ies")} (fewer than {Dataset.TrajectoriesForSplit}): {split.Describe()}"
            : split.Describe());
        if (windowCut)
            log?.Report($"windows of {options.WindowLength} frames (the split's {split.TrainFrames?.Count ?? data.Frames} training and " +
                        $"{split.ValidationFrames?.Count ?? data.Frames} validation frames; --window chooses)");
        log?.Report($"training {kind} on {data.Name} ({data.Samples} trajectories, grid {string.Join("x", data.Points)}, dt {data.Dt:G3}): " +
                    $"scheme {options.Scheme}, horizon {options.Horizon}, {dtype}, budget {(options.Budget?.ToString() ?? "none")}");
        TrainingState? last = state;
        var trainer = new Trainer(initial, options)
        {
            ResumeFrom = state,
            OnCheckpoint = (m, record, at) =>
            {
                last = at;
                ModelDirectory.Save(outDir, new ModelFile(m, Metadata(RunJson(null, record))), StateFiles(at));
            },
        };
        var progress = log is null ? null : new Reporter<TrainingProgress>(p => log.Report(string.Format(inv,
            "epoch {0,5}  step {1,7}  train {2:E3}  val {3:E3}  best {4:E3}  lr {5:E1}  {6:F0} s{7}",
            p.Epoch, p.Step, p.TrainLoss, p.ValidationLoss, p.BestValidationLoss, p.LearningRate, p.Elapsed.TotalSeconds,
            p.Remaining is { } r ? string.Format(inv, "  (budget left {0:F0} s)", r.TotalSeconds) : "")));
        var result = trainer.Train(reader, progress, cancel);
        foreach (var line in result.Log) log?.Report(line);
        var final = new ModelFile(result.Trained, Metadata(RunJson(result, null)));
        if (last is null) ModelDirectory.Save(outDir, final); else ModelDirectory.Save(outDir, final, StateFiles(last));
        Atomic.WriteText(Path.Combine(outDir, "loss.csv"), "epoch,step,train_loss,validation_loss,learning_rate,seconds\n" +
            string.Concat(result.Curve.Select(c => string.Format(inv, "{0},{1},{2:R},{3:R},{4:R},{5:F3}\n", c.Epoch, c.Step, c.TrainLoss, c.ValidationLoss, c.LearningRate, c.Seconds))));
        Atomic.WriteText(Path.Combine(outDir, "run.json"), RunJson(result, null).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return new TrainingRunResult(outDir, kind, result, result.Trained);
    }

    /// <summary>The checkpoint files of a state (see <see cref="CheckpointFile"/>, <see cref="OptimizerFile"/>).</summary>
    public static IReadOnlyDictionary<string, byte[]> StateFiles(TrainingState s)
    {
        var p = s.Schedule;
        var json = new JsonObject
        {
            ["epoch"] = s.Epoch, ["step"] = s.Step, ["bestValidationLoss"] = s.BestValidationLoss,
            ["schedule"] = new JsonObject
            {
                ["rate"] = p.Rate, ["factor"] = p.Factor, ["patience"] = p.Patience, ["threshold"] = p.Threshold, ["minRate"] = p.MinRate,
                ["best"] = double.IsFinite(p.Best) ? p.Best : null, ["bad"] = p.Bad,
            },
        };
        return new Dictionary<string, byte[]>
        {
            [CheckpointFile] = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })),
            [OptimizerFile] = s.Optimizer.ToBytes(),
        };
    }

    /// <summary>The state saved with a checkpoint folder, or null when it has none (a model saved by other means).</summary>
    public static TrainingState? ReadState(string dir)
    {
        var json = Path.Combine(dir, CheckpointFile);
        var bin = Path.Combine(dir, OptimizerFile);
        if (!File.Exists(json) || !File.Exists(bin)) return null;
        try
        {
            var n = JsonNode.Parse(File.ReadAllText(json)) ?? throw new InvalidDataException("empty");
            var p = n["schedule"]!;
            var schedule = new Plateau(p["rate"]!.GetValue<double>(), p["factor"]!.GetValue<double>(), p["patience"]!.GetValue<int>(), p["threshold"]!.GetValue<double>(),
                                       p["minRate"]!.GetValue<double>(), p["best"]?.GetValue<double>() ?? double.PositiveInfinity, p["bad"]!.GetValue<int>());
            return new TrainingState(n["epoch"]!.GetValue<int>(), n["step"]!.GetValue<long>(), schedule, n["bestValidationLoss"]!.GetValue<double>(),
                                     AdamState.FromBytes(File.ReadAllBytes(bin)));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new ModelFileException(json, $"not a readable training checkpoint: {e.Message}", e);
        }
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
public sealed class Reporter<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
