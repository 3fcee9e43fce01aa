using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>The outcome of one step: the new state, the nonlinear solver's work and final relative residual,
/// the substeps taken, and (for the discrete gradient) dt &lt;dbarE, Mbar dbarE&gt;_h per sample summed over substeps. A step taken
/// as a composition of DG substeps lists them in <see cref="Path"/> (empty for a single solve): the laws check each one.</summary>
public sealed record StepResult(Tensor State, int Iterations, double Residual, bool Converged, int Substeps, Tensor? Dissipated = null)
{
    /// <summary>The substeps taken.</summary>
    public ImmutableArray<Substep> Path { get; init; } = [];
    /// <summary>The step ended unconverged because its time budget (<see cref="DgOptions.MaxStepSeconds"/>) ran out.</summary>
    public bool OutOfTime { get; init; }
}

/// <summary>One DG substep of a composed step: from <paramref name="From"/>, of size <paramref name="H"/>, to <paramref name="To"/>,
/// dissipating <paramref name="Dissipated"/> = H &lt;dbarE, Mbar dbarE&gt;_h per sample. Each substep is a step of the scheme,
/// so the laws hold substep by substep (and the composition's rise is at most the sum of theirs).</summary>
public sealed record Substep(Tensor From, double H, Tensor To, Tensor Dissipated);

/// <summary>A discrete-gradient solve that did not converge even after splitting, or an explicit rollout that blew up
/// (<see cref="BlowUp"/>): an error, never a silent continue.</summary>
public sealed class StepFailedException : Exception
{
    /// <summary>The step that failed.</summary>
    public int Step { get; }
    /// <summary>The residual of the failed step.</summary>
    public double Residual { get; }

    /// <summary>A failed step, with its residual, iterations and time step.</summary>
    public StepFailedException(int step, double residual, int iterations, double dt, double? outOfTimeSeconds = null)
        : base(double.IsNaN(residual)
            ? $"Step {step}: the state became NaN or infinite (residual NaN, dt = {dt:G3})."
            : outOfTimeSeconds is double seconds
            ? $"Step {step}: the discrete-gradient solve did not converge within its time budget of {seconds:G3} s (relative residual {residual:G3} after {iterations} iterations, dt = {dt:G3}); a smaller dt converges faster."
            : $"Step {step}: the discrete-gradient solve did not converge (relative residual {residual:G3} after {iterations} iterations, dt = {dt:G3}, after continuation and splitting).")
    {
        Step = step;
        Residual = residual;
    }

    private StepFailedException(int step, string message) : base(message)
    {
        Step = step;
        Residual = double.NaN;
    }

    /// <summary>An explicit rollout that blew up at <paramref name="step"/> (<paramref name="what"/>: the energy's rise or the
    /// non-finite values); the message suggests the discrete-gradient scheme, whose energy never rises.</summary>
    public static StepFailedException BlowUp(int step, Stepper stepper, double dt, string what) =>
        new(step, $"Step {step}: the explicit {stepper.Name} rollout blew up at dt = {dt:G3}: {what}. " +
                  "Use --scheme dg (the discrete-gradient step, whose energy never rises at any dt) or a smaller dt.");
}

/// <summary>Time steppers applied to compiled members. Pure functions of (member, state, dt).</summary>
public static class Steppers
{
    /// <summary>One rollout step of size dt from u (batch, field, x[, y]) by <paramref name="s"/> (<see cref="Stepper.Step"/>, without a
    /// graph). <paramref name="stepIndex"/> only labels errors. The explicit schemes step any vector field; sbdf1 and dg need
    /// a member of the class.</summary>
    public static StepResult Step(ICompiledVectorField f, Stepper s, Tensor u, double dt, int stepIndex = 0)
    {
        CheckStepSize(dt);
        using var noGrad = no_grad();
        return s.Step(f, u, dt, stepIndex);
    }

    /// <summary>Like <see cref="Step"/> but returns an unconverged discrete-gradient step instead of throwing (the laws count these).</summary>
    public static StepResult TryStep(ICompiledVectorField f, Stepper s, Tensor u, double dt)
    {
        CheckStepSize(dt);
        using var noGrad = no_grad();
        return s.TryStep(f, u, dt);
    }

    private static void CheckStepSize(double dt)
    {
        if (!(dt > 0) || !double.IsFinite(dt)) throw new ArgumentException($"The step size must be positive and finite, got {dt}.");
    }

    private static Tensor Broadcast(Tensor perSample, Tensor like) =>
        perSample.reshape(new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)like.dim() - 1)).ToArray());

    // ---------------------------------------------------------------- linear solves (sbdf1, the DG Picard update)

    /// <summary>Solves (I + c K(state) L) x = b; spectral when K and L are multipliers, else GMRES.</summary>
    internal static Gmres.Result SolveLinear(CompiledModel m, Tensor state, Tensor b, double c, Tensor guess, double tol)
    {
        var k = m.OperatorSymbol();
        var l = m.LinearSymbol();
        if (k is not null && l is not null)
        {
            var p = (k.Times(c) * l).Plus(1);
            return new Gmres.Result(ApplySymbolInverse(m.Grid, b, p), 0, 0, true);
        }
        return Gmres.Solve(x => x.Plus(m.Operator(state, m.LinearPart(x)).Times(c)), b, guess, tol, restart: 40, maxIterations: 160,
                           precondition: Preconditioner(m, c));
    }

    private static Func<Tensor, Tensor>? Preconditioner(CompiledModel m, double c)
    {
        var k = m.OperatorSymbol();
        var l = m.LinearSymbol();
        if (k is null || l is null) return null;
        var p = (k.Times(c) * l).Plus(1);
        return z => ApplySymbolInverse(m.Grid, z, p);
    }

    /// <summary>x with p x = b for a Fourier symbol p (rfft layout): one forward and one inverse FFT.</summary>
    internal static Tensor ApplySymbolInverse(Grid g, Tensor b, Tensor p) =>
        Spectral.Inverse(Spectral.Forward(b, g) / Spectral.Shaped(p, g), g);

    // ---------------------------------------------------------------- discrete gradient

    /// <summary>
    /// The discrete-gradient step of size dt: one solve; where it fails, natural continuation in the step size; where the
    /// solution branch folds before dt, the step is taken as a composition of DG substeps (each one still dissipates, so
    /// the composition does): the largest step continuation reached is accepted as a substep and the rest of the interval
    /// starts again from its end, at most <see cref="DgOptions.MaxSubsteps"/> substeps. Stiff transients need small
    /// steps only at first; from states near equilibrium the remaining interval is usually one solve.
    /// </summary>
    internal static StepResult DgMarch(CompiledModel m, DgOptions o, Tensor u, double dt)
    {
        using var scope = NewDisposeScope();
        // The Fourier symbols of K and L, once per step: every solve of the march and its continuation uses them.
        var fourier = FourierSymbols.Of(m);
        // The time budget as a deadline on the Stopwatch clock, checked between iterations and between solves.
        long deadline = o.MaxStepSeconds is double seconds ? System.Diagnostics.Stopwatch.GetTimestamp() + (long)Math.Min(seconds * System.Diagnostics.Stopwatch.Frequency, long.MaxValue / 4) : long.MaxValue;
        var first = DgSolve(m, o, fourier, u, dt, deadline: deadline);
        if (first.Converged) return Keep(first);
        int iterations = first.Iterations, substeps = 0;
        double done = 0;
        var state = u;
        var path = ImmutableArray.CreateBuilder<Substep>();
        double start = dt / 2;                                                   // the whole interval failed already
        while (done < dt)
        {
            double remaining = dt - done;
            if (Past(deadline)) return Result(false, first.Residual, Math.Max(substeps, 1), outOfTime: true);
            var (reached, h, work) = DgContinuation(m, o, fourier, state, remaining, Math.Min(start, remaining), o.MaxStepIterations - iterations, deadline);
            iterations += work;
            start = 2 * h;                                                       // step-size control: try twice the last substep next
            if (reached is null || substeps + 1 > o.MaxSubsteps)
                return Result(false, reached?.Residual ?? first.Residual, Math.Max(substeps, 1), outOfTime: Past(deadline));
            path.Add(new Substep(state, Math.Min(h, remaining), reached.State, reached.Dissipated!));
            state = reached.State;
            substeps++;
            done = h >= remaining ? dt : done + h;
            // The work budget: a member that needs more than this is declared failed now rather than after hours.
            if (done < dt && iterations >= o.MaxStepIterations) return Result(false, first.Residual, substeps);
        }
        return Result(true, 0, substeps);

        // The result's tensors (the path's states included) outlive this scope, each moved out once; u stays where it was.
        StepResult Result(bool converged, double residual, int count, bool outOfTime = false)
        {
            o.Trace?.Invoke(FormattableString.Invariant($"march dt {dt:G3}: {count} substeps, {iterations} iterations, converged {converged}"));
            var moved = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { u };
            Tensor Out(Tensor t) => moved.Add(t) ? t.MoveToOuterDisposeScope() : t;
            // The step dissipates what its substeps did, summed in order.
            var dissipated = path.Aggregate(zeros(u.shape[0], u.dtype, u.device), (sum, s) => sum.Plus(s.Dissipated));
            var steps = path.Select(s => new Substep(Out(s.From), s.H, Out(s.To), Out(s.Dissipated))).ToImmutableArray();
            return new StepResult(Out(state), iterations, residual, converged, count, Out(dissipated)) { Path = steps, OutOfTime = outOfTime };
        }
    }

    /// <summary>How far below its first try natural-parameter continuation looks for a step size it can solve: start / 1e15.
    /// Non-convex energies under stiff operators are uniquely solvable only below dt ~ 1 / |K G''|, which can lie many
    /// orders of magnitude under the step asked for (docs/benchmarks.md, "Time stepping", item 8).</summary>
    public const double ContinuationRange = 1e15;

    /// <summary>
    /// Natural-parameter continuation in the step size: solve the one-step equation R_h(v) = 0 from u at h = start, else at
    /// start / 2, then a quarter of the last try each time (a failed solve costs as much as a good one, so the search
    /// descends fast) for the largest h that converges, then grow h (x2, else x1.25) towards dt from the secant
    /// extrapolation of the last two solutions (or the last solution) as the initial guess. Returns the solution at the
    /// largest h reached (dt itself unless the solution branch folds on the way) and that h; null when nothing down to
    /// start / <see cref="ContinuationRange"/> converged. Stops trying new step sizes once <paramref name="budget"/> nonlinear
    /// iterations are spent (one solve may overshoot it by at most <see cref="DgOptions.MaxIterations"/>).
    /// </summary>
    private static (StepResult? Reached, double H, int Iterations) DgContinuation(CompiledModel m, DgOptions o, FourierSymbols? fourier, Tensor u, double dt, double start, int budget,
                                                                                  long deadline)
    {
        using var scope = NewDisposeScope();
        int iterations = 0;
        StepResult? at = null;
        double h = start;
        for (int j = 1; h >= start / ContinuationRange && iterations < budget && !Past(deadline); j++)
        {
            var r = DgSolve(m, o, fourier, u, h, deadline: deadline);
            iterations += r.Iterations;
            if (r.Converged) { at = r; break; }
            h /= j == 1 ? 2 : 4;
        }
        if (at is null) return (null, 0, iterations);
        // Guesses for the next h: the secant through the last two solutions (linear in h; from u at h = 0 the first time),
        // then the last solution itself (right where the solution saturates in h, as a gradient flow nears equilibrium).
        var before = u; double hBefore = 0;
        while (h < dt && iterations < budget && !Past(deadline))
        {
            StepResult? next = null;
            foreach (var (factor, secant) in new[] { (2.0, true), (2.0, false), (1.25, false) })
            {
                double target = Math.Min(dt, h * factor);
                var guess = secant ? at.State.Plus((at.State - before).Times((target - h) / (h - hBefore))) : at.State;
                var r = DgSolve(m, o, fourier, u, target, guess, deadline);
                iterations += r.Iterations;
                if (r.Converged) { next = r; hBefore = h; h = target; break; }
            }
            if (next is null) break;                                              // a fold: the caller takes h as a substep
            before = at.State;
            at = next;
        }
        return (Keep(at), h, iterations);
    }

    /// <summary>A solve's result, moved out of the current dispose scope to the caller's.</summary>
    private static StepResult Keep(StepResult r) => r with { State = r.State.MoveToOuterDisposeScope(), Dissipated = r.Dissipated!.MoveToOuterDisposeScope() };

    /// <summary>Where Kbar is evaluated: u, or the midpoint (u + v)/2; <see cref="Freeze.Reversible"/> takes the midpoint only
    /// when M is absent, the one case where it buys something (time reversibility).</summary>
    private static Tensor FrozenAt(CompiledModel m, DgOptions o, Tensor u, Tensor v) =>
        o.Freeze == Freeze.Start || (o.Freeze == Freeze.Reversible && m.HasDissipation) ? u : u.Plus(v).Times(0.5);

    private static Tensor Kbar(CompiledModel m, DgOptions o, Tensor u, Tensor v, Tensor g) =>
        m.Operator(FrozenAt(m, o, u, v), g);

    private static Tensor Residual(CompiledModel m, DgOptions o, Tensor u, Tensor v, double dt) =>
        (v - u).Plus(Kbar(m, o, u, v, DiscreteGradient.Of(m, u, v)).Times(dt));

    /// <summary>The residual against a start whose u-only parts are evaluated once (<see cref="DiscreteGradient.Start"/>).</summary>
    private static Tensor Residual(CompiledModel m, DgOptions o, DiscreteGradient.Start s, Tensor v, double dt) =>
        (v - s.U).Plus(Kbar(m, o, s.U, v, DiscreteGradient.Of(m, s, v)).Times(dt));

    /// <summary>How far the current iterate is from solving the step, in the two norms that matter.</summary>
    /// <param name="State">|R| over the size of its terms |u| + |v| + dt |Kbar dbarE| (so stiff members are judged fairly).</param>
    /// <param name="Energy">The energy defect, worst over the batch: E(v) - E(u) + dt &lt;dbarE, Mbar dbarE&gt;_h (= &lt;dbarE, R&gt;_h
    /// in exact arithmetic: the discrete-gradient identity holds for every v), over |E(u)| + |E(v)| + dt &lt;dbarE, Mbar dbarE&gt;_h.
    /// This is the norm of the laws' allowance c eps (|E| + dt &lt;dbarE, Mbar dbarE&gt;_h): a state residual of 1e-14 can
    /// still be far from that (|dbarE| |R| against |E|) or far below it, at extreme parameter scales either way.</param>
    /// <param name="Residual">|R| itself: what progress is judged by (the relative <paramref name="State"/> stays near 1 while
    /// v is far out, where dt |Kbar dbarE| and |R| are the same size, though every Newton step divides |R| by 3).</param>
    private readonly record struct Distance(double State, double Energy, double Residual)
    {
        public bool Finite => double.IsFinite(State) && double.IsFinite(Energy);
    }

    /// <summary>dbarE(u, v), and for multiplier members (<see cref="FourierSymbols"/>) also its non-quadratic part dbarE_N.</summary>
    private sealed record Gradients(Tensor Full, Tensor? Nonlinear);

    /// <summary>K and L in Fourier space (shaped to multiply a real FFT) when both are multipliers of a one-field member: the
    /// step is then solved mode by mode, with no cancellation between modes of very different |dt K L|.</summary>
    private sealed record FourierSymbols(Tensor K, Tensor L)
    {
        public static FourierSymbols? Of(CompiledModel m) =>
            m.OperatorSymbol() is { } k && m.LinearSymbol() is { } l ? new(Spectral.Shaped(k, m.Grid), Spectral.Shaped(l, m.Grid)) : null;
    }

    /// <summary>The distance of v from solving the step, and dbarE(u, v) (moved to the caller's scope: the next Picard update
    /// and the dissipated energy reuse it instead of evaluating the energy twice more). For multiplier members R is formed
    /// in Fourier space: R^ = v^ - u^ + dt K (L (u^ + v^)/2 + dbarE_N^).</summary>
    private static (Distance Distance, Gradients Dbar, Tensor PerSample) Measure(CompiledModel m, DgOptions o, DiscreteGradient.Start s, Tensor v, double dt, FourierSymbols? f)
    {
        using var scope = NewDisposeScope();
        var u = s.U;
        Tensor dbar, flow, r;
        Tensor? nonlinear = null;
        if (f is null)
        {
            dbar = DiscreteGradient.Of(m, s, v);
            flow = Kbar(m, o, u, v, dbar).Times(dt);
            r = (v - u).Plus(flow);
        }
        else
        {
            var g = m.Grid;
            nonlinear = DiscreteGradient.Nonlinear(m, s, v);
            var uh = Spectral.Forward(u, g); var vh = Spectral.Forward(v, g);
            var gh = (f.L.Times(0.5) * uh.Plus(vh)).Plus(Spectral.Forward(nonlinear, g));
            var fh = f.K.Times(dt) * gh;
            dbar = Spectral.Inverse(gh, g);
            flow = Spectral.Inverse(fh, g);
            r = Spectral.Inverse((vh - uh).Plus(fh), g);
        }
        Gradients Out() => new(dbar.MoveToOuterDisposeScope(), nonlinear?.MoveToOuterDisposeScope());
        // |R|^2 per sample: what the predictor's safeguard compares.
        var perSample = r.flatten(1).Squared().sum(1).MoveToOuterDisposeScope();
        double residual = Norm(r), state = residual / (Norm(u) + Norm(v) + Norm(flow) + 1e-300);
        if (o.EnergyTolerance is null) return (new Distance(state, 0, residual), Out(), perSample);
        // The defect as the laws compute it, E(v) - E(u) + dt <dbarE, Mbar dbarE>_h, rounded at eps (|E| + dissipated).
        // <dbarE, R>_h equals it in exact arithmetic but carries eps |dbarE| dt |Kbar dbarE|, which on stiff Hamiltonian
        // members hides an exact step under round-off (docs/benchmarks.md, "Time stepping", item 2).
        var e0 = m.Energy(u); var e1 = m.Energy(v);
        var dissipated = m.Inner(dbar, m.Dissipation(FrozenAt(m, o, u, v), dbar)).Times(dt);
        var defect = (e1 - e0).Plus(dissipated).abs();
        var size = e0.abs().Plus(e1.abs()).Plus(dissipated.abs()).Plus(1e-300);
        return (new Distance(state, (defect / size).max().item<double>(), residual), Out(), perSample);
    }

    private static bool Within(DgOptions o, Distance d, double factor = 1) =>
        d.Finite && d.State <= factor * o.Tolerance && (o.EnergyTolerance is not double e || d.Energy <= factor * e);

    /// <summary>How far above the tolerance a stagnated solve may end and still count as converged (round-off floor).</summary>
    public const double StagnationFactor = 100;

    /// <summary>Members up to this many unknowns per sample get Newton with a dense finite-difference Jacobian (its batched
    /// evaluation holds batch x n states of n unknowns, so above this it costs more than GMRES and gigabytes of memory).</summary>
    public const int DenseNewtonLimit = 512;

    /// <summary>The dense Jacobian costs batch x unknowns residual evaluations per Newton iteration: above this GMRES is cheaper.</summary>
    public const int DenseEvaluationLimit = 1024;

    /// <summary>A solve that has not halved its distance in this many iterations is not going to converge at this dt: it
    /// stops, and the step is split, rather than burning the remaining iterations.</summary>
    public const int PatienceIterations = 10;

    private static double Norm(Tensor t) => t.norm().item<double>();

    /// <summary>Whether a step's deadline (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) has passed.</summary>
    private static bool Past(long deadline) => deadline != long.MaxValue && System.Diagnostics.Stopwatch.GetTimestamp() > deadline;

    private static StepResult DgSolve(CompiledModel m, DgOptions o, FourierSymbols? fourier, Tensor u, double dt, Tensor? guess = null, long deadline = long.MaxValue)
    {
        using var scope = NewDisposeScope();
        // What every residual of this solve needs from u alone, evaluated once.
        var start = DiscreteGradient.At(m, u);
        // Predictor: the given guess, else the linearly implicit step with dbarE_N frozen at u (u itself if its linear solve fails).
        // dbarE(u, u) = dE(u): the predictor needs one gradient evaluation, as explicit Euler does.
        Tensor v;
        Distance d;
        Gradients dbarV;
        if (guess is not null) { v = guess.clone(); (d, dbarV, _) = Measure(m, o, start, v, dt, fourier); }
        else
        {
            // One energy evaluation feeds both the predictor and the safeguard: dbarE_N(u, u) for the Fourier predictor
            // (dE = dbarE_N + L u for the safeguard's comparison), dE itself otherwise.
            var nonlinear = fourier is null ? null : DiscreteGradient.Nonlinear(m, start, u);
            var dE = nonlinear is null ? m.VariationalDerivative(u) : nonlinear.Plus(m.LinearPart(u));
            (v, d, dbarV) = PicardUpdate(m, o, start, u, dt, fourier, new Gradients(dE, nonlinear)) is { } predicted
                ? Safeguard(m, o, start, predicted, dt, dE, fourier)
                : Measured(u.clone());
        }
        (Tensor, Distance, Gradients) Measured(Tensor at) { var (dm, gm, _) = Measure(m, o, start, at, dt, fourier); return (at, dm, gm); }
        int it = 1;
        int unknowns = m.Fields * m.Grid.Sites;
        bool dense = unknowns <= DenseNewtonLimit && u.shape[0] * unknowns <= DenseEvaluationLimit;
        bool stagnated = false;
        double best = d.Residual;
        int sinceBest = 0;
        // Picard first: where P = I + dt/2 Kbar L is diagonal in Fourier space one FFT pair per iteration, else one GMRES
        // solve (exact in one iteration when E is quadratic and Kbar = K(u), as for Burgers in coercive form); the cheap
        // path at moderate dt. The first iteration that does not halve |R| hands over to Newton (and is dropped if it raised |R|).
        bool picard = true, atFloor = false;
        // The Picard solver on multiplier members iterates a contraction: Anderson acceleration cuts its iterations.
        var anderson = o.Solver == NonlinearSolver.Picard && fourier is not null && o.AndersonDepth > 0 ? Anderson.Start(o.AndersonDepth) : null;
        double previous = best, floor = 0;
        // Accepts v when |R| is within StagnationFactor of max(tolerance, round-off floor) and the energy defect meets its
        // tolerance (see below): no float64 v does better.
        bool AtFloor()
        {
            floor = RoundOffFloor(m, o, start, v, dt);
            atFloor = d.Finite && d.State <= StagnationFactor * Math.Max(o.Tolerance, floor) && (o.EnergyTolerance is not double et || d.Energy <= et);
            return atFloor;
        }
        for (; it < o.MaxIterations && !Within(o, d) && d.Finite && !Past(deadline); it++)
        {
            Tensor? next;
            // Each iteration's temporaries die with it: a rollout or a law run makes thousands of iterations.
            using (var inner = NewDisposeScope())
            {
                next = picard ? PicardUpdate(m, o, start, v, dt, fourier, dbarV)
                     : dense ? NewtonDenseUpdate(m, o, u, v, dt)
                     : NewtonUpdate(m, o, start, v, dt, Norm(Residual(m, o, start, v, dt)));
                next?.MoveToOuterDisposeScope();
                if (anderson is not null && next is not null)
                {
                    var (mixed, after) = anderson.Mix(v, next);
                    anderson = after;
                    if (!ReferenceEquals(mixed, next)) next = mixed.MoveToOuterDisposeScope();
                }
            }
            if (next is null)
            {
                if (picard && o.Solver == NonlinearSolver.Newton) { picard = false; continue; }
                stagnated = true; break;
            }
            var (dn, dbarN, _) = Measure(m, o, start, next, dt, fourier);
            double now = dn.Residual;
            bool halved = now < 0.5 * previous;
            if (picard && o.Solver == NonlinearSolver.Newton && !halved) picard = false;
            if (anderson is not null && now >= previous) anderson = anderson.Restart();
            if (now < previous || o.Solver == NonlinearSolver.Picard) (v, d, dbarV, previous) = (next, dn, dbarN, now);
            // An iteration that no longer halves |R| may be at the round-off floor already: then stop here, before Newton
            // steps that only reshuffle round-off (they raised the energy defect of an exact Cayley step from 1e-16 to 1e-6).
            if (!halved && AtFloor()) break;
            if (now < 0.5 * best) { best = now; sinceBest = 0; }
            else if (++sinceBest >= PatienceIterations) { stagnated = true; break; }
        }
        // A tolerance below the round-off floor cannot be met. The floor of |R| is what flipping the last bits of v does
        // to R: eps times the condition of I + dt Kbar d(dbarE)/dv, plus the cancellation inside dbarE, which at dt = 1e3
        // with parameter scales 1e6 reaches 1e-3 relative (the energy defect then still sits at 1e-17). A solve whose
        // iteration can no longer reduce |R| counts as converged when |R| is within StagnationFactor of
        // max(tolerance, that floor) and the energy defect meets the energy tolerance: no float64 v does better.
        if (stagnated && !atFloor && !Within(o, d) && d.Finite) AtFloor();
        o.Trace?.Invoke(FormattableString.Invariant($"solve dt {dt:G3}: {it} iterations, stagnated {stagnated}, at floor {atFloor}, state {d.State:G3}, floor {floor:G3}, energy {d.Energy:G3}, picard {picard}, dense {dense}, guess {guess is not null}"));
        bool ok = Within(o, d) || atFloor;
        var mid = FrozenAt(m, o, u, v);
        var dissipated = m.Inner(dbarV.Full, m.Dissipation(mid, dbarV.Full)).Times(dt);
        return new StepResult(v.MoveToOuterDisposeScope(), it, d.State, ok, 1, dissipated.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The predictor per sample, or u where u is closer to solving the step (|R(u)| = dt |Kbar dE(u)| is smaller), measured.
    /// With dE_N explicit the predictor can be absurd: a quartic energy under a mobility of 1e6 at dt = 1e-4 sent it to
    /// |v| = 1e13, where Newton on a cubic crawls and its finite-difference Jacobian is noise. The predictor's measure is
    /// the solve's first (no second evaluation of dbarE) unless some sample falls back to u.
    /// </summary>
    private static (Tensor V, Distance D, Gradients Dbar) Safeguard(CompiledModel m, DgOptions o, DiscreteGradient.Start s, Tensor predicted, double dt, Tensor dE,
                                                                   FourierSymbols? fourier)
    {
        var u = s.U;
        var (d, dbar, atPredicted) = Measure(m, o, s, predicted, dt, fourier);
        // Per sample: each sample's squared norm.
        var atU = Kbar(m, o, u, u, dE).Times(dt).flatten(1).Squared().sum(1);
        var worse = (atPredicted.isfinite().logical_not() | (atPredicted > atU));
        if (!worse.any().item<bool>()) return (predicted, d, dbar);
        var v = where(Broadcast(worse, u), u, predicted);
        var (dv, dbarV, _) = Measure(m, o, s, v, dt, fourier);
        return (v, dv, dbarV);
    }

    /// <summary>|R(v + eta) - R(v)| for eta a last-bit perturbation of v (4 eps |v_i|, random signs), relative like
    /// <see cref="Distance.State"/>: the resolution at which float64 can tell candidate solutions apart.</summary>
    private static double RoundOffFloor(CompiledModel m, DgOptions o, Tensor u, Tensor v, double dt) =>
        RoundOffFloor(m, o, DiscreteGradient.At(m, u), v, dt);

    private static double RoundOffFloor(CompiledModel m, DgOptions o, DiscreteGradient.Start s, Tensor v, double dt)
    {
        var u = s.U;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var gen = new TorchSharp.torch.Generator(12345);
        var signs = randint(0, 2, v.shape, dtype: v.dtype, device: v.device, generator: gen).Times(2).Minus(1);
        var eta = v.abs().Times(4 * 2.220446049250313e-16) * signs;
        var r0 = Residual(m, o, s, v, dt);
        var r1 = Residual(m, o, s, v.Plus(eta), dt);
        var flow = (r0 - v).Plus(u);
        return Norm(r1 - r0) / (Norm(u) + Norm(v) + Norm(flow) + 1e-300);
    }

    /// <summary>The round-off floor of the DG residual R(v) = v - u + dt Kbar dbarE(u, v), relative to |u| + |v| + dt |Kbar dbarE|
    /// (what the solver accepts a stagnated solve against).</summary>
    public static double ResidualFloor(CompiledModel m, DgOptions o, Tensor u, Tensor v, double dt) => RoundOffFloor(m, o, u, v, dt);

    /// <summary>The DG residual R(v) = v - u + dt Kbar dbarE(u, v) in real space, Kbar frozen where <paramref name="o"/> says
    /// (what the solver drives to zero; the laws bound what its rest can do to mass).</summary>
    public static Tensor DgResidual(CompiledModel m, DgOptions o, Tensor u, Tensor v, double dt) => Residual(m, o, u, v, dt);

    /// <summary>P v+ = u - dt Kbar (L u/2 + dbarE_N(u, v)), P = I + dt/2 Kbar L; for multiplier members mode by mode:
    /// v+^ = ((1 - dt/2 K L) u^ - dt K dbarE_N^) / (1 + dt/2 K L) (the exact Cayley step when E is quadratic).</summary>
    private static Tensor? PicardUpdate(CompiledModel m, DgOptions o, DiscreteGradient.Start s, Tensor v, double dt, FourierSymbols? f, Gradients? known = null)
    {
        var u = s.U;
        if (f is not null)
        {
            var g = m.Grid;
            var nonlinear = known?.Nonlinear ?? DiscreteGradient.Nonlinear(m, s, v);
            var half = f.K.Times(0.5 * dt) * f.L;
            return Spectral.Inverse((half.SubtractedFrom(1) * Spectral.Forward(u, g) - f.K.Times(dt) * Spectral.Forward(nonlinear, g)) / half.Plus(1), g);
        }
        var dbar = known?.Full ?? DiscreteGradient.Of(m, s, v);
        // L u/2 + dbarE_N = dbarE - L v/2 (dbarE_N = dbarE - L (u + v)/2)
        var state = FrozenAt(m, o, u, v);
        var b = u - m.Operator(state, dbar - m.LinearPart(v).Times(0.5)).Times(dt);
        var solved = SolveLinear(m, state, b, dt / 2, v, Math.Min(1e-3, o.Tolerance * 1e-2));
        return solved.Converged || solved.RelativeResidual < 1e-6 ? solved.X : null;
    }

    /// <summary>
    /// One Newton step on R(v) with the dense Jacobian by central differences (all columns in one batched evaluation),
    /// a direct solve per sample, and backtracking on |R|.
    /// </summary>
    private static Tensor? NewtonDenseUpdate(CompiledModel m, DgOptions o, Tensor u, Tensor v, double dt)
    {
        long b = u.shape[0];
        int n = m.Fields * m.Grid.Sites;
        var shape = u.shape;
        var r = Residual(m, o, u, v, dt);
        var (jac, h) = DenseJacobian(m, o, u, v, dt);
        Tensor delta;
        try { delta = linalg.solve(jac, -r.reshape(b, n, 1)).reshape(shape); }
        // A Jacobian that is singular in float64 (I + dt Kbar H with |dt Kbar H| ~ 1e20 and Kbar only semi-definite) still
        // has a least-squares Newton direction: the pseudo-inverse's.
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            o.Trace?.Invoke("dense: singular, pinv");
            delta = linalg.pinv(jac, rtol: 1e-15).matmul(-r.reshape(b, n, 1)).reshape(shape);
        }
        if (!delta.isfinite().all().item<bool>()) { o.Trace?.Invoke("dense: delta not finite"); return null; }
        double r0 = Norm(r), step = 1;
        o.Trace?.Invoke($"dense: |r| {r0:G3} |v| {Norm(v):G3} |delta| {Norm(delta):G3} lin {Norm(jac.matmul(delta.reshape(b, n, 1)).Plus(r.reshape(b, n, 1))):G3} h {h.max().item<double>():G3}");
        for (int k = 0; k < 20; k++, step /= 2)
        {
            var cand = v.Plus(delta.Times(step));
            double rn = Norm(Residual(m, o, u, cand, dt));
            if (double.IsFinite(rn) && rn < r0) return cand;
            if (k < 3) o.Trace?.Invoke($"dense: step {step:G3} |R| {rn:G3}");
        }
        return null;
    }

    /// <summary>dR/dv (batch, n, n), [b, i, j] = dR_i/dv_j, by central differences with all columns in one batched evaluation,
    /// and the difference step used per sample (batch, 1, 1).</summary>
    private static (Tensor Jacobian, Tensor Step) DenseJacobian(CompiledModel m, DgOptions o, Tensor u, Tensor v, double dt)
    {
        long b = u.shape[0];
        int n = m.Fields * m.Grid.Sites;
        var shape = u.shape;
        var flatV = v.reshape(b, 1, n);
        var scale = flatV.abs().amax([2L], keepdim: true).AtLeast(1e-12).Plus(u.reshape(b, 1, n).abs().amax([2L], keepdim: true));
        var h = scale.Times(1e-5);                                                     // (b, 1, 1)
        var basis = eye(n, dtype: v.dtype, device: v.device).unsqueeze(0);      // (1, n, n): row j = e_j
        var plus = flatV.Plus(h * basis).reshape(new long[] { b * n }.Concat(shape.Skip(1)).ToArray());
        var minus = (flatV - h * basis).reshape(new long[] { b * n }.Concat(shape.Skip(1)).ToArray());
        var uu = u.reshape(b, 1, n).expand(b, n, n).reshape(new long[] { b * n }.Concat(shape.Skip(1)).ToArray());
        var columns = (Residual(m, o, uu, plus, dt) - Residual(m, o, uu, minus, dt)).reshape(b, n, n) / h.Times(2);   // [b, j, i] = dR_i/dv_j
        return (columns.transpose(1, 2), h);
    }

    /// <summary>One Newton step on R(v) with Jacobian-vector products by finite differences, GMRES, and backtracking.</summary>
    private static Tensor? NewtonUpdate(CompiledModel m, DgOptions o, DiscreteGradient.Start s, Tensor v, double dt, double residualNorm)
    {
        var u = s.U;
        var r = Residual(m, o, s, v, dt);
        double vn = Norm(v) + Norm(u) + 1e-300;
        // Each product's temporaries die with it: GMRES makes up to 120 of them per Newton step, too many to keep to the
        // end of the step (docs/benchmarks.md, "Figures behind the solver's defaults").
        Tensor J(Tensor w)
        {
            using var scope = NewDisposeScope();
            double wn = Norm(w);
            if (wn == 0) return zeros_like(w).MoveToOuterDisposeScope();
            double eps = 1e-7 * vn / wn;
            return (Residual(m, o, s, v.Plus(w.Times(eps)), dt) - r).Over(eps).MoveToOuterDisposeScope();
        }
        var solved = Gmres.Solve(J, -r, null, 1e-4, restart: 30, maxIterations: 120, precondition: Preconditioner(m, dt / 2));
        var delta = solved.X;
        double step = 1;
        for (int k = 0; k < 12; k++, step /= 2)
        {
            var cand = v.Plus(delta.Times(step));
            double rn = Norm(Residual(m, o, s, cand, dt));
            if (double.IsFinite(rn) && rn < residualNorm) return cand;
        }
        return null;
    }
}
