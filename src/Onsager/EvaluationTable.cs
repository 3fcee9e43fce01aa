using System.Globalization;

namespace Onsager;

/// <summary>An evaluation as text: what `evaluate` and `reproduce` print.</summary>
public static class EvaluationTable
{
    /// <summary>The table in the reference's format: one row per model, relative RMSE at steps 1..5 (mean, std where known).</summary>
    public static void Write(EvaluationResult r, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        int steps = r.Steps.Length;
        static string E(double x, int digits) => x.ToString(digits == 2 ? "0.00e+00" : "0.0e+00", CultureInfo.InvariantCulture);
        string Header(string first) => $"{first,-30}" + string.Concat(Enumerable.Range(1, steps).Select(s => $"{"step " + s,20}"));
        string Ours(string label, IEnumerable<StepError> e) => $"{label,-30}" + string.Concat(e.Select(x => $"{E(x.Mean, 2) + " ± " + E(x.Std, 1),20}"));
        static string Trajectories(int n) => n == 1 ? "1 test trajectory" : $"{n} test trajectories";
        string split = r.Split == "time" ? $"split in time: test frames from {r.FirstTestFrame}" : "split by trajectory";
        w.WriteLine($"relative RMSE on {r.Dataset} ({Trajectories(r.TestTrajectories)}, {split}), {r.Model}, scheme {r.Scheme}");
        w.WriteLine();
        var published = r.Split == "trajectories" ? PublishedResults.For(r.Dataset) : [];
        w.WriteLine(published.Length > 0
            ? $"reference protocol ({r.FirstTableTrajectories} evenly spaced test trajectories from frame 0):"
            : $"{Trajectories(r.FirstTableTrajectories)} from frame {r.FirstTestFrame}:");
        w.WriteLine(Header("model"));
        w.WriteLine(Ours("ours", r.Steps));
        foreach (var row in published)
            w.WriteLine($"{"published " + row.Model,-30}" + string.Concat(row.Steps.Take(steps).Select(x => $"{E(x, 2),20}")));
        w.WriteLine();
        w.WriteLine($"{(r.TestTrajectories == 1 ? "the test trajectory" : $"all {r.TestTrajectories} test trajectories")}, start frames " +
                    $"{r.FirstTestFrame}, {r.FirstTestFrame + r.WindowStride}, {r.FirstTestFrame + 2 * r.WindowStride}, ... ({r.Windows} rollouts):");
        w.WriteLine(Header("model"));
        w.WriteLine(Ours("ours", r.AllWindows));
        w.WriteLine();
        w.WriteLine(string.Format(inv, "{0}-step rollout error (mean over the {1}): {2:E3}", r.Rollout50Steps, r.FirstTableTrajectories, r.Rollout50));
        w.WriteLine(r.EnergyRises is { } rises
            ? string.Format(inv, "share of rollout steps where the member's energy rises: {0:P2}", rises)
            : "share of rollout steps where the energy rises: not defined (a force field has no energy)");
        if (r.Unconverged > 0) w.WriteLine($"unconverged discrete-gradient steps: {r.Unconverged}");
        w.WriteLine(string.Format(inv, "time: {0:F1} s", r.Elapsed.TotalSeconds));
    }
}
