using System.Text.Json;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager check-class --data FILE [--budget D] [--json] [--kind K] [--baseline B] [--seed S] [--split time|trajectories]`.</summary>
public static class CheckClassCommand
{
    public const string Usage = """
          check-class --data FILE [--budget D] [--json] [--kind auto|polynomial|spectral|local|onsagernet] [--baseline unconstrained|fno]
                      [--seed S] [--split time|trajectories] [--out FILE]
              Is the data's dynamics in the Onsager class at all? Fits a member of the class (--kind; default auto:
              the polynomial family, fitted by least squares, then the spectral one if that is not consistent) and a
              force field outside it (--baseline, default unconstrained) on the same split, each trained for the
              budget D (default 2m), then prints one verdict line with its evidence: the share of frame steps
              along which the fitted energy rises (at most 5 % for consistency; a member's energy cannot rise along
              its own trajectories) and the one-step test errors of both (the member's at most 10x the baseline's).
              --json prints {"consistent", "energyRiseShare", "inClassError", "outOfClassError", "reasons", ...}; --out
              also writes it (with the data's path and the verdict line) to FILE: saved as MODEL/class-check.json,
              `report --model MODEL` opens with the full verdict.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var dataPath = a.Text("data") ?? throw new UsageException("check-class needs --data FILE.");
        ClassCheckOptions options;
        try
        {
            options = new ClassCheckOptions
            {
                Budget = a.Text("budget") is { } b ? TrainCommand.Duration(b) : new ClassCheckOptions().Budget,
                InClassKind = a.Text("kind") ?? ClassCheckOptions.Auto, OutOfClassKind = a.Text("baseline") ?? "unconstrained",
                Seed = a.Int("seed", 0), Split = TrainCommand.SplitOption(a),
            };
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        TrainCommand.Threads(a);
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        var progress = new Reporter<string>(line => stderr.WriteLine("check-class: " + line));
        var outFile = a.Text("out") is { } o ? OutputPath.File(o) : null;
        var r = ClassCheck.Run(reader, options, progress, cancel);
        if (outFile is not null)
            Atomic.WriteText(outFile, ClassCheckVerdict.Json(r, Path.GetFullPath(dataPath)).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (a.Flag("json")) stdout.WriteLine(r.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else stdout.WriteLine($"{reader.Dataset.Name}: {r.Verdict}");
        return 0;
    }
}
