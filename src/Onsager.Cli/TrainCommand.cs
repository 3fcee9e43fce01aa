using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager.Cli;

/// <summary>`onsager train --data FILE --kind K --out DIR [...]`.</summary>
public static class TrainCommand
{
    public const string Usage = """
          train --data FILE --kind spectral|local|polynomial|classical|onsagernet|unconstrained|fno --out DIR [--budget D]
                [--epochs E] [--horizon K] [--scheme S] [--seed S] [--dtype f32|f64] [--lr LR] [--steps-per-epoch N]
                [--patience P] [--full-backprop] [--picard N] [--resume DIR] [--width W] [--depth D] [--window T]
                [--batch B] [--modes M] [--kernel K] [--rank R] [--split time|trajectories] [--conserve-mass]
                [--fit weak|strong]
              Train a member (or a baseline) on a dataset (split by trajectory as the reference does from 10
              trajectories on, else in time: the first 70 % of every trajectory's frames train, the next 20 %
              validate, the last 10 % are kept for evaluate; --split chooses; 11-frame windows, batches of 32,
              Adam, ReduceLROnPlateau, the best validation model kept). --budget is wall-clock (90s, 30m, 1h).
              DIR receives model.json + weights.bin (checkpointed atomically at every new best), loss.csv
              and run.json. --scheme is the stepper inside the loss (default dg; rk4-adaptive for local, RK4
              substeps as many as its stiffness needs; euler for the baselines onsagernet, unconstrained and
              fno, which cannot take dg); --horizon the loss horizon (default 3, 5
              for fput). classical saves the true equation of a known-truth dataset untrained. Baselines:
              onsagernet (a dense member: M = beta I + B B^T, W = B C^T - C B^T of rank --rank, E = a/2 |u|^2 + a
              bounded network of the whole state), unconstrained (a periodic convolutional force field,
              --width, --depth, --kernel) and fno (a Fourier neural operator, --modes 16, --width 64, --depth 4
              layers); unconstrained and fno are force fields outside the class (explicit schemes only).
              polynomial is fitted, not trained: E = integral u^2/2 with M and W polynomial in u and spectral
              derivatives (diffusion, hyperdiffusion, damping, u^2-mobility; transport, dispersion, advection
              b = c1 u + c2 u^2), by sign-constrained sparse least squares on the weak form of the training frames
              (--fit strong: on finite-difference u_t). --conserve-mass builds members whose M and W kill
              constants (spectral, local, polynomial); without it they do when the data conserve mass to 1e-6.
        """;

    public static readonly string[] Options =
        ["data", "kind", "out", "budget", "epochs", "horizon", "scheme", "seed", "dtype", "lr", "steps-per-epoch", "patience", "full-backprop", "picard", "resume", "width", "depth", "window", "batch", "threads",
         "modes", "kernel", "rank", "split", "conserve-mass", "fit"];

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        a.Only(Options);
        var dataPath = a.Text("data") ?? throw new UsageException("train needs --data FILE.");
        var outDir = OutputPath.Folder(a.Text("out") ?? throw new UsageException("train needs --out DIR."));
        var resume = a.Text("resume");
        var kind = a.Text("kind") ?? (resume is null ? throw new UsageException($"train needs --kind ({string.Join(", ", Families.Kinds)}).")
                                                     : ModelReference.ResolveFile(resume).Metadata.Kind);
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        var options = Parse(a, reader.Dataset, kind);
        Threads(a);
        FitForm? form = a.Text("fit") switch
        {
            null => null, "weak" => FitForm.Weak, "strong" => FitForm.Strong,
            var x => throw new UsageException($"--fit is weak or strong, got '{x}'."),
        };
        if (form is not null && kind != "polynomial") throw new UsageException("--fit applies to --kind polynomial only.");
        Train(reader, kind, outDir, options, resume, stdout, stderr, cancel, Spectral(a), Baseline(a), a.Flag("conserve-mass") ? true : null, form);
        return 0;
    }

    /// <summary>Options from the command line, with the dataset's defaults (horizon 5 for fput) and the kind's scheme (<see cref="Families.DefaultScheme"/>).</summary>
    public static TrainingOptions Parse(Arguments a, Dataset data, string kind = "spectral")
    {
        var o = new TrainingOptions
        {
            Scheme = a.Text("scheme") ?? Families.DefaultScheme(kind),
            Horizon = a.Int("horizon", data.Name == "fput" ? 5 : 3, 1),
            WindowLength = a.Int("window", 11, 2),
            BatchSize = a.Int("batch", 32, 1),
            MaxEpochs = a.Int("epochs", 10_000, 1),
            Seed = a.Int("seed", 0),
            LearningRate = a.Double("lr", 1e-3, positive: true),
            StepsPerEpoch = a.Int("steps-per-epoch", 50, 1),
            Patience = a.Int("patience", 10, 1),
            Detach = !a.Flag("full-backprop"),
            PicardIterations = a.Int("picard", TrainingSteps.DefaultPicardIterations, 1),
            Budget = a.Text("budget") is { } b ? Duration(b) : null,
            Split = SplitOption(a),
            DType = (a.Text("dtype") ?? "f32") switch
            {
                "f32" or "float32" => ScalarType.Float32,
                "f64" or "float64" => ScalarType.Float64,
                var x => throw new UsageException($"--dtype is f32 or f64, got '{x}'.")
            },
        };
        if (!Stepper.Names.Contains(o.Scheme)) throw new UsageException($"Unknown scheme '{o.Scheme}'. Schemes: {string.Join(", ", Stepper.Names)}.");
        return o;
    }

    /// <summary>--split time|trajectories (null when absent: the data's default).</summary>
    public static SplitKind? SplitOption(Arguments a)
    {
        try { return DatasetSplit.Parse(a.Text("split")); }
        catch (ArgumentException e) { throw new UsageException("--split: " + e.Message); }
    }

    /// <summary>
    /// libtorch threads for training (--threads, default 1): measured on this 2-core machine, a second thread gains little
    /// on these tensor sizes and costs 10x or more when the other core is busy (OpenMP barriers spin).
    /// </summary>
    public static void Threads(Arguments a) => set_num_threads(a.Int("threads", 1, 1));

    /// <summary>Network sizes of the spectral family (--width, --depth).</summary>
    public static SpectralOptions Spectral(Arguments a) =>
        SpectralOptions.Default with { Width = a.Int("width", SpectralOptions.Default.Width, 1), Depth = a.Int("depth", SpectralOptions.Default.Depth, 1) };

    /// <summary>Sizes of the baselines: --width and --depth (layers) where given, --modes (fno), --kernel (unconstrained), --rank (onsagernet).</summary>
    public static BaselineOptions Baseline(Arguments a)
    {
        var d = BaselineOptions.Default;
        return d with
        {
            FnoWidth = a.Int("width", d.FnoWidth, 1), FnoLayers = a.Int("depth", d.FnoLayers, 1), FnoModes = a.Int("modes", d.FnoModes, 1),
            CnnWidth = a.Int("width", d.CnnWidth, 1), CnnDepth = a.Int("depth", d.CnnDepth, 1), CnnKernel = a.Int("kernel", d.CnnKernel, 1),
            EnergyWidth = a.Int("width", d.EnergyWidth, 1), EnergyDepth = a.Int("depth", d.EnergyDepth, 1), Rank = a.Int("rank", d.Rank, 1),
        };
    }

    /// <summary>"90s", "30m", "1h", "1h30m", or a number of seconds.</summary>
    public static TimeSpan Duration(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0) return TimeSpan.FromSeconds(seconds);
        var total = TimeSpan.Zero;
        var number = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsDigit(c) || c == '.') { number.Append(c); continue; }
            if (number.Length == 0 || !double.TryParse(number.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new UsageException($"--budget: cannot read '{text}' (use 90s, 30m, 1h or 1h30m).");
            total += c switch
            {
                's' => TimeSpan.FromSeconds(v), 'm' => TimeSpan.FromMinutes(v), 'h' => TimeSpan.FromHours(v),
                _ => throw new UsageException($"--budget: unknown unit '{c}' in '{text}' (s, m or h).")
            };
            number.Clear();
        }
        if (number.Length > 0 || total <= TimeSpan.Zero) throw new UsageException($"--budget: cannot read '{text}' (use 90s, 30m, 1h or 1h30m).");
        return total;
    }

    /// <summary>Builds (or resumes) the member, trains it, checkpoints every new best into outDir, and writes loss.csv and run.json.</summary>
    public static TrainingResult? Train(DatasetReader reader, string kind, string outDir, TrainingOptions options, string? resume,
                                        TextWriter stdout, TextWriter stderr, CancellationToken cancel, SpectralOptions? spectral = null,
                                        BaselineOptions? baseline = null, bool? conserveMass = null, FitForm? form = null)
    {
        var data = reader.Dataset;
        var inv = CultureInfo.InvariantCulture;
        IVectorField initial;
        if (resume is not null)
        {
            var file = ModelReference.ResolveFile(resume);
            file.CheckCompatible(data.Grid, data.Fields, resume);
            initial = file.Field;
            kind = file.Metadata.Kind;
            stderr.WriteLine($"resuming {kind} from {resume}");
        }
        else
        {
            var trainSplit = data.SplitBy(options.Split, options.Seed);
            if (conserveMass is null && kind is "spectral" or "local" && DataMass.Conserved(reader, trainSplit))
            {
                conserveMass = true;
                stderr.WriteLine($"the data conserve mass (relative drift <= {DataMass.Tolerance:G2}): building a mass-conserving {kind} member (M and W kill constants)");
            }
            initial = Families.Create(kind, data.Grid, data.Fields, options.Seed, data.KnownMember, spectral, baseline, conserveMass == true && kind != "polynomial");
        }
        string dtype = options.DType == ScalarType.Float32 ? "float32" : "float64";
        var split = data.SplitBy(options.Split, options.Seed);
        options = options with { Split = split.Kind };
        string gauge = initial is Model ? "none fixed during training; see docs/theory.md (gauges)" : "none (a force field has no energy)";
        ModelMetadata Metadata(JsonObject training) =>
            new(kind, data.Dt, dtype, gauge, JsonDocument.Parse(training.ToJsonString()).RootElement);
        JsonObject Run(TrainingResult? r, EpochRecord? at) => new()
        {
            ["dataset"] = data.Name, ["data"] = Path.GetFullPath(data.Path), ["kind"] = kind, ["scheme"] = options.Scheme, ["horizon"] = options.Horizon,
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
            ModelDirectory.Save(outDir, initial, Metadata(Run(null, null)));
            stdout.WriteLine($"wrote {outDir}: classical member (the true equation, nothing learned): {initial.Describe()}");
            return null;
        }

        if (kind == "polynomial")
        {
            var fitOptions = new PolynomialFitOptions { Split = options.Split, Seed = options.Seed, ConserveMass = conserveMass,
                                                        Form = form ?? FitForm.Weak };
            var fit = PolynomialFitting.Fit(reader, fitOptions, cancel);
            stderr.WriteLine(fit.Split.Describe());
            stderr.WriteLine($"fitting polynomial on {data.Name} ({fit.Form.ToString().ToLowerInvariant()} form, {fit.Rows} rows): {fit.MassReason}");
            var run = Run(null, null);
            run["scheme"] = Families.DefaultScheme(kind);
            run["fit"] = fit.ToJson();
            ModelDirectory.Save(outDir, fit.Model, Metadata(run));
            WriteAtomically(Path.Combine(outDir, "run.json"), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            stdout.WriteLine(string.Format(inv, "wrote {0}: polynomial fitted in {1:F1} s, unexplained {2:P2}: {3}", outDir, fit.Elapsed.TotalSeconds, fit.Unexplained, fit.Describe()));
            return null;
        }

        stderr.WriteLine(options.Split == data.DefaultSplit && data.DefaultSplit == SplitKind.Time
            ? $"{data.Samples} trajector{(data.Samples == 1 ? "y" : "ies")} (fewer than {Dataset.TrajectoriesForSplit}): {split.Describe()}"
            : split.Describe());
        stderr.WriteLine($"training {kind} on {data.Name} ({data.Samples} trajectories, grid {string.Join("x", data.Points)}, dt {data.Dt:G3}): " +
                         $"scheme {options.Scheme}, horizon {options.Horizon}, {dtype}, budget {(options.Budget?.ToString() ?? "none")}");
        var trainer = new Trainer(initial, options) { OnBest = (m, record) => ModelDirectory.Save(outDir, m, Metadata(Run(null, record))) };
        var progress = new SyncProgress<TrainingProgress>(p => stderr.WriteLine(string.Format(inv,
            "epoch {0,5}  step {1,7}  train {2:E3}  val {3:E3}  best {4:E3}  lr {5:E1}  {6:F0} s{7}",
            p.Epoch, p.Step, p.TrainLoss, p.ValidationLoss, p.BestValidationLoss, p.LearningRate, p.Elapsed.TotalSeconds,
            p.Remaining is { } r ? string.Format(inv, "  (budget left {0:F0} s)", r.TotalSeconds) : "")));
        var result = trainer.Train(reader, progress, cancel);
        foreach (var line in result.Log) stderr.WriteLine(line);
        ModelDirectory.Save(outDir, result.Trained, Metadata(Run(result, null)));
        WriteAtomically(Path.Combine(outDir, "loss.csv"), "epoch,step,train_loss,validation_loss,learning_rate,seconds\n" +
            string.Concat(result.Curve.Select(c => string.Format(inv, "{0},{1},{2:R},{3:R},{4:R},{5:F3}\n", c.Epoch, c.Step, c.TrainLoss, c.ValidationLoss, c.LearningRate, c.Seconds))));
        WriteAtomically(Path.Combine(outDir, "run.json"), Run(result, null).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        stdout.WriteLine(string.Format(inv, "wrote {0}: {1} trained {2} epochs ({3} steps) in {4:F0} s, best validation loss {5:E3} at epoch {6}, stopped: {7}",
            outDir, kind, result.Epochs, result.Steps, result.Elapsed.TotalSeconds, result.BestValidationLoss, result.BestEpoch, result.StoppedBecause));
        return result;
    }

    /// <summary>A text file written through <see cref="Atomic.WriteFile"/> (temporary name, flush, rename).</summary>
    internal static void WriteAtomically(string path, string text) =>
        Atomic.WriteFile(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
