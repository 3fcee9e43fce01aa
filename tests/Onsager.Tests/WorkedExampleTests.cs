using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

// The worked example of docs/guide.md ("A new primitive: a porous-medium mobility"), compiled and run.
// Keep the two identical in substance: the guide shows these two operators and these calls.

/// <summary>
/// A nonlinear, mass-conserving dissipation: M(u) g = sum over axes of D+^T diag(ubar^2) D+ g, with ubar the average of
/// u onto the half points i+1/2. Symmetric PSD for every u (a congruence of the non-negative diagonal ubar^2), and
/// M 1 = 0 because D+ 1 = 0. With E = 1/2 integral u^2 it gives u_t = d_x(u^2 u_x) = d_xx(u^3)/3 (porous medium).
/// </summary>
public sealed class PorousMediumMobility : ICustomOperator
{
    public string Formula => "D+^T diag(ubar^2) D+";

    public Tensor Apply(Tensor u, Tensor g, Grid grid)
    {
        Tensor? sum = null;
        for (int axis = 0; axis < grid.Dimensions; axis++)
        {
            var m = Stencils.HalfPoint(u, axis).square();                  // m(ubar) = ubar^2 >= 0 at i + 1/2
            var term = Stencils.ForwardTranspose(m * Stencils.Forward(g, grid, axis), grid, axis);
            sum = sum is null ? term : sum + term;
        }
        return sum!;
    }

    public bool ConservesMass => true;                                     // promise: D+ 1 = 0, so M 1 = 0
}

/// <summary>
/// The classic slip: the mobility put outside the divergence, diag(u^2) D+^T D+ (u_t = u^2 u_xx instead of
/// (u^2 u_x)_x). Still "non-negative times a Laplacian", but neither symmetric nor mass conserving.
/// </summary>
public sealed class MobilityOutsideTheDivergence : ICustomOperator
{
    public string Formula => "diag(u^2) D+^T D+";

    public Tensor Apply(Tensor u, Tensor g, Grid grid) =>
        u.square() * Stencils.ForwardTranspose(Stencils.Forward(g, grid, 0), grid, 0);

    public bool ConservesMass => true;                                     // a false promise: 1^T diag(u^2) L g != 0
}

/// <summary>The guide's custom energy term: integral (1 - cos u) >= 0, with its closed-form L2 gradient sin(u).</summary>
public sealed class OneMinusCosine : ICustomEnergy
{
    public string Formula => "(1 - cos u)";

    public Tensor Energy(Tensor u, Grid grid) => (1 - u.cos()).flatten(1).sum(1) * grid.CellVolume;   // h sum_i (1 - cos u_i)

    public bool HasVariationalDerivative => true;

    public Tensor? VariationalDerivative(Tensor u, Grid grid) => u.sin();                               // (1/h) grad_u E

    public double LowerBound(Grid grid) => 0;
}

public class WorkedExampleTests
{
    private static LawResult Law(IEnumerable<LawResult> results, string name) => results.Single(r => r.Name == name);

    private static void AllPass(IEnumerable<LawResult> results, string subject) =>
        Assert.All(results, r => Assert.True(r.Passed, $"{subject}: {r.Name}: {r.FirstViolation}"));

    [Fact]
    public void ThePorousMediumMobilityPassesEveryLaw()
    {
        var results = Laws.CheckDissipation(new PorousMediumMobility(), Grid.Periodic(2 * Math.PI, 64));
        Assert.Equal(Laws.Names.Length, results.Length);
        AllPass(results, "1D");
        Assert.True(Law(results, "mass-conservation").Checks > 0);         // the promise was checked, not skipped
        Assert.True(Law(results, "dissipation-psd-spectrum").Checks > 0);  // N = 64 <= 256: the matrix was assembled

        // The same operator on a 2D grid (it sums over the axes).
        AllPass(Laws.CheckDissipation(new PorousMediumMobility(), Grid.Periodic(2 * Math.PI, 3.0, 12, 10)), "2D");
    }

    [Fact]
    public void ThePorousMediumEquationAsAMemberPassesEveryLaw()
    {
        // u_t = d_x(u^2 d_x u): E = 1/2 integral u^2, M = D+^T diag(ubar^2) D+.
        var model = ModelBuilder.On(Grid.Periodic(2 * Math.PI, 64))
            .Energy(e => e.QuadraticAnchor(1.0))
            .Dissipation(d => d.Custom(new PorousMediumMobility()))
            .Build();
        Assert.Equal("du/dt = -(D+^T diag(ubar^2) D+) dE,  E = integral 1/2 u^2", model.Describe());
        AllPass(Laws.Check(model), model.Describe());

        // Its right-hand side is the conservative difference (m_{i+1/2} (u_{i+1} - u_i) - m_{i-1/2} (u_i - u_{i-1})) / h^2.
        int n = 64; double h = 2 * Math.PI / n;
        var u0 = Pde.Smooth(n, 2 * Math.PI, 11);
        using var compiled = Dynamics.Compile(model);
        var f = compiled.Rhs(Dynamics.State(model, u0)).data<double>().ToArray();
        double M(int i) => Math.Pow((Pde.At(u0, i) + Pde.At(u0, i + 1)) / 2, 2);
        for (int i = 0; i < n; i++)
        {
            double expected = (M(i) * (Pde.At(u0, i + 1) - u0[i]) - M(i - 1) * (u0[i] - Pde.At(u0, i - 1))) / (h * h);
            Assert.True(Math.Abs(expected - f[i]) <= 1e-12 * (1 + Math.Abs(expected)), $"site {i}: {expected} vs {f[i]}");
        }
        Assert.True(compiled.MassFlux(Dynamics.State(model, u0)).abs().item<double>() < 1e-12);

        // The built-in Divergence with m = s^2 at half points is the same operator.
        var builtin = model with { Dissipation = new Dissipation.Divergence(new NonNegative.Square(Scalar.Linear(1))) };
        using var compiledBuiltin = Dynamics.Compile(builtin);
        var fb = compiledBuiltin.Rhs(Dynamics.State(builtin, u0)).data<double>().ToArray();
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(fb[i] - f[i]) <= 1e-12 * (1 + Math.Abs(f[i])));
    }

    [Fact]
    public void TheCustomEnergyTermPassesEveryLaw() =>
        AllPass(Laws.CheckEnergyTerm(new OneMinusCosine(), Grid.Periodic(2 * Math.PI, 64)), "1 - cos u");

    /// <summary>The guide's quick start (sections 1-4), as written there.</summary>
    [Fact]
    public void TheGuideQuickStartRuns()
    {
        var grid = Grid.Periodic(2 * Math.PI, 256);
        var allenCahn = ModelBuilder.On(grid)
            .Energy(e => e.DoubleWell(25, 1).Gradient(1, Derivative.Forward))
            .Dissipation(d => d.Mobility(1))
            .Build();
        Assert.Equal("du/dt = -(diag(1)) dE,  E = integral 25 (u^2 - 1)^2 + 1/2 |D+ u|^2", allenCahn.Describe());

        var learnable = ModelBuilder.On(grid)
            .Energy(e => e.SineNetwork(a: 1, width: 64, depth: 3).Gradient(0.1, learned: true).LowModes(16))
            .Dissipation(d => d.Multiplier(0.1))
            .Conservation(c => c.Multiplier())
            .Build();
        Assert.Equal("du/dt = -(theta^2(k) + i phi(k)) dE,  E = integral 1*/2 u^2 + G(u) + 0.1*/2 |grad u|^2 + V(low 16 modes of u)",
                     learnable.Describe());

        var e = Assert.Throws<ArgumentException>(() => ModelBuilder.On(grid).Energy(e => e.Gradient(1)).Build());
        Assert.Contains("no coercive anchor", e.Message);

        var raw = new Model(grid,
            new Energy(new Anchor.DoubleWell(25.0, 1.0), new EnergyTerm.Gradient(1.0, Derivative.Forward)),
            new Dissipation.Mobility(NonNegative.Of(1.0)));
        Assert.True(raw == allenCahn);

        var wave = new Model(grid, 2,
            new Energy([new Anchor.Quadratic(1.0, 0), new Anchor.Quadratic(1.0, 1)], []),
            new Dissipation.Congruence(new Linear.Select(1, 2), new Dissipation.Mobility(NonNegative.Of(0.1))),
            new Conservation.Scaled(-1.0, new Conservation.Coupling(0, 1)));
        Assert.Equal(KnownMembers.DampedWave(grid, 0.1), wave);

        using var compiled = Dynamics.Compile(allenCahn);
        var u = Dynamics.State(allenCahn, grid.Coordinates(0).Select(x => 0.8 * Math.Sin(x)).ToArray());
        Tensor f = compiled.Rhs(u), energy = compiled.Energy(u), dE = compiled.VariationalDerivative(u);
        Assert.Equal(new long[] { 1, 1, 256 }, f.shape);
        Assert.Equal(new long[] { 1 }, energy.shape);
        Assert.Equal(new long[] { 1, 1, 256 }, dE.shape);
        double rate = compiled.EnergyRate(u).item<double>(), dissipation = compiled.DissipationRate(u).item<double>();
        Assert.True(rate < 0 && Math.Abs(rate + dissipation) <= 1e-9 * dissipation);
        Assert.Equal(81.6814, energy.item<double>(), 3);

        var batch = randn(8, 1, 256, dtype: ScalarType.Float64);
        Assert.Equal(new long[] { 8, 1, 256 }, compiled.Rhs(batch).shape);

        Assert.All(Laws.Check(allenCahn), r => Assert.True(r.Passed, $"{r.Name}: {r.FirstViolation}"));
        Assert.True(Laws.Check("energy-law", allenCahn).Passed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void TheMobilityOutsideTheDivergenceIsCaught(int seed)
    {
        var results = Laws.CheckDissipation(new MobilityOutsideTheDivergence(), Grid.Periodic(2 * Math.PI, 64), 1,
                                            LawOptions.Default with { Seed = seed });
        Assert.True(Law(results, "dissipation-symmetric").Violations > 0, "dissipation-symmetric missed it");
        Assert.True(Law(results, "mass-conservation").Violations > 0, "mass-conservation missed it");
    }
}
