namespace Onsager.Tests;

/// <summary>Independent evaluations of PDE right-hand sides with plain arrays (no TorchSharp, no algebra).</summary>
internal static class Pde
{
    public static double At(double[] u, int i) => u[((i % u.Length) + u.Length) % u.Length];

    public static double[] Map(int n, Func<int, double> f) => Enumerable.Range(0, n).Select(f).ToArray();

    public static double[] Laplacian(double[] u, double h) => Map(u.Length, i => (At(u, i + 1) - 2 * u[i] + At(u, i - 1)) / (h * h));

    public static double[] Central(double[] u, double h) => Map(u.Length, i => (At(u, i + 1) - At(u, i - 1)) / (2 * h));

    public static double[] Third(double[] u, double h) =>
        Map(u.Length, i => (At(u, i + 2) - 2 * At(u, i + 1) + 2 * At(u, i - 1) - At(u, i - 2)) / (2 * h * h * h));

    /// <summary>Spectral second derivative by a naive DFT, Nyquist mode dropped (as the spectral first derivative drops it).</summary>
    public static double[] SpectralSecond(double[] u, double length)
    {
        int n = u.Length;
        var result = new double[n];
        for (int k = 0; k < n; k++)
        {
            int m = k <= n / 2 ? k : k - n;
            if (n % 2 == 0 && k == n / 2) continue;
            double re = 0, im = 0;
            for (int j = 0; j < n; j++) { re += u[j] * Math.Cos(2 * Math.PI * j * k / n); im -= u[j] * Math.Sin(2 * Math.PI * j * k / n); }
            double w = 2 * Math.PI * m / length, factor = -w * w / n;
            for (int j = 0; j < n; j++) result[j] += factor * (re * Math.Cos(2 * Math.PI * j * k / n) - im * Math.Sin(2 * Math.PI * j * k / n));
        }
        return result;
    }

    public static double[] Smooth(int n, double length, int seed, double amplitude = 1)
    {
        var rng = new Random(seed);
        var a = Enumerable.Range(0, 3).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var k = Enumerable.Range(0, 3).Select(_ => rng.Next(1, 5)).ToArray();
        var ph = Enumerable.Range(0, 3).Select(_ => rng.NextDouble() * 6).ToArray();
        return Map(n, i => amplitude * (0.2 + Enumerable.Range(0, 3).Sum(m => a[m] * Math.Sin(2 * Math.PI * k[m] * i / n + ph[m]))));
    }
}
