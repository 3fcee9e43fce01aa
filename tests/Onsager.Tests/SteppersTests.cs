using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

public class SteppersTests
{
    private static readonly Grid G = Grid.Periodic(2 * Math.PI, 48);

    public static readonly TheoryData<string, double> DissipatingAtAnyStep = new()
    {
        { "allen-cahn", 1e-3 }, { "allen-cahn", 1 }, { "allen-cahn", 1e3 },
        { "heat", 1e-3 }, { "heat", 1 }, { "heat", 1e3 },
        { "burgers", 1e-3 }, { "burgers", 1 }, { "burgers", 1e3 },
        { "kdv-burgers", 1e-3 }, { "kdv-burgers", 1e3 },
        { "wave", 1e-3 }, { "wave", 1 }, { "wave", 1e3 },
        { "kdv", 1e-3 }, { "kdv", 1 },
        { "cahn-hilliard", 1e-3 },
    };

    [Theory, MemberData(nameof(DissipatingAtAnyStep))]
    public void DiscreteGradientKeepsItsIdentityAndNeverRaisesTheEnergy(string name, double dt)
    {
        var results = SchemeLaws.Check(KnownMembers.Get(name, G), new Stepper.DiscreteGradient(DgOptions.Laws), dt, seed: 3);
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.Passed, $"{name} dt={dt}: {r.Name}: {r.FirstViolation}"));
        Assert.Contains(results, r => r.Name.StartsWith("step-identity"));
    }

    [Fact, BreaksLaw("step-no-energy-rise")]
    public void ExplicitEulerAtLargeStepsRaisesTheEnergySoTheLawCanFail()
    {
        var results = SchemeLaws.Check(KnownMembers.AllenCahn(G), new Stepper.Euler(), 1.0, seed: 1);
        Assert.True(results.Single(r => r.Name.StartsWith("step-no-energy-rise")).Violations > 0);
        // with M absent explicit Euler raises E at every step size
        var kdv = SchemeLaws.Check(KnownMembers.KdV(G), new Stepper.Euler(), 1e-4, seed: 1);
        Assert.True(kdv.Single(r => r.Name.StartsWith("step-no-energy-rise")).Violations > 0);
    }

    [Fact]
    public void DiscreteGradientWithMidpointOperatorIsSecondOrder()
    {
        double ratio = SchemeLaws.ConvergenceRatio(KnownMembers.AllenCahn(Grid.Periodic(2 * Math.PI, 32), spectral: true), 1e-3, seed: 2);
        Assert.InRange(ratio, 3.5, 4.6);
        ratio = SchemeLaws.ConvergenceRatio(KnownMembers.KdVBurgers(Grid.Periodic(2 * Math.PI, 32)), 1e-3, seed: 2);
        Assert.InRange(ratio, 3.5, 4.6);
    }

    [Fact]
    public void ExplicitSchemesHaveTheirOrders()
    {
        var model = KnownMembers.Burgers(Grid.Periodic(2 * Math.PI, 32));
        using var m = Dynamics.Compile(model);
        var u0 = RandomMembers.States(new Random(1), model.Grid, 1, 1, 0.5);
        Tensor Run(Stepper s, double h, int n) { var u = u0; for (int i = 0; i < n; i++) u = Steppers.Step(m, s, u, h).State; return u; }
        var reference = Run(new Stepper.Rk4(), 1e-4, 800);
        foreach (var (s, order) in new (Stepper, double)[] { (new Stepper.Euler(), 1), (new Stepper.Heun(), 2), (new Stepper.SspRk3(), 3), (new Stepper.Rk4(), 4) })
        {
            double e1 = (Run(s, 4e-3, 20) - reference).norm().item<double>(), e2 = (Run(s, 2e-3, 40) - reference).norm().item<double>();
            Assert.InRange(Math.Log2(e1 / e2), order - 0.4, order + 0.6);
        }
    }

    [Fact]
    public void Sbdf1TreatsTheLinearPartImplicitly()
    {
        // stiff heat equation in multiplier form: SBDF1 at dt = 1 stays bounded and decays; explicit Euler blows up
        var g = Grid.Periodic(2 * Math.PI, 64);
        var model = ModelBuilder.On(g).Energy(e => e.QuadraticAnchor(1).Gradient(1)).Dissipation(d => d.Multiplier(1, learned: false)).Build();
        using var m = Dynamics.Compile(model);
        Assert.NotNull(m.OperatorSymbol());
        Assert.NotNull(m.LinearSymbol());
        var u = RandomMembers.States(new Random(2), g, 1, 1, 1.0);
        var e0 = m.Energy(u).item<double>();
        var v = Steppers.Step(m, new Stepper.Sbdf1(), u, 1.0).State;
        Assert.True(m.Energy(v).item<double>() < e0);
        var w = Steppers.Step(m, new Stepper.Euler(), u, 1.0).State;
        Assert.True(m.Energy(w).item<double>() > e0);
    }

    [Fact]
    public void AStepThatCannotConvergeIsAnErrorNamingTheStepAndResidual()
    {
        using var m = Dynamics.Compile(KnownMembers.AllenCahn(G));
        var u = RandomMembers.States(new Random(3), G, 1, 1, 1.0);
        var hopeless = new Stepper.DiscreteGradient(new DgOptions(Tolerance: 1e-30, MaxIterations: 2, MaxSubsteps: 1));
        var e = Assert.Throws<StepFailedException>(() => Steppers.Step(m, hopeless, u, 0.1, stepIndex: 7));
        Assert.Equal(7, e.Step);
        Assert.Contains("Step 7", e.Message);
        Assert.Contains("residual", e.Message);
        Assert.Throws<ArgumentException>(() => Steppers.Step(m, new Stepper.Euler(), u, -1));
        Assert.Contains("rk4-adaptive", Assert.Throws<Onsager.Cli.UsageException>(() => Onsager.Cli.Schemes.Parse("leapfrog")).Message);
    }

    [Fact]
    public void AComposedStepListsItsSubstepsAndEachOneReverses()
    {
        // random:78 (W only, 22 points) at dt = 1e3: the solve from u folds, so the step is a march of DG substeps. Before the
        // laws checked substep by substep, its reversibility failed by a margin of 8e10 (u does not solve one big reversed step).
        var model = RandomMembers.Generate(78);
        var results = SchemeLaws.Check(model, new Stepper.DiscreteGradient(DgOptions.Laws), 1e3, seed: 28);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: {r.FirstViolation}"));
        var reversible = Assert.Single(results, r => r.Name.StartsWith("step-reversible"));
        Assert.True(reversible.Checks > 1, "expected a composed step");
        using var m = Dynamics.Compile(model);
        var u = RandomMembers.States(new Random(28), model.Grid, 1, 1, 1.0);
        var step = Steppers.TryStep(m, new Stepper.DiscreteGradient(DgOptions.Laws), u, 1e3);
        Assert.True(step.Converged);
        Assert.NotEmpty(step.Path);                                                 // this state also needs continuation (one substep)
        Assert.Equal(step.Substeps, step.Path.Length);
        Assert.Equal(1e3, step.Path.Sum(s => s.H), 9);
        Assert.Same(u, step.Path[0].From);
        for (int i = 1; i < step.Path.Length; i++) Assert.Same(step.Path[i - 1].To, step.Path[i].From);
        Assert.Equal(0, (step.Path[^1].To - step.State).abs().max().item<double>());
    }

    [Fact]
    public void EachSubstepOfAComposedStepCarriesWhatItDissipated()
    {
        // The laws judge a composed step substep by substep, so each substep must carry its own h <dbarE, Mbar dbarE>_h, and
        // each one must satisfy the DG identity on its own. random:504 (M only, two fields on 10 points) needs continuation at
        // dt = 1e3 from this state.
        var model = RandomMembers.Generate(504);
        Assert.NotNull(model.Dissipation);
        using var m = Dynamics.Compile(model);
        var u = RandomMembers.States(new Random(2), model.Grid, model.Fields, 2, 1.0);
        var step = Steppers.TryStep(m, new Stepper.DiscreteGradient(DgOptions.Laws), u, 1e3);
        Assert.True(step.Converged);
        Assert.NotEmpty(step.Path);
        var total = step.Path.Aggregate(zeros_like(step.Dissipated!), (sum, s) => sum + s.Dissipated);
        Assert.True((total - step.Dissipated!).abs().max().item<double>() <= 1e-12 * step.Dissipated!.abs().max().item<double>());
        Assert.True(total.min().item<double>() > 0, "M is present: every sample dissipates");
        foreach (var s in step.Path)
        {
            var rise = (m.Energy(s.To) - m.Energy(s.From)).data<double>().ToArray();
            var dissipated = s.Dissipated.data<double>().ToArray();
            var scale = (m.Energy(s.From).abs() + s.Dissipated.abs()).data<double>().ToArray();
            for (int i = 0; i < rise.Length; i++)
                Assert.True(Math.Abs(rise[i] + dissipated[i]) <= 1e-12 * scale[i], $"substep h = {s.H}: E changed by {rise[i]}, dissipated {dissipated[i]}");
        }
    }

    [Fact]
    public void AStepOverItsWorkBudgetFailsInsteadOfMarchingOn()
    {
        // random:78 at dt = 1e3 needs continuation after its first solve; with a budget smaller than that solve it must stop
        // there, unconverged, rather than spend more (the budget is what bounds a hopeless member's cost).
        var model = RandomMembers.Generate(78);
        using var m = Dynamics.Compile(model);
        var u = RandomMembers.States(new Random(28), model.Grid, 1, 1, 1.0);
        var tight = new Stepper.DiscreteGradient(DgOptions.Laws with { MaxStepIterations = 1 });
        var step = Steppers.TryStep(m, tight, u, 1e3);
        Assert.False(step.Converged);
        Assert.InRange(step.Iterations, 1, DgOptions.Laws.MaxIterations);
        Assert.Throws<StepFailedException>(() => Steppers.Step(m, tight, u, 1e3));
        Assert.True(Steppers.TryStep(m, new Stepper.DiscreteGradient(DgOptions.Laws), u, 1e3).Converged);
    }

    [Fact]
    public void DiscreteGradientSatisfiesItsDefiningIdentity()
    {
        foreach (var name in new[] { "allen-cahn", "kdv", "wave" })
        {
            var model = KnownMembers.Get(name, G);
            using var m = Dynamics.Compile(model);
            var u = RandomMembers.States(new Random(4), G, model.Fields, 2, 1.0);
            var v = RandomMembers.States(new Random(5), G, model.Fields, 2, 1.0);
            var lhs = m.Inner(DiscreteGradient.Of(m, u, v), v - u).data<double>();
            var rhs = (m.Energy(v) - m.Energy(u)).data<double>();
            for (int i = 0; i < 2; i++) Assert.True(Math.Abs(lhs[i] - rhs[i]) < 1e-10 * (1 + Math.Abs(rhs[i])), $"{name}: {lhs[i]} vs {rhs[i]}");
            var same = DiscreteGradient.Of(m, u, u);
            Assert.True((same - m.VariationalDerivative(u)).abs().max().item<double>() < 1e-9 * (1 + m.VariationalDerivative(u).abs().max().item<double>()));
        }
    }
}

public class SimulatorTests
{
    [Fact]
    public async Task RolloutsReportEnergyDissipationAndMassAndTheEnergyFalls()
    {
        var model = KnownMembers.CahnHilliard(Grid.Periodic(2 * Math.PI, 32));
        var sim = new Simulator(model, new Stepper.DiscreteGradient());
        var reports = new List<RolloutProgress>();
        var traj = await sim.RunAsync(Simulator.RandomInitial(model, 2, 1, 0.5), 2, 1e-2, 20, saveEvery: 5, new SyncProgress<RolloutProgress>(reports.Add));
        Assert.Equal(new long[] { 2, 5, 1, 32 }, traj.Shape);
        Assert.Equal(new[] { 0, 0.05, 0.1, 0.15, 0.2 }, traj.Times.Select(t => Math.Round(t, 12)));
        for (int b = 0; b < 2; b++)
            for (int f = 1; f < 5; f++)
            {
                Assert.True(traj.Energy[b, f] <= traj.Energy[b, f - 1]);
                Assert.True(traj.DissipationRate[b, f] >= 0);
                Assert.Equal(traj.Mass[b, 0, 0], traj.Mass[b, f, 0], 10);
            }
        Assert.Equal(4, reports.Count);
        Assert.Equal(20, traj.Statistics.Steps);
    }

    [Fact]
    public async Task CancellationStopsARollout()
    {
        var model = KnownMembers.AllenCahn(Grid.Periodic(2 * Math.PI, 32));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new Simulator(model, new Stepper.Rk4()).RunAsync(Simulator.RandomInitial(model, 1, 0), 1, 1e-4, 10, cancellationToken: cts.Token));
    }

    [Fact]
    public void NaNInitialStatesAreRefused()
    {
        var model = KnownMembers.Heat(Grid.Periodic(1, 8));
        using var m = Dynamics.Compile(model);
        var u = Dynamics.State(model, Enumerable.Repeat(double.NaN, 8).ToArray());
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Rollout.Run(m, new Stepper.Euler(), u, 0.1, 3)).Message);
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T> { public void Report(T value) => report(value); }
}

/// <summary>The rollout solve of multiplier members: Anderson-accelerated Picard, with what depends on u alone evaluated once.</summary>
public class FourierPicardTests
{
    private static readonly Grid G = Grid.Periodic(16, 256);

    /// <summary>A spectral-family member as training starts it (network density, low-mode network, multiplier K).</summary>
    private static Model Member() => Families.Spectral(G, seed: 2);

    private static Tensor State() => RandomMembers.States(new Random(7), G, 1, 3, 1.0);

    [Fact]
    public void AndersonSolvesTheStepNewtonSolvesInFarFewerIterationsThanPlainPicard()
    {
        // Allen-Cahn in spectral form from rough states on 256 sites: the plain Picard iteration contracts slowly there.
        using var m = Dynamics.Compile(Families.Classical("allen-cahn", G));
        var u = State();
        const double dt = 0.01;
        var plain = Steppers.TryStep(m, new Stepper.DiscreteGradient(Stepper.DiscreteGradient.FourierPicard with { AndersonDepth = 0 }), u, dt);
        var mixed = Steppers.TryStep(m, new Stepper.DiscreteGradient(Stepper.DiscreteGradient.FourierPicard), u, dt);
        var newton = Steppers.TryStep(m, new Stepper.DiscreteGradient(), u, dt);
        Assert.True(mixed.Converged && newton.Converged);
        Assert.True(mixed.Substeps == 1 && newton.Substeps == 1, $"one solve each: Anderson {mixed.Substeps}, Newton {newton.Substeps} substeps");
        Assert.True(mixed.Iterations * 4 < plain.Iterations, $"Anderson {mixed.Iterations} iterations, plain Picard {plain.Iterations}");
        double scale = newton.State.abs().max().item<double>();
        // The solver accepts a solve that stops halving within StagnationFactor of its tolerance (relative residual 1e-8 here;
        // measured 8e-9, Newton 2e-12): the two solutions agree to that residual times the step's conditioning (measured 4e-8).
        Assert.True(mixed.Residual <= Steppers.StagnationFactor * Stepper.DiscreteGradient.FourierPicard.Tolerance, $"residual {mixed.Residual:G3}");
        Assert.True((mixed.State - newton.State).abs().max().item<double>() < 1e-6 * scale, "Anderson and Newton solve the same step equation");
        // The discrete-gradient identity of the returned step, E(v) - E(u) = -dissipated, up to the energy defect of the
        // accepted residual (measured 2e-8 relative).
        var change = (m.Energy(mixed.State) - m.Energy(u)).data<double>().ToArray();
        var dissipated = mixed.Dissipated!.data<double>().ToArray();
        var size = m.Energy(u).abs().data<double>().ToArray();
        for (int b = 0; b < 3; b++) Assert.True(Math.Abs(change[b] + dissipated[b]) < 1e-6 * (size[b] + dissipated[b]), $"sample {b}: {change[b]} vs {-dissipated[b]}");
    }

    [Fact]
    public void TheStartEvaluatedOnceGivesTheSameDiscreteGradient()
    {
        using var m = Dynamics.Compile(Member());
        var u = State();
        var v = u.Plus(RandomMembers.States(new Random(8), G, 1, 3, 0.1));
        var start = DiscreteGradient.At(m, u);
        Assert.True((DiscreteGradient.Of(m, start, v) - DiscreteGradient.Of(m, u, v)).abs().max().item<double>() < 1e-13 * DiscreteGradient.Of(m, u, v).abs().max().item<double>());
        // At v = u both give dE(u).
        var dE = m.VariationalDerivative(u);
        Assert.True((DiscreteGradient.Of(m, start, u) - dE).abs().max().item<double>() < 1e-10 * dE.abs().max().item<double>());
    }

    [Fact]
    public void AndersonOnALinearContractionBeatsTheIteration()
    {
        // v -> A v + b with A symmetric, eigenvalues in [0, 0.95]: plain iteration contracts by 0.95, Anderson like GMRES.
        var rng = new Random(3);
        int n = 40;
        var q = linalg.qr(tensor(Enumerable.Range(0, n * n).Select(_ => rng.NextDouble() - 0.5).ToArray(), [n, n], ScalarType.Float64)).Q;
        var a = q.matmul(diag(linspace(0, 0.95, n, dtype: ScalarType.Float64))).matmul(q.T);
        var b = tensor(Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray(), [1, n], ScalarType.Float64);
        var exact = linalg.solve(eye(n, dtype: ScalarType.Float64) - a, b.T).T;
        Tensor G(Tensor v) => v.matmul(a.T) + b;
        int Iterations(bool accelerate)
        {
            var v = zeros_like(b);
            var mix = Anderson.Start();
            for (int k = 1; k <= 1000; k++)
            {
                var g = G(v);
                (v, mix) = accelerate ? mix.Mix(v, g) : (g, mix);
                if ((v - exact).norm().item<double>() < 1e-10 * exact.norm().item<double>()) return k;
            }
            return 1000;
        }
        int plain = Iterations(false), mixed = Iterations(true);
        Assert.True(plain > 300, $"plain {plain}");
        Assert.True(mixed < plain / 3, $"Anderson {mixed}, plain {plain}");
    }

    [Fact]
    public void ANegativeAndersonDepthIsRefused()
    {
        Assert.Throws<ArgumentException>(() => DgOptions.Default with { AndersonDepth = -1 });
        Assert.Throws<ArgumentException>(() => Anderson.Start(0));
    }
}
