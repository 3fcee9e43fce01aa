using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>What to evaluate. Rollouts run in float64 with <see cref="Scheme"/> at the data's dt.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The rollout stepper, as tuned for the member (<see cref="Stepper.TunedFor"/>; default: the discrete gradient).</summary>
    public Stepper Scheme { get; init; } = new Stepper.DiscreteGradient();
    /// <summary>Steps of the reference protocol (5).</summary>
    public int Steps { get; init; } = 5;
    /// <summary>Test trajectories of the reference protocol (10, evenly spaced).</summary>
    public int ReferenceTrajectories { get; init; } = 10;
    /// <summary>Start frames of the all-windows statistic: 0, stride, 2 stride, ... (every test trajectory).</summary>
    public int WindowStride { get; init; } = 5;
    /// <summary>Length of the long rollout (50; shortened to the data's frames).</summary>
    public int LongSteps { get; init; } = 50;
    /// <summary>Rollouts per batch at most; fewer on large grids (<see cref="Chunks.States"/>).</summary>
    public int Batch { get; init; } = 128;
    /// <summary>Seed of the reference split (must be the one training used).</summary>
    public int Seed { get; init; }
    /// <summary>The split (must be the one training used; null: the data's default, <see cref="Dataset.DefaultSplit"/>).</summary>
    public SplitKind? Split { get; init; }
    /// <summary>The TorchSharp device to evaluate on.</summary>
    public Device? Device { get; init; }
    /// <summary>Told the phase now running ("first table", "windows 1-128 of 500", "long rollouts"): the CLI's heartbeat
    /// prints it while a phase runs long. Null: nothing is told.</summary>
    public IProgress<string>? Progress { get; init; }
}

/// <summary>The evaluation of one model on one dataset (the JSON of `evaluate --json` and evaluation.json). <see cref="EnergyRises"/>
/// is null for a baseline force field, which has no energy.</summary>
public sealed record EvaluationResult(string Dataset, string Model, string Scheme, ImmutableArray<StepError> Steps, ImmutableArray<StepError> AllWindows,
                                      double Rollout50, int Rollout50Steps, double? EnergyRises, int Unconverged, int TestTrajectories, int Windows,
                                      TimeSpan Elapsed, int WindowStride)
{
    /// <summary>"trajectories" or "time": how the test data were set apart.</summary>
    public string Split { get; init; } = "trajectories";
    /// <summary>Test trajectories the first table rolls out (the reference protocol's 10 where there are that many).</summary>
    public int FirstTableTrajectories { get; init; }
    /// <summary>The frame the first table's rollouts start from (0 in a split by trajectory, the first test frame in a split in time).</summary>
    public int FirstTestFrame { get; init; }

    /// <summary>The result as JSON.</summary>
    public JsonObject ToJson()
    {
        static JsonArray Table(ImmutableArray<StepError> t) =>
            new(t.Select(e => (JsonNode)new JsonObject { ["step"] = e.Step, ["mean"] = e.Mean, ["std"] = e.Std }).ToArray());
        return new JsonObject
        {
            ["dataset"] = Dataset, ["model"] = Model, ["scheme"] = Scheme,
            ["steps"] = Table(Steps), ["allWindows"] = Table(AllWindows),
            ["rollout50"] = Rollout50, ["rollout50Steps"] = Rollout50Steps, ["energyRises"] = EnergyRises,
            ["unconverged"] = Unconverged, ["testTrajectories"] = TestTrajectories, ["windows"] = Windows, ["windowStride"] = WindowStride,
            ["split"] = Split, ["firstTableTrajectories"] = FirstTableTrajectories, ["firstTestFrame"] = FirstTestFrame,
            ["seconds"] = Math.Round(Elapsed.TotalSeconds, 2),
        };
    }
}

/// <summary>
/// The reference protocol (seed-benchmark.md, "Metric") and beside it the same statistic over all test trajectories
/// and start frames, a long-rollout error and the share of rollout steps where the member's own energy rises (members
/// only: a baseline force field has no energy). Members and baselines go through the same rollouts.
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates the model on the dataset file, off the calling thread.</summary>
    public static Task<EvaluationResult> EvaluateAsync(IVectorField model, string dataPath, EvaluationOptions? options = null, string modelName = "model",
                                                       CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            using var reader = DatasetReader.Open(dataPath);
            return Evaluate(model, reader, options, modelName, cancellationToken);
        }, cancellationToken);

    /// <summary>A saved model on a dataset, its grid and fields checked first; named "KIND (name)" in the result.</summary>
    public static EvaluationResult Evaluate(ModelFile file, string name, DatasetReader reader, EvaluationOptions options, CancellationToken cancellationToken = default)
    {
        file.CheckCompatible(reader.Dataset.Grid, reader.Dataset.Fields, name);
        return Evaluate(file.Field, reader, options, $"{file.Metadata.Kind} ({name})", cancellationToken);
    }

    /// <summary>Evaluates the model on the dataset.</summary>
    public static EvaluationResult Evaluate(IVectorField model, DatasetReader reader, EvaluationOptions? options = null, string modelName = "model",
                                            CancellationToken cancellationToken = default)
    {
        var o = options ?? new EvaluationOptions();
        var data = reader.Dataset;
        ModelData.CheckCompatible(model, data);
        var clock = Stopwatch.StartNew();
        var split = data.SplitBy(o.Split, o.Seed);
        var test = split.Test;
        var frames = split.TestFrames ?? new FrameRange(0, data.Frames);
        if (test.IsDefaultOrEmpty) throw new ArgumentException($"{data.Path}: the test split is empty ({data.Samples} trajectories).");
        int steps = Math.Min(o.Steps, frames.Count - 1);
        double dt = data.Dt;
        using var m = VectorField.Compile(model, new CompileOptions(ScalarType.Float64, o.Device));
        var stepper = o.Scheme.TunedFor(m);
        VectorField.CheckScheme(m, stepper);

        // The reference protocol: 10 evenly spaced test trajectories from their first test frame (frame 0 in its split).
        var referenceSamples = RelativeRmse.ReferenceIndices(test.Length, Math.Min(o.ReferenceTrajectories, test.Length)).Select(i => test[i]).ToList();
        int unconverged = 0;
        int batch = Chunks.States(m.Grid, o.Batch);                             // 4 rollouts at a time on 128 x 128
        o.Progress?.Report($"evaluate: first table ({referenceSamples.Count} rollouts of {steps} steps, {stepper.Name})");
        var reference = Errors(m, stepper, reader, referenceSamples.Select(s => new WindowStart(s, frames.Start)).ToList(), steps, dt, batch, ref unconverged, cancellationToken);

        // All test trajectories, start frames first, first + stride, ... within the test frames
        var windows = test.SelectMany(s => Enumerable.Range(0, frames.Count - steps).Where(f => f % o.WindowStride == 0)
                                                     .Select(f => new WindowStart(s, frames.Start + f))).ToList();
        var all = Errors(m, stepper, reader, windows, steps, dt, batch, ref unconverged, cancellationToken, o.Progress);

        // Long rollouts from the first test frame of the reference trajectories, with the energy along them.
        int longSteps = Math.Min(o.LongSteps, frames.Count - 1);
        o.Progress?.Report($"evaluate: long rollouts ({referenceSamples.Count} of {longSteps} steps)");
        var (longErrors, rises, transitions) = LongRollouts(m, stepper, reader, referenceSamples, frames.Start, longSteps, dt, ref unconverged, cancellationToken);
        var longSummary = RelativeRmse.Summarise(longErrors);
        return new EvaluationResult(data.Name, modelName, stepper.Name, RelativeRmse.Summarise(reference), RelativeRmse.Summarise(all),
                                    longSummary.Length > 0 ? longSummary[^1].Mean : double.NaN, longSteps,
                                    rises is null ? null : transitions == 0 ? 0 : rises / (double)transitions, unconverged, test.Length, windows.Count, clock.Elapsed,
                                    o.WindowStride)
        { Split = split.Name, FirstTableTrajectories = referenceSamples.Count, FirstTestFrame = frames.Start };
    }

    /// <summary>
    /// Rolls the member out from the first frame of each window and returns, per window, the relative RMSE at steps
    /// 1..steps against the data (both in the model's layout), with the rollout itself.
    /// </summary>
    private static (List<double[]> Errors, RolloutFrames Rollout) Roll(ICompiledVectorField m, Stepper stepper, DatasetReader reader, IReadOnlyList<WindowStart> starts,
                                                                      int steps, double dt, ref int unconverged, CancellationToken cancel)
    {
        var d = reader.Dataset;
        var values = starts.SelectMany(w => reader.ReadFrames(w.Sample, w.Start, steps + 1)).ToArray();
        var truth = Layout.ToModelTensor(values, starts.Count, steps + 1, d);        // (window, frame, field, sites...), float32
        var r = Rollout.Frames(m, stepper, truth.select(1, 0).to(ScalarType.Float64), dt, steps, cancel);
        unconverged += r.Unconverged;
        var errors = Enumerable.Range(0, starts.Count).Select(b => Enumerable.Range(1, steps).Select(s =>
            RelativeRmse.Of(r.States[s][b].contiguous().data<double>().ToArray(), truth[b, s].contiguous().data<float>().ToArray())).ToArray()).ToList();
        return (errors, r);
    }

    private static List<double[]> Errors(ICompiledVectorField m, Stepper stepper, DatasetReader reader, List<WindowStart> starts, int steps, double dt, int batch,
                                         ref int unconverged, CancellationToken cancel, IProgress<string>? progress = null)
    {
        var errors = new List<double[]>();
        for (int i = 0; i < starts.Count; i += batch)
        {
            progress?.Report($"evaluate: windows {i + 1}-{Math.Min(i + batch, starts.Count)} of {starts.Count} ({steps} steps each)");
            using var scope = NewDisposeScope();
            errors.AddRange(Roll(m, stepper, reader, starts.Skip(i).Take(batch).ToList(), steps, dt, ref unconverged, cancel).Errors);
        }
        return errors;
    }

    /// <summary>The long rollouts' errors and, for a member, how many steps raised its energy out of how many finite ones (null for a force field).</summary>
    private static (List<double[]> Errors, long? Rises, long Transitions) LongRollouts(ICompiledVectorField m, Stepper stepper, DatasetReader reader, List<int> samples,
                                                                                      int start, int steps, double dt, ref int unconverged, CancellationToken cancel)
    {
        using var scope = NewDisposeScope();
        var starts = samples.Select(s => new WindowStart(s, start)).ToList();
        var (errors, r) = Roll(m, stepper, reader, starts, steps, dt, ref unconverged, cancel);
        if (r.Energy is not { } energy) return (errors, null, 0);
        long rises = 0, transitions = 0;
        double allowance = stepper.RiseAllowance;
        for (int b = 0; b < starts.Count; b++)
            for (int s = 1; s <= steps; s++)
            {
                double e0 = energy[b, s - 1], e1 = energy[b, s];
                if (!double.IsFinite(e0) || !double.IsFinite(e1)) continue;
                transitions++;
                if (e1 - e0 > allowance * (Math.Abs(e0) + Math.Abs(e1))) rises++;
            }
        return (errors, rises, transitions);
    }
}
