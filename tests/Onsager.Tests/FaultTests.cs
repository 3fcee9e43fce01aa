using System.Diagnostics;
using System.Text.Json.Nodes;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>Faults: kill -9 at seeded random points of train, generate and simulate leaves each output absent or complete and
/// loadable; stale temporaries of killed saves are cleaned on the next save; --resume continues the epoch count and Adam.</summary>
public sealed class FaultTests() : ScratchFolder("onsager-faults")
{
    private string SmallData()
    {
        var path = P("ac.h5");
        if (!File.Exists(path)) DatasetWriter.Generate(Recipes.With(Recipes.Get("ac"), frames: 16, points: 32), 20, 7, path);
        return path;
    }

    private static readonly string[] TrainSmall =
        ["--kind", "spectral", "--steps-per-epoch", "3", "--window", "3", "--horizon", "2", "--batch", "4", "--width", "8", "--depth", "1", "--dtype", "f64"];

    /// <summary>A process id that no process has now (one that ran and exited).</summary>
    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    [Fact]
    public void ResumeContinuesTheEpochCountAndTheOptimiser()
    {
        var data = SmallData();
        var first = P("first");
        var r = Run(["train", "--data", data, "--out", first, "--epochs", "3", .. TrainSmall]);
        Assert.True(r.Code == 0, r.Err);
        var saved = TrainingRun.ReadState(first) ?? throw new Xunit.Sdk.XunitException("no checkpoint state saved");
        Assert.InRange(saved.Epoch, 1, 3);
        Assert.Equal(saved.Epoch * 3L, saved.Step);
        Assert.All(saved.Optimizer.Steps, s => Assert.Equal(saved.Step, s));
        Assert.Contains(saved.Optimizer.First, m => m.Any(x => x != 0));

        var resumed = P("resumed");
        r = Run(["train", "--data", data, "--resume", first, "--out", resumed, "--epochs", "2", .. TrainSmall[2..]]);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains($"at epoch {saved.Epoch} (step {saved.Step}, optimiser state restored)", r.Err);
        var epochs = File.ReadAllLines(Path.Combine(resumed, "loss.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(saved.Epoch + 1, int.Parse(epochs[0][0]));
        Assert.Equal(saved.Step + 3, long.Parse(epochs[0][1]));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(resumed, "run.json")))!;
        Assert.Equal(saved.Epoch + 2, (int)run["epochs"]!);
        var after = TrainingRun.ReadState(resumed)!;
        Assert.True(after.Epoch >= saved.Epoch);
        // Adam counted on from the checkpoint's step, whichever epoch was best
        Assert.All(after.Optimizer.Steps, s => Assert.Equal(after.Step, s));
        Assert.True(after.Epoch == saved.Epoch || after.Step > saved.Step);
    }

    [Fact]
    public void AnAdamStateRoundTripsAndATruncatedOneIsRefused()
    {
        var s = new AdamState([4, 4], [[1.0, -2.0], [3.0]], [[0.5, 0.25], [9.0]]);
        var back = AdamState.FromBytes(s.ToBytes());
        Assert.Equal(s.Steps, back.Steps);
        Assert.Equal(s.First[0], back.First[0]);
        Assert.Equal(s.Second[1], back.Second[1]);
        Assert.Throws<InvalidDataException>(() => AdamState.FromBytes(s.ToBytes()[..^3]));
    }

    [Fact]
    public void StaleTemporariesOfKilledSavesAreCleanedOnTheNextSave()
    {
        int dead = DeadPid();
        var model = P("model");
        var file = P("data.h5");
        var staleDir = P($".model.saving-{dead}-0123456789ab");
        var staleOld = P($".model.old-{dead}-0123456789ab");
        var staleFile = P($".data.h5.tmp-{dead}-0123456789ab");
        var live = P($".data.h5.tmp-{Environment.ProcessId}-0123456789ab");
        Directory.CreateDirectory(staleDir);
        File.WriteAllText(Path.Combine(staleDir, "weights.bin"), "half");
        Directory.CreateDirectory(staleOld);
        File.WriteAllText(staleFile, "half");
        File.WriteAllText(live, "being written");
        var heat = KnownMembers.Heat(Grid.Periodic(2 * Math.PI, 16));
        ModelDirectory.Save(model, heat, ModelMetadata.Builtin("heat"));
        Assert.False(Directory.Exists(staleDir));
        Assert.False(Directory.Exists(staleOld));
        Hdf5.Write(file, DatasetContent.From(Generators.Generate(Recipes.With(Recipes.Get("heat"), frames: 3, points: 16), 2, 0, 1)));
        Assert.False(File.Exists(staleFile));
        Assert.True(File.Exists(live), "a live writer's temporary was removed");
        Assert.Equal(heat.Describe(), ModelDirectory.Load(model).Field.Describe());

        // A save killed between moving the old model aside and moving the new one in: the next save puts the old one back first.
        var aside = P($".model.old-{dead}-ba9876543210");
        Directory.Move(model, aside);
        Temporary.CleanStale(Path.GetFullPath(model));
        Assert.Equal(heat.Describe(), ModelDirectory.Load(model).Field.Describe());
        Assert.False(Directory.Exists(aside));
    }

    [Fact]
    public void KillingTrainGenerateAndSimulateLeavesOutputsAbsentOrComplete()
    {
        var data = SmallData();
        var cli = Path.Combine(AppContext.BaseDirectory, "Onsager.Cli.dll");
        var rng = new Random(20261203);
        // Each killed run is long enough to be cut at a random point (startup, work or the write); the complete run after is short.
        var jobs = new (string Name, string Out, string[] Args, string[] Complete)[]
        {
            ("generate", P("gen.h5"), ["generate", "kdv", "--samples", "400", "--out", P("gen.h5")],
                                      ["generate", "kdv", "--samples", "2", "--frames", "5", "--out", P("gen.h5")]),
            ("simulate", P("sim.h5"), ["simulate", "--model", "builtin:allen-cahn", "--init", "random", "--steps", "2000", "--dt", "1e-3", "--batch", "8", "--out", P("sim.h5")],
                                      ["simulate", "--model", "builtin:allen-cahn", "--init", "random", "--steps", "4", "--dt", "1e-3", "--batch", "2", "--out", P("sim.h5")]),
            ("train", P("model"), ["train", "--data", data, "--out", P("model"), "--epochs", "200", .. TrainSmall],
                                  ["train", "--data", data, "--out", P("model"), "--epochs", "1", .. TrainSmall]),
        };
        int killed = 0;
        foreach (var (name, output, args, complete) in jobs)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                start.ArgumentList.Add(cli);
                foreach (var a in args) start.ArgumentList.Add(a);
                using var p = Process.Start(start)!;
                p.StandardOutput.ReadToEndAsync();
                p.StandardError.ReadToEndAsync();
                int delay = (int)(1000 * (0.5 + rng.NextDouble() * 3));
                if (!p.WaitForExit(delay))
                {
                    p.Kill(entireProcessTree: true);                                      // SIGKILL on Linux
                    killed++;
                }
                p.WaitForExit();
                AbsentOrComplete(name, output);
            }
            // The next complete run succeeds and leaves no temporaries of the killed ones behind.
            var r = Run(complete);
            Assert.True(r.Code == 0, $"{name}: {r.Err}");
            AbsentOrComplete(name, output);
            var leftovers = Directory.EnumerateFileSystemEntries(dir, $".{Path.GetFileName(output)}.*").ToList();
            Assert.True(leftovers.Count == 0, $"{name}: {string.Join(", ", leftovers)}");
        }
        Assert.True(killed >= 5, $"only {killed} of 6 runs were killed before they finished");
    }

    /// <summary>An output is absent, or complete: it loads (a dataset with its values checked; a model with its checkpoint).</summary>
    private static void AbsentOrComplete(string name, string output)
    {
        if (name == "train")
        {
            if (!Directory.Exists(output)) return;
            var m = ModelDirectory.Load(output);
            Assert.Equal("spectral", m.Metadata.Kind);
            Assert.NotNull(TrainingRun.ReadState(output));
            return;
        }
        if (!File.Exists(output)) return;
        var d = Dataset.Open(output, checkValues: true);
        Assert.True(d.Samples > 0 && d.Frames > 1, $"{name}: {d.Samples} samples, {d.Frames} frames");
    }
}
