using System.Numerics;

namespace Onsager.Data;

/// <summary>Writes N(v) (a spectrum) for the spectrum v of the current state.</summary>
public delegate void SpectralNonlinear(ReadOnlySpan<Complex> v, Span<Complex> nv);

/// <summary>
/// ETDRK4 (Cox and Matthews) for v_t = L v + N(v) with a diagonal Fourier multiplier L. The phi-function coefficients
/// are complex contour means over a full circle of radius 1 around h L (Kassam and Trefethen), kept complex so that
/// imaginary or complex L (KdV, KdV-Burgers) keeps fourth order: taking the real part would lose it. Immutable after
/// construction: one instance serves all threads.
/// </summary>
public sealed class Etdrk4
{
    /// <summary>The time step h.</summary>
    public double Step { get; }
    /// <summary>The number of Fourier modes.</summary>
    public int Modes => e.Length;
    private readonly Complex[] e, e2, q, f1, f2, f3;

    /// <summary>The coefficients for the multiplier L and step h.</summary>
    public Etdrk4(ReadOnlySpan<Complex> linear, double h, int contourPoints = 64)
    {
        if (!(h > 0)) throw new ArgumentException($"ETDRK4 step must be positive, got {h}.");
        Step = h;
        int n = linear.Length;
        e = new Complex[n]; e2 = new Complex[n]; q = new Complex[n]; f1 = new Complex[n]; f2 = new Complex[n]; f3 = new Complex[n];
        var roots = new Complex[contourPoints];
        for (int j = 0; j < contourPoints; j++) roots[j] = Complex.FromPolarCoordinates(1, 2 * Math.PI * (j + 0.5) / contourPoints);
        for (int m = 0; m < n; m++)
        {
            var hl = h * linear[m];
            e[m] = Complex.Exp(hl);
            e2[m] = Complex.Exp(hl / 2);
            Complex sq = 0, s1 = 0, s2 = 0, s3 = 0;
            foreach (var r in roots)
            {
                var z = hl + r;
                var ez = Complex.Exp(z);
                var z3 = z * z * z;
                sq += (Complex.Exp(z / 2) - 1) / z;
                s1 += (-4 - z + ez * (4 - 3 * z + z * z)) / z3;
                s2 += (2 + z + ez * (z - 2)) / z3;
                s3 += (-4 - 3 * z - z * z + ez * (4 - z)) / z3;
            }
            q[m] = h * sq / contourPoints;
            f1[m] = h * s1 / contourPoints;
            f2[m] = h * s2 / contourPoints;
            f3[m] = h * s3 / contourPoints;
        }
    }

    /// <summary>Per-trajectory work buffers.</summary>
    public sealed class Work(int n)
    {
        internal readonly Complex[] Nv = new Complex[n], A = new Complex[n], Na = new Complex[n],
            B = new Complex[n], Nb = new Complex[n], C = new Complex[n], Nc = new Complex[n];
    }

    /// <summary>Work buffers for one trajectory.</summary>
    public Work NewWork() => new(Modes);

    /// <summary>One step of size <see cref="Step"/> in place.</summary>
    public void Advance(Span<Complex> v, SpectralNonlinear nonlinear, Work w)
    {
        int n = Modes;
        nonlinear(v, w.Nv);
        for (int m = 0; m < n; m++) w.A[m] = e2[m] * v[m] + q[m] * w.Nv[m];
        nonlinear(w.A, w.Na);
        for (int m = 0; m < n; m++) w.B[m] = e2[m] * v[m] + q[m] * w.Na[m];
        nonlinear(w.B, w.Nb);
        for (int m = 0; m < n; m++) w.C[m] = e2[m] * w.A[m] + q[m] * (2 * w.Nb[m] - w.Nv[m]);
        nonlinear(w.C, w.Nc);
        for (int m = 0; m < n; m++)
            v[m] = e[m] * v[m] + w.Nv[m] * f1[m] + 2 * (w.Na[m] + w.Nb[m]) * f2[m] + w.Nc[m] * f3[m];
    }
}
