using System.Globalization;
using System.Text.Json;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager evaluate --model DIR --data FILE [--json] [--scheme S] [--seed S] [--stride K] [--out FILE]`.</summary>
public static class EvaluateCommand
{
    public const string Usage = """
          evaluate --model DIR|builtin:NAME --data FILE [--json] [--scheme S] [--seed S] [--stride K] [--out FILE]
              Relative RMSE of 5-step rollouts (float64, --scheme; default: the scheme the model was trained with,
              else dg for a member and euler for a baseline force field) on the test split (the last 10 %):
              the reference protocol (10 evenly spaced test trajectories from frame 0) beside the reference's
              published numbers for ac, kdv, ac2d, fput and fene; the same statistic over all test trajectories
              and start frames 0, K, 2K, ... (--stride K, default 5; on 128 x 128 the default makes 2000 rollouts, hours
              of float64 dg); the error after a 50-step rollout; the share of rollout steps where the member's energy
              rises (null for a force field: it has no energy). --out also writes the JSON to FILE.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        a.Only("model", "data", "json", "scheme", "seed", "stride", "out");
        var reference = a.Text("model") ?? throw new UsageException("evaluate needs --model DIR or builtin:NAME.");
        var dataPath = a.Text("data") ?? throw new UsageException("evaluate needs --data FILE.");
        var outFile = a.Text("out") is { } o ? OutputPath.File(o) : null;
        var file = ModelReference.ResolveFile(reference);
        TorchSharp.torch.set_num_threads(1);
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        if (reader.Dataset.Frames < 2)
            throw new DatasetException(dataPath, $"has {reader.Dataset.Frames} frame per trajectory; evaluating a rollout needs at least 2 (a start and a frame to compare with).");
        var scheme = a.Text("scheme") ?? DefaultScheme(file);
        if (!Stepper.Names.Contains(scheme)) throw new UsageException($"Unknown scheme '{scheme}'. Schemes: {string.Join(", ", Stepper.Names)}.");
        var result = Evaluate(file, reference, reader, new EvaluationOptions { Scheme = scheme, Seed = a.Int("seed", 0), WindowStride = a.Int("stride", new EvaluationOptions().WindowStride, 1) }, cancel);
        var json = result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (outFile is not null) TrainCommand.WriteAtomically(outFile, json);
        if (a.Flag("json")) stdout.WriteLine(json);
        else Print(result, stdout);
        return 0;
    }

    /// <summary>The scheme recorded in the model's training metadata (the stepper it learned with), else dg for a member and euler for a force field.</summary>
    public static string DefaultScheme(ModelFile file) =>
        file.Metadata.Training.TryGetProperty("scheme", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() is { } name && Stepper.Names.Contains(name)
            ? name
            : file.Field is Model ? "dg" : "euler";

    public static EvaluationResult Evaluate(ModelFile file, string name, DatasetReader reader, EvaluationOptions options, CancellationToken cancel)
    {
        file.CheckCompatible(reader.Dataset.Grid, reader.Dataset.Fields, name);
        return Evaluator.Evaluate(file.Field, reader, options, $"{file.Metadata.Kind} ({name})", cancel);
    }

    /// <summary>The table in the reference's format: one row per model, relative RMSE at steps 1..5 (mean, std where known).</summary>
    public static void Print(EvaluationResult r, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        int steps = r.Steps.Length;
        static string E(double x, int digits) => x.ToString(digits == 2 ? "0.00e+00" : "0.0e+00", CultureInfo.InvariantCulture);
        string Header(string first) => $"{first,-30}" + string.Concat(Enumerable.Range(1, steps).Select(s => $"{"step " + s,20}"));
        string Ours(string label, IEnumerable<StepError> e) => $"{label,-30}" + string.Concat(e.Select(x => $"{E(x.Mean, 2) + " ± " + E(x.Std, 1),20}"));
        w.WriteLine($"relative RMSE on {r.Dataset} ({r.TestTrajectories} test trajectories), {r.Model}, scheme {r.Scheme}");
        w.WriteLine();
        w.WriteLine("reference protocol (10 evenly spaced test trajectories from frame 0):");
        w.WriteLine(Header("model"));
        w.WriteLine(Ours("ours", r.Steps));
        foreach (var row in PublishedResults.For(r.Dataset))
            w.WriteLine($"{"published " + row.Model,-30}" + string.Concat(row.Steps.Take(steps).Select(x => $"{E(x, 2),20}")));
        w.WriteLine();
        w.WriteLine($"all test trajectories, start frames 0, {r.WindowStride}, {2 * r.WindowStride}, ... ({r.Windows} rollouts):");
        w.WriteLine(Header("model"));
        w.WriteLine(Ours("ours", r.AllWindows));
        w.WriteLine();
        w.WriteLine(string.Format(inv, "{0}-step rollout error (mean over the 10): {1:E3}", r.Rollout50Steps, r.Rollout50));
        w.WriteLine(r.EnergyRises is { } rises
            ? string.Format(inv, "share of rollout steps where the member's energy rises: {0:P2}", rises)
            : "share of rollout steps where the energy rises: not defined (a force field has no energy)");
        if (r.Unconverged > 0) w.WriteLine($"unconverged discrete-gradient steps: {r.Unconverged}");
        w.WriteLine(string.Format(inv, "time: {0:F1} s", r.Elapsed.TotalSeconds));
    }
}
