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
              validate, the last 10 % are kept for evaluate; --split chooses; 11-frame windows, fewer when the
              training or validation frames are fewer; batches of 32, Adam, ReduceLROnPlateau, the best
              validation model kept). --budget is wall-clock (90s, 30m, 1h).
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
        var dataPath = a.Text("data") ?? throw new UsageException("train needs --data FILE.");
        var outDir = OutputPath.Folder(a.Text("out") ?? throw new UsageException("train needs --out DIR."));
        var resume = a.Text("resume");
        var kind = a.Text("kind");
        if (kind is null && resume is null) throw new UsageException($"train needs --kind ({string.Join(", ", Families.Kinds)}).");
        if (resume is not null && resume.StartsWith("builtin:", StringComparison.Ordinal))
            throw new UsageException("--resume takes a model folder written by train.");
        var choices = Choices(a);
        if (a.Text("fit") is not null && kind != "polynomial") throw new UsageException("--fit applies to --kind polynomial only.");
        Threads(a);
        var run = TrainingRun.Run(new TrainingRunOptions(dataPath, outDir)
        {
            Kind = kind, Resume = resume, Choices = choices, Spectral = Spectral(a), Baseline = Baseline(a),
            ConserveMass = a.Flag("conserve-mass") ? true : null,
            Fit = a.Text("fit") switch
            {
                null => null, "weak" => FitForm.Weak, "strong" => FitForm.Strong,
                var x => throw new UsageException($"--fit is weak or strong, got '{x}'."),
            },
        }, new Reporter<string>(stderr.WriteLine), cancel);
        stdout.WriteLine(run.Summary);
        return 0;
    }

    /// <summary>The training choices on the command line (the rest take the data's and the kind's defaults, <see cref="TrainingRun.Defaults"/>).</summary>
    public static TrainingChoices Choices(Arguments a) => new()
    {
        Scheme = a.Text("scheme") is { } scheme ? Schemes.Parse(scheme) : null,
        Horizon = Optional(a, "horizon", 1),
        WindowLength = Optional(a, "window", 2),
        BatchSize = Optional(a, "batch", 1),
        MaxEpochs = Optional(a, "epochs", 1),
        Seed = Optional(a, "seed", int.MinValue),
        LearningRate = a.Text("lr") is null ? null : a.Double("lr", 1e-3, positive: true),
        StepsPerEpoch = Optional(a, "steps-per-epoch", 1),
        Patience = Optional(a, "patience", 1),
        Detach = a.Flag("full-backprop") ? false : null,
        PicardIterations = Optional(a, "picard", 1),
        Budget = a.Text("budget") is { } b ? Duration(b) : null,
        Split = SplitOption(a),
        DType = a.Text("dtype") switch
        {
            null => null,
            "f32" or "float32" => ScalarType.Float32,
            "f64" or "float64" => ScalarType.Float64,
            var x => throw new UsageException($"--dtype is f32 or f64, got '{x}'.")
        },
    };

    private static int? Optional(Arguments a, string name, int min) => a.Text(name) is null ? null : a.Int(name, 0, min);

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
}
