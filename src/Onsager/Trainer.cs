using System.Collections.Immutable;
using System.Diagnostics;
using Onsager.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>How to train (defaults: the reference's protocol where it has one; see docs/training.md for the measured choices).</summary>
public sealed record TrainingOptions
{
    /// <summary>The stepper inside the loss, through its <see cref="Stepper.TrainingStep"/> (default: the discrete gradient,
    /// whose training step is dg-picard).</summary>
    public Stepper Scheme { get; init; } = new Stepper.DiscreteGradient();
    /// <summary>Loss horizon k (3 in the reference; 5 for fput).</summary>
    public int Horizon { get; init; } = 3;
    /// <summary>Frames per training window; null: the reference's <see cref="ReferenceWindow"/>, or fewer where the split's
    /// training or validation frames are fewer (<see cref="WindowOn"/>). A given length is used as given.</summary>
    public int? WindowLength { get; init; }

    /// <summary>The reference's window: 11 frames.</summary>
    public const int ReferenceWindow = 11;

    /// <summary>The window length training uses on a split of trajectories of the given frames: <see cref="WindowLength"/>
    /// when given, else <see cref="ReferenceWindow"/> cut to the shortest part that windows are drawn from (the training and
    /// validation frames; 41 frames split in time validate on 8), never below <see cref="Horizon"/> + 1 (a part shorter
    /// than that is refused by <see cref="TrainingWindows"/>, naming it).</summary>
    public int WindowOn(DatasetSplit split, int frames) =>
        WindowLength ?? Math.Max(Horizon + 1, Math.Min(ReferenceWindow,
            Math.Min(split.TrainFrames?.Count ?? frames, split.ValidationFrames?.Count ?? frames)));
    /// <summary>Windows per optimiser step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Optimiser steps per epoch (one validation, one schedule update and one checkpoint decision per epoch).</summary>
    public int StepsPerEpoch { get; init; } = 50;
    /// <summary>The maximum number of epochs.</summary>
    public int MaxEpochs { get; init; } = 10_000;
    /// <summary>The initial learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>ReduceLROnPlateau patience in epochs (the reference: 300 epochs of ~200 steps).</summary>
    public int Patience { get; init; } = 10;
    /// <summary>Stop after this many epochs without a better validation loss.</summary>
    public int EarlyStopping { get; init; } = 40;
    /// <summary>Wall-clock budget; training stops at the first epoch boundary past it.</summary>
    public TimeSpan? Budget { get; init; }
    /// <summary>Cut the graph between the k loss steps (the reference) or back-propagate through all of them.</summary>
    public bool Detach { get; init; } = true;
    /// <summary>Picard iterations unrolled by the dg step in the loss.</summary>
    public int PicardIterations { get; init; } = TrainingSteps.DefaultPicardIterations;
    /// <summary>Training precision; evaluation, rollouts and laws are always float64.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;
    /// <summary>The random seed.</summary>
    public int Seed { get; init; }
    /// <summary>Windows of the validation split used for the validation loss (fixed, seeded).</summary>
    public int ValidationWindows { get; init; } = 128;
    /// <summary>Consecutive NaN/Inf rollbacks after which training stops with an error.</summary>
    public int MaxRollbacks { get; init; } = 5;
    /// <summary>The TorchSharp device to train on.</summary>
    public Device? Device { get; init; }
    /// <summary>The split of the data (null: the data's default, <see cref="Dataset.DefaultSplit"/>: in time below
    /// <see cref="Dataset.TrajectoriesForSplit"/> trajectories).</summary>
    public SplitKind? Split { get; init; }
}

/// <summary>One report of progress.</summary>
public sealed record TrainingProgress(int Epoch, long Step, double TrainLoss, double ValidationLoss, double BestValidationLoss,
                                      double LearningRate, TimeSpan Elapsed, TimeSpan? Remaining);

/// <summary>One row of the loss curve.</summary>
public sealed record EpochRecord(int Epoch, long Step, double TrainLoss, double ValidationLoss, double LearningRate, double Seconds);

/// <summary>What training returns: the best-validation vector field as a value, and how it got there.</summary>
public sealed record TrainingResult(IVectorField Trained, double BestValidationLoss, int BestEpoch, int Epochs, long Steps, TimeSpan Elapsed,
                                    string StoppedBecause, int Rollbacks, ImmutableArray<EpochRecord> Curve, ImmutableArray<string> Log, DatasetSplit Split)
{
    /// <summary>The trained member of the class (an <see cref="InvalidOperationException"/> when a baseline force field was trained: use <see cref="Trained"/>).</summary>
    public Model Model => Trained as Model ?? throw new InvalidOperationException(
        $"A baseline force field was trained, not a member of the class ({Trained.Describe()}): use Trained.");
}

/// <summary>Where a training stands after an epoch that gave a new best: the epoch and step counts, the learning-rate
/// schedule, the best validation loss and the optimiser's moments. Saved beside each checkpoint; a training given it
/// (<see cref="Trainer.ResumeFrom"/>) continues from it: its epochs count on, Adam keeps its moments and step counts.</summary>
public sealed record TrainingState(int Epoch, long Step, Plateau Schedule, double BestValidationLoss, AdamState Optimizer);

/// <summary>Training diverged: too many consecutive NaN/Inf losses or states even after rolling back and halving the rate.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Trains a member of the class, or a baseline force field, on a dataset: Adam on the autoregressive loss
/// (<see cref="Loss"/>) over seeded random windows of the training split, ReduceLROnPlateau on the validation loss,
/// the best-validation value kept, rollback on NaN. Returns a new value; the initial one is untouched.
/// </summary>
public sealed class Trainer(IVectorField initial, TrainingOptions? options = null)
{
    /// <summary>The field training starts from.</summary>
    public IVectorField Initial { get; } = initial;
    /// <summary>The training options.</summary>
    public TrainingOptions Options { get; } = options ?? new TrainingOptions();

    /// <summary>Called with every new best value (to checkpoint it; the facade's caller decides where).</summary>
    public Action<IVectorField, EpochRecord>? OnBest { get; init; }

    /// <summary>Called with every new best value and the state to resume from it (what <see cref="TrainingRun"/> checkpoints).</summary>
    public Action<IVectorField, EpochRecord, TrainingState>? OnCheckpoint { get; init; }

    /// <summary>The state of the checkpoint <see cref="Initial"/> was saved with: epochs continue from its epoch, the schedule,
    /// the best loss and Adam's moments from its values (window draws from a seed derived from its step count);
    /// <see cref="TrainingOptions.MaxEpochs"/> more epochs at most.</summary>
    public TrainingState? ResumeFrom { get; init; }

    /// <summary>Trains on the dataset file, off the calling thread.</summary>
    public Task<TrainingResult> TrainAsync(string dataPath, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            using var reader = DatasetReader.Open(dataPath);
            return Train(reader, progress, cancellationToken);
        }, cancellationToken);

    /// <summary>Synchronous training on an open dataset (what <see cref="TrainAsync"/> runs).</summary>
    public TrainingResult Train(DatasetReader reader, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        var data = reader.Dataset;
        ModelData.CheckCompatible(Initial, data);
        double dt = data.Dt;
        if (!(dt > 0)) throw new ArgumentException($"{data.Path}: no positive time step in t_coord.");
        var split = data.SplitBy(o.Split, o.Seed);
        int window = o.WindowOn(split, data.Frames);
        var train = new TrainingWindows(reader, split.Train, window, frames: split.TrainFrames);
        var validation = new TrainingWindows(reader, split.Validation.IsDefaultOrEmpty ? split.Train : split.Validation, window,
                                             frames: split.ValidationFrames);
        var resume = ResumeFrom;
        var rng = resume is null ? new Random(o.Seed) : new Random(unchecked(o.Seed * 1_000_003 + (int)resume.Step));
        var validationWindows = validation.Draw(new Random(o.Seed + 1), o.ValidationWindows);
        var stepper = o.Scheme;
        var log = ImmutableArray.CreateBuilder<string>();
        var curve = ImmutableArray.CreateBuilder<EpochRecord>();

        torch.manual_seed(o.Seed);
        using var m = VectorField.Compile(Initial, CompileOptions.Training(o.DType, o.Device));
        VectorField.CheckScheme(m, stepper);
        var parameters = m.parameters().ToArray();
        if (parameters.Length == 0) throw new ArgumentException("The model has no learned numbers: nothing to train.");
        var schedule = resume?.Schedule ?? new Plateau(o.LearningRate, 0.5, o.Patience);
        var optimizer = new Adam(parameters);
        if (resume is not null) optimizer.Import(resume.Optimizer);
        var lastGood = parameters.Select(p => p.detach().clone()).ToArray();
        var best = Initial;
        double bestLoss = resume?.BestValidationLoss ?? double.PositiveInfinity;
        int bestEpoch = resume?.Epoch ?? 0, rollbacks = 0, consecutive = 0, epoch = 0;
        long step = resume?.Step ?? 0;
        string stopped = "max epochs";
        var clock = Stopwatch.StartNew();

        Tensor Batch(IReadOnlyList<WindowStart> windows, TrainingWindows source) =>
            Layout.ToModelTensor(source.Read(windows), windows.Count, source.Length, data).to(o.DType, m.Device);

        double Validate()
        {
            double total = 0;
            int count = 0;
            for (int i = 0; i < validationWindows.Length; i += o.BatchSize)
            {
                using var scope = NewDisposeScope();
                var chunk = validationWindows.Skip(i).Take(o.BatchSize).ToList();
                var l = Loss.Autoregressive(m, stepper, Batch(chunk, validation), o.Horizon, dt, true, o.PicardIterations).detach();
                total += l.ToNumber() * chunk.Count;
                count += chunk.Count;
            }
            return total / count;
        }

        void Rollback(string why)
        {
            rollbacks++;
            consecutive++;
            using (no_grad())
                for (int i = 0; i < parameters.Length; i++) parameters[i].copy_(lastGood[i]);
            schedule = schedule.Halve();
            optimizer.Dispose();
            optimizer = new Adam(parameters);
            log.Add($"step {step}: {why}; rolled back to the last good parameters, learning rate halved to {schedule.Rate:G3}");
            if (consecutive >= o.MaxRollbacks)
                throw new TrainingDivergedException($"Training diverged: {consecutive} consecutive non-finite losses or states (last at step {step}: {why}) " +
                                                    $"even after rolling back and halving the learning rate to {schedule.Rate:G3}.");
        }

        int first = bestEpoch + 1, last = bestEpoch + o.MaxEpochs;         // a resumed run numbers on and runs MaxEpochs more
        for (epoch = first; epoch <= last; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double trainSum = 0;
            int trainCount = 0;
            for (int s = 0; s < o.StepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // On large grids one epoch can outlast the budget: stop mid-epoch (after at least one step) and validate.
                if (s > 0 && o.Budget is { } within && clock.Elapsed >= within) break;
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                var loss = Loss.Autoregressive(m, stepper, Batch(train.Draw(rng, o.BatchSize), train), o.Horizon, dt, o.Detach, o.PicardIterations);
                double value = loss.ToNumber();
                step++;
                if (!double.IsFinite(value)) { Rollback($"loss {value}"); continue; }
                loss.backward();
                optimizer.Step(schedule.Rate);
                if (parameters.Any(p => !p.isfinite().all().item<bool>())) { Rollback("non-finite parameters after the update"); continue; }
                trainSum += value;
                trainCount++;
            }
            double val = Validate();
            if (!double.IsFinite(val)) { Rollback($"validation loss {val}"); continue; }
            consecutive = 0;
            using (no_grad())
                for (int i = 0; i < parameters.Length; i++) lastGood[i].copy_(parameters[i]);
            schedule = schedule.Observe(val);
            var record = new EpochRecord(epoch, step, trainCount > 0 ? trainSum / trainCount : double.NaN, val, schedule.Rate, clock.Elapsed.TotalSeconds);
            curve.Add(record);
            if (val < bestLoss)
            {
                bestLoss = val;
                bestEpoch = epoch;
                best = m.Snapshot();
                OnBest?.Invoke(best, record);
                if (OnCheckpoint is { } checkpoint) checkpoint(best, record, new TrainingState(epoch, step, schedule, bestLoss, optimizer.Export()));
            }
            TimeSpan? remaining = o.Budget is { } b ? b - clock.Elapsed : null;
            progress?.Report(new TrainingProgress(epoch, step, record.TrainLoss, val, bestLoss, schedule.Rate, clock.Elapsed,
                                                  remaining is { } r && r > TimeSpan.Zero ? r : null));
            if (o.Budget is { } budget && clock.Elapsed + epochClock.Elapsed / 2 >= budget) { stopped = "budget"; break; }
            if (epoch - bestEpoch >= o.EarlyStopping) { stopped = "early stopping"; break; }
        }
        optimizer.Dispose();
        return new TrainingResult(best, bestLoss, bestEpoch, Math.Min(epoch, last), step, clock.Elapsed, stopped, rollbacks, curve.ToImmutable(), log.ToImmutable(), split);
    }
}
