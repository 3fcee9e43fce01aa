using System.Collections.Immutable;

namespace Onsager.Learning;

/// <summary>Mean and standard deviation of the relative RMSE at one rollout step.</summary>
public sealed record StepError(int Step, double Mean, double Std, int Count);

/// <summary>
/// The reference's error statistic (seed-benchmark.md, "Metric"): per trajectory and step,
/// sqrt(mean((pred - truth)^2) / mean(truth^2)) over grid and fields; a trajectory that reaches 1 at step s keeps 1
/// from s on (divergence clamp); mean and std (population) over trajectories.
/// </summary>
public static class RelativeRmse
{
    /// <summary>The relative RMSE of one predicted frame against the truth.</summary>
    public static double Of(ReadOnlySpan<double> prediction, ReadOnlySpan<float> truth)
    {
        if (prediction.Length != truth.Length) throw new ArgumentException($"Prediction has {prediction.Length} values, truth {truth.Length}.");
        double num = 0, den = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            double d = prediction[i] - truth[i];
            num += d * d;
            den += (double)truth[i] * truth[i];
        }
        double r = Math.Sqrt(num / Math.Max(den, 1e-300));
        return double.IsFinite(r) ? r : double.PositiveInfinity;
    }

    /// <summary>errors[trajectory][step - 1] with the divergence clamp applied.</summary>
    public static double[][] Clamp(IEnumerable<double[]> errors) =>
        errors.Select(e =>
        {
            var c = (double[])e.Clone();
            for (int s = 0; s < c.Length; s++)
                if (!(c[s] < 1)) { for (int r = s; r < c.Length; r++) c[r] = 1; break; }
            return c;
        }).ToArray();

    /// <summary>Per-step mean and std over trajectories of clamped errors.</summary>
    public static ImmutableArray<StepError> Summarise(IReadOnlyList<double[]> errors)
    {
        var clamped = Clamp(errors);
        int steps = clamped.Length == 0 ? 0 : clamped.Min(e => e.Length);
        return Enumerable.Range(0, steps).Select(s =>
        {
            var v = clamped.Select(e => e[s]).ToArray();
            double mean = v.Average();
            double std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
            return new StepError(s + 1, mean, std, v.Length);
        }).ToImmutableArray();
    }

    /// <summary>The reference's test trajectories: floor(linspace(0, n - 1, count)), as indices into the test split.</summary>
    public static ImmutableArray<int> ReferenceIndices(int testCount, int count = 10) =>
        testCount <= 0 ? [] : count == 1 ? [0]
        : Enumerable.Range(0, count).Select(i => (int)Math.Floor(i * (testCount - 1) / (double)(count - 1))).ToImmutableArray();
}
