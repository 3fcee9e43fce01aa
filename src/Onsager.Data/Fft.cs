using System.Collections.Concurrent;
using System.Numerics;

namespace Onsager.Data;

/// <summary>
/// Radix-2 complex FFT with precomputed twiddles and bit-reversal tables (one immutable plan per size, shared by threads).
/// Forward is unnormalised, inverse divides by n: u_j = (1/n) sum_m uhat_m e^{2 pi i m j / n}.
/// </summary>
public sealed class Fft
{
    private static readonly ConcurrentDictionary<int, Fft> Plans = new();
    /// <summary>The transform size.</summary>
    public int Size { get; }
    private readonly int[] reverse;
    private readonly Complex[] twiddles; // e^{-2 pi i k / n}, k < n/2

    private Fft(int n)
    {
        Size = n;
        int bits = BitOperations.Log2((uint)n);
        reverse = new int[n];
        for (int i = 0; i < n; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) if ((i & (1 << b)) != 0) r |= 1 << (bits - 1 - b);
            reverse[i] = r;
        }
        twiddles = new Complex[Math.Max(1, n / 2)];
        for (int k = 0; k < n / 2; k++) twiddles[k] = Complex.FromPolarCoordinates(1, -2 * Math.PI * k / n);
    }

    /// <summary>The FFT of size n.</summary>
    public static Fft Of(int n)
    {
        if (n < 1 || (n & (n - 1)) != 0) throw new ArgumentException($"FFT size must be a power of two, got {n}.");
        return Plans.GetOrAdd(n, m => new Fft(m));
    }

    /// <summary>The forward transform, in place.</summary>
    public void Forward(Span<Complex> a) => Transform(a, false);

    /// <summary>The inverse transform, in place.</summary>
    public void Inverse(Span<Complex> a)
    {
        Transform(a, true);
        double s = 1.0 / Size;
        for (int i = 0; i < a.Length; i++) a[i] *= s;
    }

    private void Transform(Span<Complex> a, bool inverse)
    {
        int n = Size;
        if (a.Length != n) throw new ArgumentException($"FFT of size {n} given {a.Length} values.");
        for (int i = 0; i < n; i++)
        {
            int j = reverse[i];
            if (j > i) (a[i], a[j]) = (a[j], a[i]);
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, step = n / len;
            for (int start = 0; start < n; start += len)
            {
                for (int k = 0; k < half; k++)
                {
                    var w = twiddles[k * step];
                    if (inverse) w = Complex.Conjugate(w);
                    var x = a[start + k];
                    var y = a[start + k + half] * w;
                    a[start + k] = x + y;
                    a[start + k + half] = x - y;
                }
            }
        }
    }

    /// <summary>2D transform of a row-major nx x ny array (rows along y contiguous).</summary>
    public static void Forward2D(Span<Complex> a, int nx, int ny, Span<Complex> column) => Transform2D(a, nx, ny, column, false);

    /// <summary>The inverse 2D transform of an nx by ny array, in place.</summary>
    public static void Inverse2D(Span<Complex> a, int nx, int ny, Span<Complex> column) => Transform2D(a, nx, ny, column, true);

    private static void Transform2D(Span<Complex> a, int nx, int ny, Span<Complex> column, bool inverse)
    {
        var fy = Of(ny);
        var fx = Of(nx);
        for (int i = 0; i < nx; i++)
        {
            var row = a.Slice(i * ny, ny);
            if (inverse) fy.Inverse(row); else fy.Forward(row);
        }
        var col = column[..nx];
        for (int j = 0; j < ny; j++)
        {
            for (int i = 0; i < nx; i++) col[i] = a[i * ny + j];
            if (inverse) fx.Inverse(col); else fx.Forward(col);
            for (int i = 0; i < nx; i++) a[i * ny + j] = col[i];
        }
    }

    /// <summary>Angular wavenumbers 2 pi m / L in FFT order.</summary>
    public static double[] Wavenumbers(int n, double length)
    {
        var k = new double[n];
        for (int j = 0; j < n; j++) k[j] = 2 * Math.PI * (j <= n / 2 ? j : j - n) / length;
        return k;
    }

    /// <summary>Wavenumbers for odd derivatives: the Nyquist mode gets 0 so that real fields stay real.</summary>
    public static double[] OddWavenumbers(int n, double length)
    {
        var k = Wavenumbers(n, length);
        if (n % 2 == 0) k[n / 2] = 0;
        return k;
    }
}
