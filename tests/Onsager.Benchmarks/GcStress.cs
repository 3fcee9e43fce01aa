using System.Diagnostics;
using System.Runtime;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager.Benchmarks;

/// <summary>
/// `-- gc-stress [--steps N] [--kinds spectral,local,...]`: trains each trainable family (the real <see cref="Trainer"/>:
/// loss, backward, Adam, validation) for N optimiser steps on a small generated Allen-Cahn dataset while a background
/// thread allocates garbage and forces collections, and prints the steps done and the crashes per family. A crash is
/// any exception out of training (the Scalar race shows as an ExternalException "Unknown scalar type" or "Expected false
/// to be true"); the family is then trained again until its steps are done. Run it under the GC settings to test, e.g.
/// DOTNET_gcServer=1 DOTNET_GCgen0size=0x10000 for server GC with very frequent collections.
/// </summary>
public static class GcStress
{
    public static int Run(int steps, IReadOnlyList<string> kinds)
    {
        string dir = Path.Combine(Path.GetTempPath(), "onsager-gc-stress-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "ac.h5");
        DatasetWriter.Generate(Recipes.With(Recipes.Get("ac"), frames: 16, points: 32), 20, 7, data);
        Console.WriteLine($"GC: server {GCSettings.IsServerGC}, latency mode {GCSettings.LatencyMode} (concurrent unless Batch), " +
                          $"gen0size {Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "default"}; {steps} steps per family");
        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            var keep = new object[64];
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                keep[i % keep.Length] = new byte[1024 + i % 4096];   // garbage of varied sizes, some of it surviving a while
                if (i % 64 == 0) { GC.Collect(i / 64 % 3, GCCollectionMode.Forced, blocking: i % 128 != 0); Interlocked.Increment(ref collections); }
            }
        }) { IsBackground = true, Name = "gc-stress collector" };
        collector.Start();
        int totalCrashes = 0;
        Console.WriteLine("| kind | steps | crashes | seconds | first crash |");
        Console.WriteLine("|---|---|---|---|---|");
        try
        {
            using var reader = DatasetReader.Open(data);
            foreach (var kind in kinds)
            {
                var clock = Stopwatch.StartNew();
                long done = 0;
                int crashes = 0, seed = 0;
                string first = "";
                while (done < steps)
                {
                    var options = new TrainingOptions
                    {
                        Scheme = Scheme(kind), Horizon = 2, WindowLength = 3, BatchSize = 8, StepsPerEpoch = 50,
                        MaxEpochs = (int)Math.Ceiling((steps - done) / 50.0), EarlyStopping = int.MaxValue, Patience = 5,
                        LearningRate = 1e-3, ValidationWindows = 8, Seed = seed++,
                    };
                    var initial = Families.Create(kind, reader.Dataset.Grid, reader.Dataset.Fields, seed,
                        spectral: new SpectralOptions(Width: 8, Depth: 1, LowModes: 4, LowModesWidth: 8, LowModesDepth: 1),
                        baseline: new BaselineOptions(FnoModes: 4, FnoWidth: 8, FnoLayers: 2, FnoProjection: 16, CnnWidth: 8, CnnDepth: 2, Rank: 4, EnergyWidth: 8));
                    long before = done;
                    try
                    {
                        var result = new Trainer(initial, options) { OnBest = null }.Train(reader, new Progress(s => done = before + s));
                        done = before + result.Steps;
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        crashes++;
                        if (first.Length == 0) first = $"step {done}: {e.GetType().Name}: {e.Message.Split('\n')[0]}";
                        if (done == before) done++;   // never loop forever on a deterministic failure
                    }
                }
                totalCrashes += crashes;
                Console.WriteLine($"| {kind} | {done} | {crashes} | {clock.Elapsed.TotalSeconds:F0} | {first} |");
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
        Console.WriteLine($"forced collections: {collections}; gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}; crashes: {totalCrashes}");
        return totalCrashes == 0 ? 0 : 1;
    }

    /// <summary>The family's default scheme, rk4 for local (its state-dependent K has no Fourier symbol for the training dg step).</summary>
    private static Stepper Scheme(string kind) => kind == "local" ? new Stepper.Rk4() : Families.DefaultScheme(kind);

    /// <summary>Synchronous progress (the training thread reports the step count at each epoch).</summary>
    private sealed class Progress(Action<long> steps) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => steps(value.Step);
    }
}
