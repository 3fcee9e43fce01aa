using Onsager.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>
/// Tabulated density networks (<see cref="Tabulation"/>): the interpolated member against the exact one, its energy
/// against its derivative, its training gradients, and states the table has to cope with.
/// </summary>
public sealed class TabulationTests
{
    private static readonly Grid Grid256 = Grid.Periodic(2 * Math.PI, 256);

    /// <summary>float32's unit round-off 2^-24.</summary>
    private const double Float32RoundOff = 5.96e-8;

    /// <summary>A member trained by `onsager reproduce ac --quick` (32x2 network, 375 steps).</summary>
    private static Model Trained() => ModelDirectory.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "ac-trained")).Model;

    private static Model DensityOnly(Model m) => m with { Energy = new Energy(m.Energy.Anchors, []) };

    private static IEnumerable<(string Name, Model Member)> Members()
    {
        var trained = Trained();
        yield return ("trained", trained);
        yield return ("trained, density only", DensityOnly(trained));
        yield return ("random 64x3", Families.Spectral(Grid256, 0));
        yield return ("random 32x2", DensityOnly(Families.Spectral(Grid256, 5, SpectralOptions.Default with { Width = 32, Depth = 2 })));
    }

    /// <summary>Smooth periodic fields (six random modes) with max |u| = amplitude, (batch, 1, 256) in float64.</summary>
    private static Tensor Fields(int batch, double amplitude, int seed)
    {
        var g = new Generator((ulong)seed);
        var x = linspace(0, 2 * Math.PI, 257, ScalarType.Float64).narrow(0, 0, 256);
        var u = zeros(batch, 1, 256, ScalarType.Float64);
        for (int k = 1; k <= 6; k++)
            u = u + randn(batch, 1, 1, ScalarType.Float64, generator: g) / k * (k * x + randn(batch, 1, 1, ScalarType.Float64, generator: g)).sin();
        return u / u.abs().amax([1L, 2L], keepdim: true) * amplitude;
    }

    private static CompiledModel Compile(Model m, ScalarType dtype, Tabulation? t) => Dynamics.Compile(m, new CompileOptions(dtype) { Tabulation = t });

    /// <summary>max |a - b| / max |b| against a float64 reference.</summary>
    private static double MaxRelative(Tensor a, Tensor b) => ((a.to(ScalarType.Float64) - b).abs().max() / b.abs().max()).ToDouble();

    private static double RmsRelative(Tensor a, Tensor b) => ((a.to(ScalarType.Float64) - b).norm() / b.norm()).ToDouble();

    [Fact]
    public void TabulatedRhsAndDerivativeMatchTheExactNetworkToFloat32RoundOff()
    {
        using var scope = NewDisposeScope();
        foreach (var (name, member) in Members())
            foreach (var amplitude in new[] { 1.2, 3.0 })   // the ac data's range, and well outside it
            {
                var u = Fields(16, amplitude, 1);
                using var exact = Compile(member, ScalarType.Float64, null);
                using var tabulated = Compile(member, ScalarType.Float64, Tabulation.Default);
                using var exact32 = Compile(member, ScalarType.Float32, null);
                using var tabulated32 = Compile(member, ScalarType.Float32, Tabulation.Default);
                var d = exact.VariationalDerivative(u);
                // In float64 the interpolation error alone: below float32's unit round-off.
                double interpolation = MaxRelative(tabulated.VariationalDerivative(u), d);
                Assert.True(interpolation < Float32RoundOff, $"{name}, |u| <= {amplitude}: dE interpolation error {interpolation:E2}");
                double rhs = MaxRelative(tabulated.Rhs(u), exact.Rhs(u));
                Assert.True(rhs < Float32RoundOff, $"{name}, |u| <= {amplitude}: Rhs interpolation error {rhs:E2}");
                // In float32 the tabulated derivative is as close to the float64 truth as the exact network's own float32 value.
                var u32 = u.to(ScalarType.Float32);
                double own = RmsRelative(exact32.VariationalDerivative(u32), d), table = RmsRelative(tabulated32.VariationalDerivative(u32), d);
                Assert.True(table <= 3 * own, $"{name}, |u| <= {amplitude}: float32 error {table:E2} tabulated, {own:E2} exact");
            }
    }

    [Fact]
    public void TheTabulatedEnergyIsTheExactIntegralOfTheTabulatedDerivative()
    {
        using var scope = NewDisposeScope();
        var member = Trained();
        var u = Fields(8, 1.2, 2);
        using var tabulated = Compile(member, ScalarType.Float64, Tabulation.Default);
        using var exact = Compile(member, ScalarType.Float64, null);
        // dE by autograd of the tabulated energy equals its closed-form (tabulated) derivative: the energy is the
        // integral of the interpolant, not a separate approximation.
        var closed = tabulated.VariationalDerivative(u);
        Assert.True(MaxRelative(tabulated.AutogradDerivative(u), closed) < 1e-12);
        Assert.True(MaxRelative(tabulated.Energy(u), exact.Energy(u)) < 1e-9);
        // The discrete gradient's AVF quotient tabulates both states on one table: <dbarE(u, v), v - u> = E(v) - E(u)
        // up to the interpolation error of two separate tables for E(u) and E(v).
        var v = u + 1e-2 * Fields(8, 1.0, 3);
        var dg = DiscreteGradient.Of(tabulated, u, v);
        var gap = tabulated.Inner(dg, v - u) - (tabulated.Energy(v) - tabulated.Energy(u));
        Assert.True((gap.abs().max() / tabulated.Energy(u).abs().max()).ToDouble() < 1e-10);
    }

    [Fact]
    public void TrainingGradientsMatchTheExactOnesAndFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var member = Trained();
        var windows = stack(Enumerable.Range(0, 4).Select(j => Fields(6, 1.1, 10 + j)).ToArray(), 1);   // (6, 4, 1, 256)
        Tensor[] Gradient(CompiledModel m, string scheme, int frames)
        {
            foreach (var p in m.parameters()) p.grad = null;
            Loss.Autoregressive(m, Onsager.Cli.Schemes.Parse(scheme), windows.narrow(1, 0, frames), frames - 1, 1e-3).backward();
            return m.parameters().Select(p => p.grad!.clone()).ToArray();
        }
        static double Distance(Tensor[] a, Tensor[] b) =>
            Math.Sqrt(a.Zip(b).Sum(t => (t.First - t.Second).square().sum().ToDouble()) / b.Sum(t => t.square().sum().ToDouble()));
        using var exact = Compile(member, ScalarType.Float64, null);
        using var tabulated = Compile(member, ScalarType.Float64, Tabulation.Default);
        foreach (var scheme in new[] { "euler", "dg" })
        {
            double d = Distance(Gradient(tabulated, scheme, 4), Gradient(exact, scheme, 4));
            Assert.True(d < 1e-8, $"{scheme}: tabulated gradient {d:E2} from the exact one");
        }
        // One Euler step from data: the table's range is the data's, so the tabulated loss is one smooth function of
        // the weights and its gradient must match its own central difference along a random direction.
        var g = Gradient(tabulated, "euler", 2);
        var parameters = tabulated.parameters().ToArray();
        var direction = parameters.Select((p, i) => randn(p.shape, p.dtype, generator: new Generator((ulong)(20 + i)))).ToArray();
        double Loss1(double eps)
        {
            using var noGrad = no_grad();
            for (int i = 0; i < parameters.Length; i++) parameters[i].add_(direction[i], alpha: eps);
            double l = Loss.Autoregressive(tabulated, Onsager.Cli.Schemes.Parse("euler"), windows.narrow(1, 0, 2), 1, 1e-3).ToDouble();
            for (int i = 0; i < parameters.Length; i++) parameters[i].add_(direction[i], alpha: -eps);
            return l;
        }
        double h = 1e-5, fd = (Loss1(h) - Loss1(-h)) / (2 * h);
        double analytic = g.Zip(direction).Sum(t => (t.First * t.Second).sum().ToDouble());
        Assert.True(Math.Abs(fd - analytic) <= 1e-6 * Math.Abs(analytic), $"finite difference {fd:E6}, gradient {analytic:E6}");
    }

    [Fact]
    public void OutliersConstantStatesAndNaNAreHandled()
    {
        using var scope = NewDisposeScope();
        var member = Families.Spectral(Grid256, 1);
        using var exact = Compile(member, ScalarType.Float64, null);
        using var tabulated = Compile(member, ScalarType.Float64, Tabulation.Default);
        // The table spans each call's own minimum and maximum: one far outlier widens the cells but nothing is extrapolated.
        var u = Fields(4, 1.0, 4);
        u[1, 0, 17] = tensor(40.0, ScalarType.Float64);
        Assert.True(MaxRelative(tabulated.Rhs(u), exact.Rhs(u)) < 1e-7);
        var constant = full(2, 1, 256, 0.3, ScalarType.Float64);
        Assert.True(MaxRelative(tabulated.VariationalDerivative(constant), exact.VariationalDerivative(constant)) < 1e-12);
        // A non-finite state gives a non-finite result (the trainer's rollback sees it), never an exception.
        u[2, 0, 5] = tensor(double.NaN, ScalarType.Float64);
        Assert.True(tabulated.Rhs(u).isnan().any().ToBoolean());
        u[2, 0, 5] = tensor(double.PositiveInfinity, ScalarType.Float64);
        Assert.False(tabulated.Rhs(u).isfinite().all().ToBoolean());
    }

    [Fact]
    public void TabulationIsAnExplicitOptionOnForTrainingOnly()
    {
        Assert.Null(CompileOptions.Default.Tabulation);
        Assert.Equal(Tabulation.Default, CompileOptions.Training(ScalarType.Float32).Tabulation);
        Assert.Equal(Tabulation.Default, CompileOptions.Training(ScalarType.Float64).Tabulation);
        Assert.Throws<ArgumentException>(() => Dynamics.Compile(Families.Spectral(Grid256, 0), new CompileOptions { Tabulation = new Tabulation(1) }));
    }

    [Fact]
    public void TheNonlinearPartIsTheDerivativeLessTheQuadraticPart()
    {
        using var scope = NewDisposeScope();
        var member = Trained();   // quadratic a/2 u^2 + kappa/2 |u_x|^2, the density G, and the low-mode network (autograd)
        using var m = Compile(member, ScalarType.Float64, null);
        var u = Fields(4, 1.2, 6);
        Assert.True(MaxRelative(m.NonlinearPart(u), m.VariationalDerivative(u) - m.LinearPart(u)) < 1e-12);
        // The Fourier-space right-hand side equals -(M + W) dE applied operator by operator.
        Assert.True(MaxRelative(m.Rhs(u), -m.Operator(u, m.VariationalDerivative(u))) < 1e-12);
    }
}
