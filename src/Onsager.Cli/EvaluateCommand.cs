using System.Globalization;
using System.Text.Json;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager evaluate --model DIR --data FILE [--json] [--scheme S] [--seed S] [--split time|trajectories] [--stride K] [--out FILE]`.</summary>
public static class EvaluateCommand
{
    public const string Usage = """
          evaluate --model DIR|builtin:NAME --data FILE [--json] [--scheme S] [--seed S] [--split time|trajectories]
                   [--stride K] [--out FILE]
              Relative RMSE of 5-step rollouts (float64, --scheme; default: the scheme the model was trained with,
              else dg for a member and euler for a baseline force field) on the test split: the last 10 % of the
              trajectories, or with fewer than 10 trajectories (or --split time) the last 10 % of every
              trajectory's frames (default: the split the model was trained with). The first table rolls out up to
              10 evenly spaced test trajectories from their first test frame: on ac, kdv, ac2d, fput and fene split
              by trajectory that is the reference protocol, printed beside the published numbers. Then the same
              statistic from every K-th test frame of every test trajectory (--stride K, default 5; on 128 x 128
              the default makes 2000 rollouts, hours of float64 dg); the error after a rollout of 50 steps (fewer
              where the test frames are fewer); the share of rollout steps where the member's energy rises (null
              for a force field: it has no energy). --out also writes the JSON to FILE. A phase running longer than
              10 s (a batch of rollouts) prints a line to stderr every 10 s.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var reference = a.Text("model") ?? throw new UsageException("evaluate needs --model DIR or builtin:NAME.");
        var dataPath = a.Text("data") ?? throw new UsageException("evaluate needs --data FILE.");
        var outFile = a.Text("out") is { } o ? OutputPath.File(o) : null;
        TorchSharp.torch.set_num_threads(1);
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        if (reader.Dataset.Frames < 2)
            throw new DatasetException(dataPath, $"has {reader.Dataset.Frames} frame per trajectory; evaluating a rollout needs at least 2 (a start and a frame to compare with).");
        var file = ModelReference.ResolveFile(reference, reader.Dataset.Grid);
        var scheme = a.Text("scheme") is { } name ? Schemes.Parse(name) : Schemes.Recorded(file);
        var split = TrainCommand.SplitOption(a) ?? TrainingRecord.Split(file);
        using var beat = new Heartbeat(line => stderr.WriteLine(line), TimeSpan.FromSeconds(10));   // a phase running long says so
        var result = Evaluator.Evaluate(file, reference, reader, new EvaluationOptions
        {
            Progress = new Reporter<string>(beat.Set), Scheme = scheme, Seed = a.Int("seed", 0), WindowStride = a.Int("stride", new EvaluationOptions().WindowStride, 1), Split = split,
        }, cancel);
        beat.Set(null);
        var json = result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (outFile is not null) Atomic.WriteText(outFile, json);
        if (a.Flag("json")) stdout.WriteLine(json);
        else EvaluationTable.Write(result, stdout);
        return 0;
    }
}
