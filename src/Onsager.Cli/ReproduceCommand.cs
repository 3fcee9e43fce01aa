using System.Globalization;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager reproduce DATASET [--quick] [--out DIR] [--budget D] [--samples N] [--kind K] [--scheme S]`.</summary>
public static class ReproduceCommand
{
    public const string Usage = """
          reproduce ac|kdv|ac2d|fput|fene [--quick] [--out DIR] [--budget D] [--samples N] [--kind K] [--scheme S] [--seed S]
              Generate the dataset by the reference's recipe, train (default kind spectral with the dg stepper in
              the loss), evaluate, diagnose and write DIR/data.h5 (or DIR/data/ shards), DIR/model/,
              DIR/evaluation.json and DIR/report/ (report.md with PNGs).
              --quick: 100 trajectories and a 2-minute training budget (the whole command within about 5 minutes
              on 2 cores). Default: 1000 trajectories, a 30-minute budget. DIR defaults to runs/DATASET-TIMESTAMP.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        if (a.Positional.Count != 1 || !Reproduction.Datasets.Contains(a.Positional[0]))
            throw new UsageException($"reproduce needs one of {string.Join(", ", Reproduction.Datasets)}.");
        var key = a.Positional[0];
        var inv = CultureInfo.InvariantCulture;
        var dir = OutputPath.Folder(a.Text("out") ?? Path.Combine("runs", $"{key}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", inv)}"));
        var options = new ReproductionOptions(key)
        {
            Quick = a.Flag("quick"), Out = dir, Samples = a.Text("samples") is null ? null : a.Int("samples", 0, 10), Seed = a.Int("seed", 0),
            Kind = a.Text("kind") ?? "spectral", Choices = TrainCommand.Choices(a) with { Seed = null },
            Width = a.Int("width", 32, 1), Depth = a.Int("depth", 2, 1),
        };
        TrainCommand.Threads(a);
        var r = Reproduction.Run(options, new Reporter<string>(stderr.WriteLine), cancel);
        stdout.WriteLine(r.Training.Summary);
        stdout.WriteLine();
        EvaluationTable.Write(r.Evaluation, stdout);
        if (r.Diagnosis is { } diagnosis && r.Report is { } report)
        {
            stdout.WriteLine($"identifiability: {diagnosis.Identifiability.Summary}");
            stdout.WriteLine();
            stdout.WriteLine(string.Format(inv, "wrote {0}: data, model/, evaluation.json, report/ ({1}); total {2:F0} s", r.Directory, report.Markdown, r.Elapsed.TotalSeconds));
        }
        else
        {
            stdout.WriteLine();
            stdout.WriteLine(string.Format(inv, "wrote {0}: data, model/, evaluation.json; total {1:F0} s", r.Directory, r.Elapsed.TotalSeconds));
        }
        return 0;
    }
}
