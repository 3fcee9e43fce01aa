using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Guarantees;

/// <summary>
/// The discrete laws of a time stepper on a member (docs/theory.md, section 8), run by <c>onsager verify</c> and the properties:
/// the DG identity E(u+) - E(u) = -dt &lt;dbarE, Mbar dbarE&gt;_h, no rise of E, conservation of E when M is absent and
/// of mass when M 1 = W 1 = 0, reversibility when M is absent (Kbar at the midpoint). A step whose solve does not
/// converge counts as unconverged (apart from the violations, which are among converged steps only). A step (or a law's measurement) that
/// throws is reported as <see cref="Crashed"/>, not as a violation of any law: a crash shows nothing about the laws.
/// </summary>
public static class SchemeLaws
{
    private const double Eps = 2.220446049250313e-16;

    /// <summary>The per-step laws' names, suffixed with the scheme and step size by <see cref="Check(Model, Stepper, double, int, int)"/>.</summary>
    public static ImmutableArray<string> Names { get; } = ["step-identity", "step-no-energy-rise", "step-energy-conserved", "step-mass-conserved", "step-reversible"];

    /// <summary>A rise counts when E(u+) - E(u) &gt; RiseFactor * eps * (|E(u)| + dt &lt;dbarE, Mbar dbarE&gt;_h) (issue 3: c about 100).</summary>
    public const double RiseFactor = 100;

    /// <summary>The outcome (suffixed like the laws) of a check whose step or measurement threw: one check, one violation
    /// (so <c>onsager verify</c> exits 1), the exception's message as its first violation. Not a law: no law was judged.</summary>
    public const string Crashed = "step-crashed";

    /// <summary>Runs every per-step law that applies to the member and the stepper, on one seeded batch of states.</summary>
    public static ImmutableArray<LawResult> Check(Model model, Stepper stepper, double dt, int seed = 0, int batch = 2) =>
        Check(model, stepper, dt, Steppers.TryStep, seed, batch);

    /// <summary>The laws of <paramref name="step"/> judged as the scheme <paramref name="stepper"/> claims to be (the laws that
    /// apply, the tolerances and the tag come from <paramref name="stepper"/>; every step, forward and reversed, is taken by
    /// <paramref name="step"/>). <see cref="Check(Model, Stepper, double, int, int)"/> passes <see cref="Steppers.TryStep"/>;
    /// exposed so that a broken scheme can be shown to fail.</summary>
    public static ImmutableArray<LawResult> Check(Model model, Stepper stepper, double dt, Func<CompiledModel, Stepper, Tensor, double, StepResult> step,
                                                  int seed = 0, int batch = 2)
    {
        string tag = $"{stepper.Name} dt={dt:G3}";
        try { return Judge(model, stepper, dt, step, seed, batch, tag); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [new LawResult($"{Crashed} [{tag}]", 1, 1, double.PositiveInfinity, $"step failed: {e.Message}")];
        }
    }

    private static ImmutableArray<LawResult> Judge(Model model, Stepper stepper, double dt, Func<CompiledModel, Stepper, Tensor, double, StepResult> take,
                                                   int seed, int batch, string tag)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(unchecked(seed * 1000003 + model.Grid.Sites * 131 + 17));
        using var m = Dynamics.Compile(model);
        var u = RandomMembers.States(rng, model.Grid, model.Fields, batch, new[] { 0.1, 0.5, 1.0 }[rng.Next(3)]);
        // The solver's tolerance in the laws' own (energy) norm: the allowances are the same numbers as before the solve
        // learnt that norm (1e-14 for DgOptions.Laws).
        double tol = stepper is Stepper.DiscreteGradient dg ? dg.Options.EnergyTolerance ?? dg.Options.Tolerance : 0;
        var results = new List<LawResult>();

        var step = take(m, stepper, u, dt);
        int unconverged = step.Converged ? 0 : 1;
        // A step composed of DG substeps (the march) is judged substep by substep: each substep is a step of the scheme with
        // its own round-off, and the composition's rise is at most the sum of theirs. Judging the composition against one
        // step's allowance would charge n substeps' round-off to one (docs/benchmarks.md, "Time stepping", item 9).
        var segments = step.Path.IsEmpty ? [new Substep(u, dt, step.State, step.Dissipated ?? zeros(u.shape[0], u.dtype, u.device))] : step.Path;
        var energies = segments.Select(s => (From: m.Energy(s.From).data<double>().ToArray(), To: m.Energy(s.To).data<double>().ToArray(),
                                             Dissipated: s.Dissipated.data<double>().ToArray())).ToArray();
        int samples = (int)u.shape[0];
        string Where(int k) => segments.Length > 1 ? $" in substep {k + 1} of {segments.Length} (h = {segments[k].H:G3})" : "";
        // Per sample, the worst margin over the substeps and what it measured there.
        void Judge(Margins t, Func<int, int, (double Error, double Allowance)> measure, string what, bool signed = false)
        {
            for (int i = 0; i < samples; i++)
            {
                double worst = 0; string at = what;
                for (int k = 0; k < segments.Length; k++)
                {
                    var (error, allowance) = measure(k, i);
                    double margin = double.IsNaN(error) ? double.PositiveInfinity : signed ? Math.Max(error, 0) / allowance : Math.Abs(error) / allowance;
                    if (k == 0 || margin > worst) { worst = margin; at = string.Format(what, error) + Where(k); }
                }
                t.Add(worst, step.Converged, at);
            }
        }

        // The DG identity (only for the discrete gradient): round-off plus the solver's residual.
        if (step.Dissipated is not null)
        {
            var t = new Margins($"step-identity [{tag}]");
            Judge(t, (k, i) =>
            {
                var (e0, e1, d) = energies[k];
                double scale = Math.Abs(e0[i]) + Math.Abs(e1[i]) + Math.Abs(d[i]);
                return (e1[i] - e0[i] + d[i], RiseFactor * Eps * scale + 10 * tol * scale + 1e-300);
            }, "E(u+) - E(u) != -dt <dbarE, Mbar dbarE> (defect {0:G3})");
            results.Add(t.Result(unconverged));
        }
        {
            var t = new Margins($"step-no-energy-rise [{tag}]");
            Judge(t, (k, i) =>
            {
                var (e0, e1, d) = energies[k];
                double rise = double.IsFinite(e1[i]) ? e1[i] - e0[i] : double.PositiveInfinity;
                return (rise, RiseFactor * Eps * (Math.Abs(e0[i]) + Math.Abs(d[i])) + 1e-300);
            }, "E rose by {0:G3}", signed: true);
            results.Add(t.Result(unconverged));
        }
        if (model.Dissipation is null && step.Dissipated is not null)
        {
            var t = new Margins($"step-energy-conserved [{tag}]");
            Judge(t, (k, i) =>
            {
                var (e0, e1, _) = energies[k];
                double scale = Math.Abs(e0[i]) + Math.Abs(e1[i]);
                return (e1[i] - e0[i], RiseFactor * Eps * scale + 10 * tol * scale + 1e-300);
            }, "E changed by {0:G3} with M absent");
            results.Add(t.Result(unconverged));
        }
        if (Structure.ConservesMass(model))
        {
            // v - u = R - dt Kbar dbarE and the flow's mass is zero when M 1 = W 1 = 0, so a DG step moves mass by the mass of
            // its residual R: at most h sum |R| <= h sqrt(n) |R|, with |R| as computed plus its round-off (the floor the
            // solver measures, which at dt |K E''| ~ 1e12 is 1e-4 relative). A step accepted at that floor may move mass by
            // what its residual allows; an allowance in the energy tolerance alone did not scale with it.
            var t = new Margins($"step-mass-conserved [{tag}]");
            int fields = model.Fields;
            double perSample = Math.Sqrt(fields * model.Grid.Sites);
            var masses = segments.Select(s =>
            {
                double[]? bound = null;
                if (stepper is Stepper.DiscreteGradient dgm)
                {
                    var r = Steppers.DgResidual(m, dgm.Options, s.From, s.To, s.H);
                    var flow = (r - s.To).Plus(s.From);
                    double floor = Steppers.ResidualFloor(m, dgm.Options, s.From, s.To, s.H);
                    static Tensor Norms(Tensor x) => x.flatten(1).Squared().sum(1).sqrt();
                    var norms = Norms(r).Plus(Norms(s.From).Plus(Norms(s.To)).Plus(Norms(flow)).Times(10 * floor));
                    bound = norms.Times(perSample * model.Grid.CellVolume).data<double>().ToArray();
                }
                return (From: m.Mass(s.From).data<double>().ToArray(), To: m.Mass(s.To).data<double>().ToArray(),
                        Size: s.From.abs().max().item<double>() + s.To.abs().max().item<double>(), Residual: bound);
            }).ToArray();
            Judge(t, (k, i) =>
            {
                var (m0, m1, un, bound) = masses[k];
                // Mass is per sample and field: the worst field of sample i.
                double change = 0;
                for (int f = 0; f < fields; f++)
                    if (!(Math.Abs(m1[i * fields + f] - m0[i * fields + f]) <= Math.Abs(change))) change = m1[i * fields + f] - m0[i * fields + f];
                return (change, 1e4 * Eps * un * model.Grid.Volume + (bound?[i] ?? 0) + 1e-300);
            }, "mass changed by {0:G3}");
            results.Add(t.Result(unconverged));
        }
        if (model.Dissipation is null && model.Conservation is not null && stepper is Stepper.DiscreteGradient dgr && dgr.Options.Freeze is Freeze.Midpoint or Freeze.Reversible && step.Converged)
        {
            // Time reversal: stepping back with -dt equals stepping forward with K -> -K (dbarE is symmetric in its arguments,
            // Kbar is taken at the midpoint), so u solves the reversed step from u+ exactly when u+ solves the forward one: its
            // residual is the forward residual with the sign flipped, up to round-off. That is the scheme's symmetry, at any dt.
            // Whether a solver stepping back returns to u is another matter: only where the reversed equation has a unique
            // solution, which a non-convex E under a stiff W does not promise even at dt = 0.01 (docs/benchmarks.md). The
            // allowance is what the solver accepts a forward step at: StagnationFactor x max(state tolerance, round-off floor),
            // the floor measured at both ends (last-bit flips of u+ forward and of u backward).
            // A composed step reverses substep by substep (the composition of the reversed substeps in reverse order).
            var reversed = new Model(model.Grid, model.Fields, model.Energy, null, new Conservation.Scaled(-1.0, model.Conservation));
            using var mr = Dynamics.Compile(reversed);
            var t = new Margins($"step-reversible [{tag}]");
            foreach (var s in segments)
            {
                var flow = mr.Operator(s.From.Plus(s.To).Times(0.5), DiscreteGradient.Of(mr, s.To, s.From)).Times(s.H);
                double r = (s.From - s.To).Plus(flow).norm().item<double>();
                double size = s.From.norm().item<double>() + s.To.norm().item<double>() + flow.norm().item<double>();
                double floor = Math.Max(Steppers.ResidualFloor(mr, dgr.Options, s.To, s.From, s.H), Steppers.ResidualFloor(m, dgr.Options, s.From, s.To, s.H));
                t.Error(r, Steppers.StagnationFactor * Math.Max(dgr.Options.Tolerance, floor) * size + 1e4 * Eps * size, true,
                        segments.Length > 1 ? $"u does not solve the reversed step (substep h = {s.H:G3} of {segments.Length})" : "u does not solve the reversed step");
            }
            results.Add(t.Result(0));
        }
        return results.ToImmutableArray();
    }

    /// <summary>Second-order convergence of the DG scheme with Kbar at the midpoint: the error at T = 8 dt against a fine RK4
    /// reference falls by about 4 when dt halves. Returns the observed ratio.</summary>
    public static double ConvergenceRatio(Model model, double dt, int seed = 0)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        using var m = Dynamics.Compile(model);
        var u0 = RandomMembers.States(rng, model.Grid, model.Fields, 1, 0.5);
        var dg = new Stepper.DiscreteGradient(DgOptions.Default with { Freeze = Freeze.Midpoint, Tolerance = 1e-13, MaxIterations = 80 });
        Tensor Run(Stepper s, double h, int n)
        {
            var u = u0;
            for (int i = 0; i < n; i++) u = Steppers.Step(m, s, u, h, i).State;
            return u;
        }
        int steps = 8;
        var reference = Run(new Stepper.Rk4(), dt / 64, steps * 64);
        double e1 = (Run(dg, dt, steps) - reference).norm().item<double>();
        double e2 = (Run(dg, dt / 2, 2 * steps) - reference).norm().item<double>();
        return e1 / e2;
    }

    private sealed class Margins(string name)
    {
        private int checks, violations;
        private double worst;
        private string? first;

        public void Add(double margin, bool converged, string what)
        {
            checks++;
            if (double.IsNaN(margin)) margin = double.PositiveInfinity;
            // An unconverged step is counted apart (LawResult.Unconverged), not judged: its state is not the scheme's step, so
            // its margin says nothing about the law, and a law violation means one among converged steps only.
            if (!converged) return;
            worst = Math.Max(worst, margin);
            if (margin > 1) { violations++; first ??= $"{what} (margin {margin:G3})"; }
        }

        public void Error(double error, double tolerance, bool converged, string what) => Add(Math.Abs(error) / tolerance, converged, what);

        public LawResult Result(int unconverged) => new(name, checks, violations, worst, first, unconverged);
    }
}
