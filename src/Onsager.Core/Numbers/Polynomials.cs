namespace Onsager.Numbers;

/// <summary>Small numerics on real polynomials sum_j c_j s^j.</summary>
public static class Polynomials
{
    /// <summary>The polynomial with coefficients c (lowest degree first) at s.</summary>
    public static double Evaluate(IReadOnlyList<double> c, double s)
    {
        double acc = 0;
        for (int j = c.Count - 1; j >= 0; j--) acc = acc * s + c[j];
        return acc;
    }

    /// <summary>
    /// A certified lower bound of a polynomial of even degree with positive leading coefficient: every critical
    /// point lies within the Cauchy radius R of p' (so the minimum is attained in [-R, R]); the minimum over a
    /// sample of [-R, R] minus (Lipschitz bound of p on [-R, R]) x (half the sample spacing) bounds it from below.
    /// </summary>
    public static double LowerBound(IReadOnlyList<double> c, int samples = 20001)
    {
        int d = c.Count - 1;
        if (d == 0) return c[0];
        if (d % 2 != 0 || c[d] <= 0) throw new ArgumentException("Only even-degree polynomials with a positive leading coefficient are bounded below.");
        double r = 1;
        for (int j = 1; j < d; j++) r = Math.Max(r, 1 + Math.Abs(j * c[j]) / (d * c[d]));
        double lip = 0;
        for (int j = 1; j <= d; j++) lip += j * Math.Abs(c[j]) * Math.Pow(r, j - 1);
        double step = 2 * r / (samples - 1), min = double.PositiveInfinity;
        for (int i = 0; i < samples; i++) min = Math.Min(min, Evaluate(c, -r + i * step));
        return min - lip * step / 2 - 1e-12 * Math.Abs(min);
    }
}
