using System.Numerics;
using Onsager.Data;
using Xunit;
using Xunit.Abstractions;

namespace Onsager.Tests;

/// <summary>Solvers of Onsager.Data: FFT, convergence orders, conservation, energy decay, exact solutions, Verlet chains.</summary>
public class DataSolverTests(ITestOutputHelper log)
{
    private const double L = 2 * Math.PI;

    private static double MaxDiff(double[] a, double[] b, int from = 0) { double m = 0; for (int i = from; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i])); return m; }

    private static double[] Frame(double[] u, int frame, int n) => u.AsSpan(frame * n, n).ToArray();

    private static double Order(double eCoarse, double eFine) => Math.Log2(eCoarse / eFine);

    [Fact]
    public void FftMatchesNaiveDftAndInverts()
    {
        int n = 16;
        var rng = new Rng(3);
        var x = Enumerable.Range(0, n).Select(_ => new Complex(rng.Normal(), rng.Normal())).ToArray();
        var y = (Complex[])x.Clone();
        Fft.Of(n).Forward(y);
        for (int k = 0; k < n; k++)
        {
            Complex s = 0;
            for (int j = 0; j < n; j++) s += x[j] * Complex.FromPolarCoordinates(1, -2 * Math.PI * j * k / n);
            Assert.True((s - y[k]).Magnitude < 1e-12, $"mode {k}: {s} vs {y[k]}");
        }
        Fft.Of(n).Inverse(y);
        for (int j = 0; j < n; j++) Assert.True((x[j] - y[j]).Magnitude < 1e-13);
        Assert.Throws<ArgumentException>(() => Fft.Of(12));
    }

    [Fact]
    public void DealiasedSquareIsExactForBandLimitedFields()
    {
        int n = 32;
        // u = cos 3x + sin 5x: u^2 has modes 0, 2, 6, 8, 10, all below N/2
        var u = Pde.Map(n, j => Math.Cos(3 * j * L / n) + Math.Sin(5 * j * L / n));
        var v = u.Select(x => new Complex(x, 0)).ToArray(); Fft.Of(n).Forward(v);
        var sq = new Complex[n];
        new Solvers.DealiasedSquare(n).Apply(v, sq);
        Fft.Of(n).Inverse(sq);
        for (int j = 0; j < n; j++) Assert.Equal(u[j] * u[j], sq[j].Real, 12);
    }

    private static double[] AcInitial(int n)
    {
        var rng = Rng.For("ac", 11, 0);
        var (k, a, ph) = Generators.RandomSines(ref rng, 3, 10);
        var u = Generators.EvaluateSines(k, a, ph, n, L);
        double lo = u.Min(), hi = u.Max();
        return u.Select(x => -1 + 2 * (x - lo) / (hi - lo)).ToArray();
    }

    [Fact]
    public void AllenCahnEtdrk4IsFourthOrder()
    {
        var u0 = AcInitial(128);
        double[] Run(int sub) => Frame(Solvers.AllenCahn1D(u0, L, 0.1, 2e-3, 6, sub), 5, 128);
        var reference = Run(64);
        var e = new[] { 1, 2, 4 }.Select(s => MaxDiff(Run(s), reference)).ToArray();
        log.WriteLine($"errors {string.Join(", ", e)}; orders {Order(e[0], e[1]):F2}, {Order(e[1], e[2]):F2}");
        Assert.True(Order(e[0], e[1]) > 3.5 && Order(e[1], e[2]) > 3.5, $"errors {string.Join(", ", e)}");
    }

    [Fact]
    public void KdVEtdrk4IsFourthOrderAndConservesMassAndL2()
    {
        int n = 128;
        var rng = Rng.For("kdv", 5, 0);
        var (k, a, ph) = Generators.RandomSines(ref rng, 3, 6);
        var u0 = Generators.EvaluateSines(k, a, ph, n, L).Select(x => x + 0.3).ToArray();
        double[] Run(int sub) => Frame(Solvers.KdV(u0, L, 1e-3, 6, sub), 5, n);
        var reference = Run(64);
        var e = new[] { 2, 4, 8 }.Select(s => MaxDiff(Run(s), reference)).ToArray();
        log.WriteLine($"errors {string.Join(", ", e)}; orders {Order(e[0], e[1]):F2}, {Order(e[1], e[2]):F2}");
        Assert.True(Order(e[0], e[1]) > 3.5 && Order(e[1], e[2]) > 3.5, $"errors {string.Join(", ", e)}");
        var full = Solvers.KdV(u0, L, 1e-3, 21, 10);
        double m0 = u0.Sum(), e0 = u0.Sum(x => x * x);
        for (int f = 1; f < 21; f++)
        {
            var uf = Frame(full, f, n);
            Assert.True(Math.Abs(uf.Sum() - m0) < 1e-9, $"mass drift at frame {f}");
            Assert.True(Math.Abs(uf.Sum(x => x * x) - e0) < 1e-6 * e0, $"L2 drift at frame {f}: {uf.Sum(x => x * x)} vs {e0}");
        }
    }

    [Fact]
    public void KdVSolitonTravelsAtItsSpeed()
    {
        int n = 256; double c = 36, x0 = 2.0;
        var u0 = Generators.Solitons([c], [x0], n, L);
        var u = Solvers.KdV(u0, L, 1e-3, 101, 10);
        double t = 0.1;
        var exact = Generators.Solitons([c], [x0 + c * t], n, L);
        double err = MaxDiff(Frame(u, 100, n), exact);
        log.WriteLine($"soliton max error {err}");
        Assert.True(err < 1e-5 * (c / 2), $"soliton error {err}");
    }

    [Fact]
    public void CahnHilliardSbdf2IsSecondOrderConservesMassAndDissipates()
    {
        int n = 64;
        var u0 = Pde.Map(n, j => 0.1 + 0.4 * Math.Cos(j * L / n) + 0.3 * Math.Sin(2 * j * L / n + 1));
        double[] Run(int sub) => Frame(Solvers.CahnHilliard(u0, L, 0.1, 2, 4e-3, 3, sub), 2, n);
        var reference = Run(256);
        var e = new[] { 2, 4, 8 }.Select(s => MaxDiff(Run(s), reference)).ToArray();
        log.WriteLine($"errors {string.Join(", ", e)}; orders {Order(e[0], e[1]):F2}, {Order(e[1], e[2]):F2}");
        Assert.True(Order(e[0], e[1]) > 1.7 && Order(e[1], e[2]) > 1.7, $"errors {string.Join(", ", e)}");
        var full = Solvers.CahnHilliard(u0, L, 0.1, 2, 5e-2, 21, 500);
        double m0 = u0.Sum(), prev = double.MaxValue;
        for (int f = 0; f < 21; f++)
        {
            var uf = Frame(full, f, n);
            Assert.True(Math.Abs(uf.Sum() - m0) < 1e-9, $"mass drift at frame {f}");
            var ux = Solvers.Derivative(uf, L);
            double energy = Enumerable.Range(0, n).Sum(j => (uf[j] * uf[j] - 1) * (uf[j] * uf[j] - 1) / 4 + 0.005 * ux[j] * ux[j]) * L / n;
            Assert.True(energy <= prev + 1e-12, $"CH energy rose at frame {f}: {energy} > {prev}");
            prev = energy;
        }
    }

    [Fact]
    public void AllenCahnEnergyFallsEveryFrame()
    {
        int n = 256;
        var u = Solvers.AllenCahn1D(AcInitial(n), L, 0.1, 1e-3, 101, 10);
        double prev = double.MaxValue;
        for (int f = 0; f < 101; f++)
        {
            var uf = Frame(u, f, n);
            var ux = Solvers.Derivative(uf, L);
            double energy = Enumerable.Range(0, n).Sum(j => ux[j] * ux[j] / 2 + (uf[j] * uf[j] - 1) * (uf[j] * uf[j] - 1) / (4 * 0.01)) * L / n;
            Assert.True(energy < prev, $"AC energy rose at frame {f}");
            prev = energy;
        }
    }

    [Fact]
    public void BurgersConservesMass()
    {
        int n = 256;
        var rng = Rng.For("burgers", 1, 0);
        var (cs, sn) = Generators.RandomModes(ref rng, 4);
        var u0 = Generators.EvaluateModes(cs, sn, n, L).Select(x => x + 0.5).ToArray();
        var u = Solvers.Burgers(u0, L, 0.1, 1e-2, 51, 10);
        double m0 = u0.Sum();
        for (int f = 1; f < 51; f++) Assert.True(Math.Abs(Frame(u, f, n).Sum() - m0) < 1e-9, $"mass drift at frame {f}");
        // viscous: the L2 norm falls
        Assert.True(Frame(u, 50, n).Sum(x => x * x) < u0.Sum(x => x * x));
    }

    [Fact]
    public void HeatMatchesTheExactDecayOfAMode()
    {
        int n = 64;
        var u0 = Pde.Map(n, j => 0.7 + Math.Sin(3 * j * L / n));
        var u = Solvers.Heat(u0, L, 0.1, 1e-2, 11);
        var exact = Pde.Map(n, j => 0.7 + Math.Exp(-0.1 * 9 * 0.1) * Math.Sin(3 * j * L / n));
        Assert.True(MaxDiff(Frame(u, 10, n), exact) < 1e-13);
    }

    [Fact]
    public void DampedWaveMatchesTheDampedOscillator()
    {
        int n = 64, k = 3; double gamma = 0.1, t = 0.5;
        var v0 = Pde.Map(n, j => Math.Cos(k * j * L / n));
        var p0 = new double[n];
        var u = Solvers.DampedWave(v0, p0, L, gamma, 0.05, 11);
        double w = Math.Sqrt(k * k - gamma * gamma / 4), g = Math.Exp(-gamma * t / 2);
        double amp = g * (Math.Cos(w * t) + gamma / (2 * w) * Math.Sin(w * t)), rate = -g * k * k / w * Math.Sin(w * t);
        for (int j = 0; j < n; j++)
        {
            double x = j * L / n;
            Assert.Equal(amp * Math.Cos(k * x), u[(10 * n + j) * 2], 12);
            Assert.Equal(rate * Math.Sin(k * x) / k, u[(10 * n + j) * 2 + 1], 12);
        }
    }

    private static (double[] R, double[] P) FputInitial(FputRecipe r)
    {
        var rng = Rng.For("fput", 2, 0);
        var (k, a, ph) = Generators.RandomSines(ref rng, 3, 6);
        double std = Math.Sqrt(a.Sum(x => x * x) / 2), eps = r.Epsilon;
        var strain = Generators.EvaluateSines(k, a, ph, r.Sites, L, eps * eps / std);
        var rdot = Generators.EvaluateSines(k, a, ph, r.Sites, L, -eps * eps * eps / std, derivative: true);
        return (strain, Chains.MomentaFromStrainRate(rdot));
    }

    private static double[] HamiltonianPath(FputRecipe r, int verletPerSlow, int frames)
    {
        var (strain, p) = FputInitial(r);
        var force = new FputForce(1, 1);
        double h = r.FrameDt / r.SlowSteps / Math.Pow(r.Epsilon, 3) / verletPerSlow;
        var fPad = new double[r.Sites + 1]; var pPad = new double[r.Sites + 1];
        var path = new double[frames];
        for (int f = 0; f < frames; f++)
        {
            if (f > 0) Chains.Verlet(force, strain, p, h, r.SlowSteps * verletPerSlow, fPad, pPad);
            path[f] = Chains.Hamiltonian(force, strain, p);
        }
        return path;
    }

    [Fact]
    public void VerletHamiltonianErrorIsBoundedAndShrinksLikeDtSquared()
    {
        var r = new FputRecipe();
        var coarse = HamiltonianPath(r, 25, 101);
        var fine = HamiltonianPath(r, 50, 101);
        double Dev(double[] path, int from, int to) => path[from..to].Max(x => Math.Abs(x - path[0]));
        double ec = Dev(coarse, 1, 101), ef = Dev(fine, 1, 101);
        double ratio = ec / ef;
        log.WriteLine($"energy error {ec} (25 steps/slow step), {ef} (50): ratio {ratio:F2}; H0 {fine[0]}");
        Assert.True(ratio > 3.2 && ratio < 5.5, $"energy error ratio {ratio} ({ec} vs {ef})");
        // no secular drift: the mean deviation of the last quarter is not beyond the bounded oscillation of the first half
        double firstHalf = Dev(fine, 1, 51);
        double lateMean = fine[76..101].Average(x => x - fine[0]);
        Assert.True(Math.Abs(lateMean) < 1.5 * firstHalf, $"drift {lateMean} vs oscillation {firstHalf}");
        Assert.True(ef < 1e-4 * Math.Abs(fine[0]), $"relative energy error {ef / fine[0]}");
    }

    [Fact]
    public void CoMovingReconstructionInterpolatesAndShifts()
    {
        int sites = 8; double eps = L / sites;
        var r = Pde.Map(sites, i => i);
        var u = new double[16];
        Chains.CoMoving(r, eps, 1.0, 0.0, L, u);
        Assert.Equal(0.5 / (eps * eps), u[1], 12); // half-way between sites 0 and 1
        Assert.Equal(3.5 / (eps * eps), u[15], 12); // between site 7 and (periodic) site 0
        Chains.CoMoving(r, eps, 1.0, 2.0, L, u); // shifted by two sites
        Assert.Equal(2.0 / (eps * eps), u[0], 12);
    }
}

public class DataSolver2DTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static double[] Field(int n, int seed)
    {
        var rng = new Rng((ulong)seed);
        var modes = Enumerable.Range(0, 5).Select(_ => (kx: rng.NextInt(-4, 4), ky: rng.NextInt(-4, 4), a: rng.NextDouble(), ph: rng.Uniform(0, 6))).ToArray();
        var u = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++)
                u[i * n + j] = modes.Sum(m => m.a * Math.Sin(m.kx * i * 2 * Math.PI / n + m.ky * j * 2 * Math.PI / n + m.ph));
        double lo = u.Min(), hi = u.Max();
        return u.Select(x => -1 + 2 * (x - lo) / (hi - lo)).ToArray();
    }

    [Fact]
    public void PackedPairMatchesSeparateRunsAndTheDefaultStepIsAccurate()
    {
        int n = 32;
        var a = Field(n, 1); var b = Field(n, 2);
        var (pa, pb) = Solvers.AllenCahn2D(a, b, n, n, 2 * Math.PI, 2 * Math.PI, 0.1, 1e-3, 11, 2);
        var (sa, _) = Solvers.AllenCahn2D(a, null, n, n, 2 * Math.PI, 2 * Math.PI, 0.1, 1e-3, 11, 2);
        var (sb, _) = Solvers.AllenCahn2D(b, null, n, n, 2 * Math.PI, 2 * Math.PI, 0.1, 1e-3, 11, 2);
        Assert.True(pa.Zip(sa).Max(t => Math.Abs(t.First - t.Second)) < 1e-12);
        Assert.True(pb!.Zip(sb).Max(t => Math.Abs(t.First - t.Second)) < 1e-12);
        var (fine, _) = Solvers.AllenCahn2D(a, null, n, n, 2 * Math.PI, 2 * Math.PI, 0.1, 1e-3, 11, 16);
        double err = fine.Zip(sa).Max(t => Math.Abs(t.First - t.Second));
        log.WriteLine($"ac2d internal step 5e-4 vs 6.25e-5: max error {err} after 10 frames");
        Assert.True(err < 1e-6, $"ac2d time error {err}");
        // the 1D solver on a field constant in y agrees with the 2D one
        var line = Enumerable.Range(0, n).Select(i => Math.Sin(i * 2 * Math.PI / n) * 0.8).ToArray();
        var plane = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) plane[i * n + j] = line[i];
        var (p2, _) = Solvers.AllenCahn2D(plane, null, n, n, 2 * Math.PI, 2 * Math.PI, 0.1, 1e-3, 6, 2);
        var p1 = Solvers.AllenCahn1D(line, 2 * Math.PI, 0.1, 1e-3, 6, 2);
        for (int i = 0; i < n; i++) Assert.Equal(p1[5 * n + i], p2[(5 * n + i) * n + 3], 10);
    }
}
