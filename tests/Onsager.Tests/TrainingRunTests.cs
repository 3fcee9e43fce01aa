using System.Globalization;
using System.Text.Json.Nodes;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static TorchSharp.torch;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>What a training run promises beyond lowering a loss: it stops on its budget and says so in run.json;
/// --resume starts from the checkpoint's weights; the test trajectories never reach training or validation; the streamed
/// window path gives the same batches as the in-memory one.</summary>
public sealed class TrainingRunTests() : ScratchFolder("onsager-trainrun")
{
    private static readonly Recipe SmallAc = Recipes.With(Recipes.Get("ac"), frames: 16, points: 32);

    private string SmallData()
    {
        var path = P("ac.h5");
        if (!File.Exists(path)) DatasetWriter.Generate(SmallAc, 20, 7, path);
        return path;
    }

    private static readonly string[] Small = ["--window", "3", "--horizon", "2", "--batch", "4", "--width", "8", "--depth", "1", "--dtype", "f64"];

    [Fact]
    public void ATinyBudgetStopsTheRunAfterOneStepAndRunJsonSaysWhy()
    {
        var data = SmallData();
        var outDir = P("budget");
        // 1 ms: the first step of the first epoch outlasts it, so the epoch stops after that one step, validates, and the
        // run stops on its budget although 50 epochs of 3 steps were allowed.
        var r = Run(["train", "--data", data, "--kind", "spectral", "--out", outDir, "--epochs", "50", "--steps-per-epoch", "3", "--budget", "0.001", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("stopped: budget", r.Out);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!;
        Assert.Equal("budget", (string)run["stoppedBecause"]!);
        Assert.Equal(0.001, (double)run["budgetSeconds"]!);
        Assert.Equal(1, (int)run["epochs"]!);
        Assert.Equal(1, (long)run["steps"]!);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(outDir, "loss.csv")).Length);       // header and the one epoch

        // the same run without a budget runs its epochs out (so the stop above is the budget's)
        r = Run(["train", "--data", data, "--kind", "spectral", "--out", P("nobudget"), "--epochs", "2", "--steps-per-epoch", "3", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var full = JsonNode.Parse(File.ReadAllText(Path.Combine(P("nobudget"), "run.json")))!;
        Assert.Equal("max epochs", (string)full["stoppedBecause"]!);
        Assert.Equal(6, (long)full["steps"]!);
        Assert.Null(full["budgetSeconds"]);
    }

    /// <summary>The loss of the first batch a run resumed from a checkpoint draws, computed here from the given member.</summary>
    private static double FirstResumedBatchLoss(DatasetReader reader, IVectorField member, TrainingState state, int seed)
    {
        var data = reader.Dataset;
        var split = data.SplitBy(null, seed);
        var train = new TrainingWindows(reader, split.Train, 3, frames: split.TrainFrames);
        // the resumed run's window draws: seeded by the seed and the checkpoint's step count (Trainer.ResumeFrom)
        var windows = train.Draw(new Random(unchecked(seed * 1_000_003 + (int)state.Step)), 4);
        using var scope = NewDisposeScope();
        using var m = VectorField.Compile(member, CompileOptions.Training(ScalarType.Float64));
        var batch = Layout.ToModelTensor(train.Read(windows), windows.Length, 3, data).to(ScalarType.Float64);
        return Loss.Autoregressive(m, new Stepper.DiscreteGradient(), batch, 2, data.Dt).item<double>();
    }

    [Fact]
    public void ResumeStartsFromTheCheckpointsWeights()
    {
        var data = SmallData();
        var first = P("first");
        var r = Run(["train", "--data", data, "--kind", "spectral", "--out", first, "--epochs", "3", "--steps-per-epoch", "3", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var state = TrainingRun.ReadState(first) ?? throw new Xunit.Sdk.XunitException("no checkpoint state saved");
        var saved = ModelDirectory.Load(first).Field;

        // One step per epoch: the first epoch's training loss is the loss of the weights the run started from, on its first batch.
        var resumed = P("resumed");
        r = Run(["train", "--data", data, "--resume", first, "--out", resumed, "--epochs", "1", "--steps-per-epoch", "1", .. Small]);
        Assert.True(r.Code == 0, r.Err);
        var row = File.ReadAllLines(Path.Combine(resumed, "loss.csv"))[1].Split(',');
        double recorded = double.Parse(row[2], CultureInfo.InvariantCulture);

        using var reader = DatasetReader.Open(data);
        double fromCheckpoint = FirstResumedBatchLoss(reader, saved, state, 0);
        double fromFresh = FirstResumedBatchLoss(reader, Families.Create("spectral", reader.Dataset.Grid, 1, 0, null, SpectralOptions.Default with { Width = 8, Depth = 1 }), state, 0);
        Assert.True(Math.Abs(recorded - fromCheckpoint) <= 1e-9 * fromCheckpoint, $"resumed run's first loss {recorded:R}, the checkpoint's weights give {fromCheckpoint:R}");
        // and the check tells the weights apart: a fresh member's loss on that batch differs by far more than the tolerance
        // (9 steps of training moved it by 0.2 %)
        Assert.True(Math.Abs(fromFresh - fromCheckpoint) > 1e-5 * fromCheckpoint, $"fresh {fromFresh:R}, checkpoint {fromCheckpoint:R}");
    }

    /// <summary>The small ac data with the given trajectories' values replaced by NaN (written without a value check).</summary>
    private string Poisoned(string name, params int[] samples)
    {
        var content = DatasetContent.From(Generators.Generate(SmallAc, 7, 0, 20, new GenerationOptions(Threads: 1)));
        var values = (float[])content.Values.Clone();
        foreach (var s in samples) Array.Fill(values, float.NaN, (int)(s * content.SampleSize), (int)content.SampleSize);
        var path = P(name);
        Hdf5.Write(path, content with { Values = values });
        return path;
    }

    private static TrainingOptions Quick => new()
    {
        Scheme = new Stepper.DiscreteGradient(), Horizon = 2, WindowLength = 3, BatchSize = 8, StepsPerEpoch = 3, MaxEpochs = 2, LearningRate = 1e-2,
        ValidationWindows = 16, Seed = 0, DType = ScalarType.Float64,
    };

    [Fact]
    public void TheTestTrajectoriesNeverReachTrainingOrValidation()
    {
        var split = Dataset.Split(20, 0);
        Assert.Equal([18, 19], split.Test.ToArray());
        var initial = Families.Spectral(SmallAc.Grid, 0, new SpectralOptions(Width: 8, Depth: 1, LowModes: 4, LowModesWidth: 8, LowModesDepth: 1));
        // Every test trajectory NaN: a training that read any of them would stop on the NaN (the windows check what they load).
        using (var reader = DatasetReader.Open(Poisoned("test-nan.h5", [.. split.Test])))
        {
            var result = new Trainer(initial, Quick).Train(reader);
            Assert.Equal(0, result.Rollbacks);
            Assert.True(double.IsFinite(result.BestValidationLoss), $"validation loss {result.BestValidationLoss}");
            Assert.Equal(2, result.Curve.Length);
        }
        // the control: a NaN in one training or one validation trajectory is found
        foreach (var (name, sample) in new[] { ("train-nan.h5", split.Train[0]), ("validation-nan.h5", split.Validation[0]) })
        {
            using var reader = DatasetReader.Open(Poisoned(name, sample));
            var e = Assert.Throws<DatasetException>(() => new Trainer(initial, Quick).Train(reader));
            Assert.Contains($"trajectory {sample} holds NaN", e.Message);
        }
    }

    [Theory, InlineData(false), InlineData(true)]
    public void StreamedWindowsAreTheInMemoryWindows(bool splitInTime)
    {
        var data = SmallData();
        using var memoryReader = DatasetReader.Open(data);
        using var diskReader = DatasetReader.Open(data);
        var split = splitInTime ? memoryReader.Dataset.SplitInTime() : memoryReader.Dataset.ReferenceSplit(0);
        var inMemory = new TrainingWindows(memoryReader, split.Train, 4, frames: split.TrainFrames);
        var streamed = new TrainingWindows(diskReader, split.Train, 4, memoryBytes: 0, frames: split.TrainFrames);
        Assert.True(inMemory.InMemory);
        Assert.False(streamed.InMemory);
        var rngA = new Random(11);
        var rngB = new Random(11);
        for (int batch = 0; batch < 20; batch++)
        {
            var a = inMemory.Draw(rngA, 8);
            var b = streamed.Draw(rngB, 8);
            Assert.Equal(a.ToArray(), b.ToArray());
            Assert.Equal(inMemory.Read(a), streamed.Read(b));
        }
        // and both are the file's frames
        var w = new WindowStart(split.Train[^1], split.TrainFrames!.Start + 2);
        Assert.Equal(diskReader.ReadWindow(w.Sample, w.Start, 4), streamed.Read([w]));
    }

    [Fact]
    public void StreamedWindowsCheckTheirValuesToo()
    {
        var path = Poisoned("one-nan.h5", 3);
        using var reader = DatasetReader.Open(path);
        var streamed = new TrainingWindows(reader, [2, 3], 3, memoryBytes: 0);
        Assert.Equal(3 * reader.Dataset.FrameSize, streamed.Read([new WindowStart(2, 0)]).Length);
        var e = Assert.Throws<DatasetException>(() => streamed.Read([new WindowStart(3, 5)]));
        Assert.Contains("trajectory 3 holds NaN", e.Message);
    }
}
