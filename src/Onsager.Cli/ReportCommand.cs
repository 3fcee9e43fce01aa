using System.Globalization;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager report --model M --data FILE --out DIR [--scheme S] [--steps N] [--trajectories K]`: diagnostics as PNGs and report.md.</summary>
public static class ReportCommand
{
    public const string Usage = """
          report --model <DIR|builtin:NAME> --data FILE --out DIR [--scheme S] [--steps N] [--trajectories K] [--class-check FILE]
              Diagnose a member on a dataset's test trajectories (the reference split) and write DIR/report.md with PNGs:
              energy along data and rollouts, F and F' (against the truth of known-truth data), operator symbols,
              m(u) and b(u), the M/W split and the dissipation rate, the energy order, identifiability of the factors
              (sigma_min/sigma_max of d f/d factors after removing gauges; flagged below 1e-6), x-t images of
              prediction, data and error, the rollout error, mass and energy drift. --scheme: stepper of the rollouts
              (euler, rk2, rk3, rk4, rk4-adaptive, etdrk4, sbdf1, dg; default: the scheme the model was trained with, else dg);
              --steps: length of the drift rollout (default 10 x the data's frames); --trajectories: how many test
              trajectories (default 4). The model's grid must be the data's. The report opens with check-class's verdict:
              the full one read from --class-check FILE (default: class-check.json in the model's folder, which
              `check-class --out` writes), else only its energy half, said to be half. Progress lines on stderr.
              A baseline force field (unconstrained, fno) is refused: it has no energy or operators to diagnose
              (its rollout error is in `evaluate`).
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var reference = a.Text("model") ?? throw new UsageException("report needs --model <DIR|builtin:NAME>.");
        var data = a.Text("data") ?? throw new UsageException("report needs --data FILE.");
        var outDir = OutputPath.Folder(a.Text("out") ?? throw new UsageException("report needs --out DIR."));
        int? steps = a.Text("steps") is null ? null : a.Int("steps", 0, 1);
        int trajectories = a.Int("trajectories", 4, 1);
        var file = ModelReference.ResolveFile(reference);
        var model = file.Model;
        var stepper = a.Text("scheme") is { } name ? Schemes.Parse(name) : Schemes.Recorded(file);
        ClassCheckVerdict? verdict = null;
        if (ClassCheckVerdict.Locate(a.Text("class-check"), reference) is { } classPath)
        {
            if (!File.Exists(classPath)) { stderr.WriteLine($"error: --class-check '{classPath}': no such file."); return 1; }
            try { verdict = ClassCheckVerdict.Read(classPath); }
            catch (ArgumentException e) { stderr.WriteLine($"error: {e.Message}"); return 1; }
        }
        var options = new DiagnosisOptions(stepper, trajectories, steps);
        DiagnosisResult d;
        var started = System.Diagnostics.Stopwatch.StartNew();
        try { d = Diagnosis.Run(model, data, options, new Reporter<string>(s => stderr.WriteLine($"report: {s} ({started.Elapsed.TotalSeconds:F0} s)")), cancel); }
        catch (DatasetException e) { stderr.WriteLine($"error: {e.Message}"); return 1; }
        stderr.WriteLine($"report: figures and report.md ({started.Elapsed.TotalSeconds:F0} s)");
        var files = Report.Write(d, outDir, verdict);
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"model: {model.Describe()}");
        stdout.WriteLine($"data: {d.DataName} ({data}), test trajectories {string.Join(", ", d.TestTrajectories)}");
        stdout.WriteLine($"identifiability: {d.Identifiability.Summary}");
        stdout.WriteLine(string.Format(inv, "energy rises: data {0:G3}, rollout {1:G3} of steps; rollout error at the end {2:G3}",
            d.DataEnergy.RiseShare, d.RolloutEnergy.RiseShare, d.Error.Relative[^1]));
        stdout.WriteLine(Report.ClassLine(d, verdict).Replace("**", "").Replace("`", ""));
        stdout.WriteLine($"wrote {files.Markdown} and {files.Images.Length} PNGs: {string.Join(", ", files.Images)}");
        return 0;
    }
}
