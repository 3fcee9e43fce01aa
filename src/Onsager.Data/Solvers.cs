using System.Numerics;

namespace Onsager.Data;

/// <summary>
/// Pseudo-spectral solvers in float64 on periodic grids. Each is a pure function of its initial field and parameters and
/// returns the saved frames flat, frame-major: values[frame * sites + site] (2D sites row-major x then y). Frame 0 is the
/// initial field itself.
/// </summary>
public static class Solvers
{
    /// <summary>Allen-Cahn 1D u_t = u_xx + (u - u^3)/eps^2 with ETDRK4 (L = -k^2, N = (u - u^3)/eps^2).</summary>
    public static double[] AllenCahn1D(double[] u0, double length, double eps, double frameDt, int frames, int substeps)
    {
        int n = u0.Length;
        var k = Fft.Wavenumbers(n, length);
        var l = k.Select(x => new Complex(-x * x, 0)).ToArray();
        var scheme = new Etdrk4(l, frameDt / substeps);
        var fft = Fft.Of(n);
        var tmp = new Complex[n];
        double inv = 1 / (eps * eps);
        SpectralNonlinear nl = (v, nv) =>
        {
            v.CopyTo(tmp); fft.Inverse(tmp);
            for (int j = 0; j < n; j++) { double u = tmp[j].Real; nv[j] = inv * (u - u * u * u); }
            fft.Forward(nv);
        };
        return RunSpectral(u0, scheme, nl, frames, substeps, fft);
    }

    /// <summary>KdV u_t + 6 u u_x + u_xxx = 0 with ETDRK4 (L = i k^3, N = -3 i k (u^2)^, products dealiased by padding).</summary>
    public static double[] KdV(double[] u0, double length, double frameDt, int frames, int substeps) =>
        KdVBurgers(u0, length, 0.0, frameDt, frames, substeps);

    /// <summary>KdV-Burgers u_t + 6 u u_x + u_xxx = nu u_xx (ETDRK4, L = i k^3 - nu k^2, dealiased).</summary>
    public static double[] KdVBurgers(double[] u0, double length, double nu, double frameDt, int frames, int substeps)
    {
        int n = u0.Length;
        var k = Fft.Wavenumbers(n, length);
        var ko = Fft.OddWavenumbers(n, length);
        var l = Enumerable.Range(0, n).Select(m => new Complex(-nu * k[m] * k[m], ko[m] * ko[m] * ko[m])).ToArray();
        var factor = ko.Select(x => new Complex(0, -3 * x)).ToArray();
        return Quadratic(u0, l, factor, frameDt, frames, substeps);
    }

    /// <summary>Viscous Burgers u_t + u u_x = nu u_xx (ETDRK4, L = -nu k^2, N = -(i k / 2) (u^2)^, dealiased).</summary>
    public static double[] Burgers(double[] u0, double length, double nu, double frameDt, int frames, int substeps)
    {
        int n = u0.Length;
        var k = Fft.Wavenumbers(n, length);
        var ko = Fft.OddWavenumbers(n, length);
        var l = k.Select(x => new Complex(-nu * x * x, 0)).ToArray();
        var factor = ko.Select(x => new Complex(0, -0.5 * x)).ToArray();
        return Quadratic(u0, l, factor, frameDt, frames, substeps);
    }

    /// <summary>
    /// Kuramoto-Sivashinsky u_t + u u_x + u_xx + u_xxxx = 0 with ETDRK4 (L = k^2 - k^4, N = -(i k / 2) (u^2)^, dealiased), as
    /// Kassam and Trefethen (SIAM J. Sci. Comput. 26, 2005) solve it. Chaotic on long domains: no energy decreases along it.
    /// </summary>
    public static double[] KuramotoSivashinsky(double[] u0, double length, double frameDt, int frames, int substeps)
    {
        int n = u0.Length;
        var k = Fft.Wavenumbers(n, length);
        var ko = Fft.OddWavenumbers(n, length);
        var l = k.Select(x => new Complex(x * x - x * x * x * x, 0)).ToArray();
        var factor = ko.Select(x => new Complex(0, -0.5 * x)).ToArray();
        return Quadratic(u0, l, factor, frameDt, frames, substeps);
    }

    private static double[] Quadratic(double[] u0, Complex[] l, Complex[] factor, double frameDt, int frames, int substeps)
    {
        int n = u0.Length;
        var scheme = new Etdrk4(l, frameDt / substeps);
        var fft = Fft.Of(n);
        var square = new DealiasedSquare(n);
        SpectralNonlinear nl = (v, nv) =>
        {
            square.Apply(v, nv);
            for (int m = 0; m < n; m++) nv[m] *= factor[m];
        };
        return RunSpectral(u0, scheme, nl, frames, substeps, fft);
    }

    /// <summary>
    /// The spectrum of u^2 from the spectrum of u without aliasing: zero-padded to 2N points (at least the 3/2 rule needs),
    /// squared, transformed back and truncated to the modes |m| &lt; N/2 (the Nyquist mode is set to zero).
    /// </summary>
    public sealed class DealiasedSquare(int n)
    {
        private readonly Complex[] pad = new Complex[2 * n];
        private readonly Fft big = Fft.Of(2 * n);

        /// <inheritdoc />
        public void Apply(ReadOnlySpan<Complex> v, Span<Complex> result)
        {
            Array.Clear(pad);
            int h = n / 2;
            for (int m = 0; m < h; m++) pad[m] = 2 * v[m];
            for (int m = 1; m < h; m++) pad[2 * n - m] = 2 * v[n - m];
            big.Inverse(pad);
            for (int j = 0; j < 2 * n; j++) { double u = pad[j].Real; pad[j] = u * u; }
            big.Forward(pad);
            result.Clear();
            for (int m = 0; m < h; m++) result[m] = 0.5 * pad[m];
            for (int m = 1; m < h; m++) result[n - m] = 0.5 * pad[2 * n - m];
        }
    }

    private static double[] RunSpectral(double[] u0, Etdrk4 scheme, SpectralNonlinear nl, int frames, int substeps, Fft fft)
    {
        int n = u0.Length;
        var output = new double[frames * n];
        u0.CopyTo(output, 0);
        var v = u0.Select(x => new Complex(x, 0)).ToArray();
        fft.Forward(v);
        var work = scheme.NewWork();
        var phys = new Complex[n];
        for (int f = 1; f < frames; f++)
        {
            for (int s = 0; s < substeps; s++) scheme.Advance(v, nl, work);
            v.CopyTo(phys, 0); fft.Inverse(phys);
            for (int j = 0; j < n; j++) output[f * n + j] = phys[j].Real;
        }
        return output;
    }

    /// <summary>
    /// Allen-Cahn 2D on an nx x ny grid (ETDRK4, L = -|k|^2). Two real fields travel as one complex field a + i b: every
    /// linear operation is real and even in k and the nonlinearity acts on real and imaginary parts separately, so the two
    /// trajectories do not mix (up to round-off); pass <paramref name="second"/> = null for one. Returns both.
    /// </summary>
    public static (double[] First, double[]? Second) AllenCahn2D(double[] first, double[]? second, int nx, int ny, double lx, double ly,
        double eps, double frameDt, int frames, int substeps)
    {
        int sites = nx * ny;
        if (first.Length != sites || second is not null && second.Length != sites)
            throw new ArgumentException($"AllenCahn2D expects {sites} values per field.");
        var kx = Fft.Wavenumbers(nx, lx);
        var ky = Fft.Wavenumbers(ny, ly);
        var l = new Complex[sites];
        for (int i = 0; i < nx; i++) for (int j = 0; j < ny; j++) l[i * ny + j] = -(kx[i] * kx[i] + ky[j] * ky[j]);
        var scheme = AllenCahn2DSchemes.Get(nx, ny, lx, ly, frameDt / substeps, l);
        var tmp = new Complex[sites];
        var column = new Complex[Math.Max(nx, ny)];
        double inv = 1 / (eps * eps);
        SpectralNonlinear nl = (v, nv) =>
        {
            v.CopyTo(tmp); Fft.Inverse2D(tmp, nx, ny, column);
            for (int j = 0; j < sites; j++)
            {
                double a = tmp[j].Real, b = tmp[j].Imaginary;
                nv[j] = new Complex(inv * (a - a * a * a), inv * (b - b * b * b));
            }
            Fft.Forward2D(nv, nx, ny, column);
        };
        var o1 = new double[frames * sites];
        var o2 = second is null ? null : new double[frames * sites];
        var v = new Complex[sites];
        for (int j = 0; j < sites; j++) v[j] = new Complex(first[j], second?[j] ?? 0);
        first.CopyTo(o1, 0); second?.CopyTo(o2!, 0);
        Fft.Forward2D(v, nx, ny, column);
        var work = scheme.NewWork();
        var phys = new Complex[sites];
        for (int f = 1; f < frames; f++)
        {
            for (int s = 0; s < substeps; s++) scheme.Advance(v, nl, work);
            v.CopyTo(phys, 0); Fft.Inverse2D(phys, nx, ny, column);
            for (int j = 0; j < sites; j++) { o1[f * sites + j] = phys[j].Real; if (o2 is not null) o2[f * sites + j] = phys[j].Imaginary; }
        }
        return (o1, o2);
    }

    private static class AllenCahn2DSchemes
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, double, double, double), Lazy<Etdrk4>> Cache = new();
        public static Etdrk4 Get(int nx, int ny, double lx, double ly, double h, Complex[] l) =>
            Cache.GetOrAdd((nx, ny, lx, ly, h), _ => new Lazy<Etdrk4>(() => new Etdrk4(l, h))).Value;
    }

    /// <summary>
    /// Cahn-Hilliard u_t = d_xx(u^3 - u - eps^2 u_xx), stabilised SBDF2 in Fourier space (the first step SBDF1):
    /// (3 u^{n+1} - 4 u^n + u^{n-1}) / (2 dt) = -k^2 [f(u*) + S (u^{n+1} - u*)] - eps^2 k^4 u^{n+1}, u* = 2 u^n - u^{n-1}.
    /// </summary>
    public static double[] CahnHilliard(double[] u0, double length, double eps, double stabilizer, double frameDt, int frames, int substeps)
    {
        int n = u0.Length;
        double dt = frameDt / substeps;
        var k = Fft.Wavenumbers(n, length);
        var k2 = k.Select(x => x * x).ToArray();
        var fft = Fft.Of(n);
        var output = new double[frames * n];
        u0.CopyTo(output, 0);
        var vPrev = u0.Select(x => new Complex(x, 0)).ToArray();
        fft.Forward(vPrev);
        var v = (Complex[])vPrev.Clone();
        var star = new Complex[n];
        var fhat = new Complex[n];
        bool first = true;
        for (int f = 1; f < frames; f++)
        {
            for (int s = 0; s < substeps; s++)
            {
                if (first)
                {
                    // SBDF1 with the same stabilisation: (u1 - u0)/dt = -k^2 [f(u0) + S (u1 - u0)] - eps^2 k^4 u1
                    v.CopyTo(star, 0);
                    NonlinearCh(star, fhat, fft);
                    for (int m = 0; m < n; m++)
                    {
                        var rhs = v[m] / dt - k2[m] * fhat[m] + stabilizer * k2[m] * v[m];
                        var next = rhs / (1 / dt + stabilizer * k2[m] + eps * eps * k2[m] * k2[m]);
                        vPrev[m] = v[m]; v[m] = next;
                    }
                    first = false;
                    continue;
                }
                for (int m = 0; m < n; m++) star[m] = 2 * v[m] - vPrev[m];
                NonlinearCh(star, fhat, fft);
                for (int m = 0; m < n; m++)
                {
                    var rhs = (4 * v[m] - vPrev[m]) / (2 * dt) - k2[m] * fhat[m] + stabilizer * k2[m] * star[m];
                    var next = rhs / (1.5 / dt + stabilizer * k2[m] + eps * eps * k2[m] * k2[m]);
                    vPrev[m] = v[m]; v[m] = next;
                }
            }
            var phys = (Complex[])v.Clone();
            fft.Inverse(phys);
            for (int j = 0; j < n; j++) output[f * n + j] = phys[j].Real;
        }
        return output;
    }

    private static void NonlinearCh(ReadOnlySpan<Complex> spectrum, Span<Complex> result, Fft fft)
    {
        spectrum.CopyTo(result);
        fft.Inverse(result);
        for (int j = 0; j < result.Length; j++) { double u = result[j].Real; result[j] = u * u * u - u; }
        fft.Forward(result);
    }

    /// <summary>Heat u_t = nu u_xx, exact in Fourier space: uhat(t) = uhat(0) e^{-nu k^2 t}.</summary>
    public static double[] Heat(double[] u0, double length, double nu, double frameDt, int frames)
    {
        int n = u0.Length;
        var k = Fft.Wavenumbers(n, length);
        var fft = Fft.Of(n);
        var v0 = u0.Select(x => new Complex(x, 0)).ToArray();
        fft.Forward(v0);
        var output = new double[frames * n];
        var tmp = new Complex[n];
        for (int f = 0; f < frames; f++)
        {
            double t = f * frameDt;
            for (int m = 0; m < n; m++) tmp[m] = v0[m] * Math.Exp(-nu * k[m] * k[m] * t);
            fft.Inverse(tmp);
            for (int j = 0; j < n; j++) output[f * n + j] = tmp[j].Real;
        }
        return output;
    }

    /// <summary>
    /// Damped wave q_tt = q_xx - gamma q_t in the fields (v = q_x, p = q_t): v_t = p_x, p_t = v_x - gamma p, solved exactly
    /// mode by mode with the 2x2 matrix exponential of A = [[0, i k], [i k, -gamma]]. Returns frames flat as
    /// values[(frame * n + site) * 2 + field] with field 0 = v, 1 = p.
    /// </summary>
    public static double[] DampedWave(double[] v0, double[] p0, double length, double gamma, double frameDt, int frames)
    {
        int n = v0.Length;
        var k = Fft.OddWavenumbers(n, length);
        var fft = Fft.Of(n);
        var vh = v0.Select(x => new Complex(x, 0)).ToArray(); fft.Forward(vh);
        var ph = p0.Select(x => new Complex(x, 0)).ToArray(); fft.Forward(ph);
        var output = new double[frames * n * 2];
        var a = new Complex[n];
        var b = new Complex[n];
        for (int f = 0; f < frames; f++)
        {
            double t = f * frameDt;
            for (int m = 0; m < n; m++)
            {
                // exp(A t) = e^{mu t} [cosh(d t) I + sinh(d t)/d (A - mu I)], mu = -gamma/2, d^2 = gamma^2/4 - k^2
                double mu = -gamma / 2;
                var d = Complex.Sqrt(new Complex(gamma * gamma / 4 - k[m] * k[m], 0));
                Complex ch = Complex.Cosh(d * t), sh = d == Complex.Zero ? t : Complex.Sinh(d * t) / d;
                double g = Math.Exp(mu * t);
                var ik = new Complex(0, k[m]);
                var m00 = g * (ch + sh * (0 - mu));
                var m01 = g * sh * ik;
                var m10 = g * sh * ik;
                var m11 = g * (ch + sh * (-gamma - mu));
                a[m] = m00 * vh[m] + m01 * ph[m];
                b[m] = m10 * vh[m] + m11 * ph[m];
            }
            fft.Inverse(a); fft.Inverse(b);
            for (int j = 0; j < n; j++) { output[(f * n + j) * 2] = a[j].Real; output[(f * n + j) * 2 + 1] = b[j].Real; }
        }
        return output;
    }

    /// <summary>Spectral derivative of a real periodic field.</summary>
    public static double[] Derivative(double[] u, double length)
    {
        int n = u.Length;
        var k = Fft.OddWavenumbers(n, length);
        var fft = Fft.Of(n);
        var v = u.Select(x => new Complex(x, 0)).ToArray();
        fft.Forward(v);
        for (int m = 0; m < n; m++) v[m] *= new Complex(0, k[m]);
        fft.Inverse(v);
        return v.Select(c => c.Real).ToArray();
    }
}
