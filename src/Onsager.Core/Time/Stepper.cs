using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>Where the discrete-gradient step evaluates its operator Kbar.</summary>
public enum Freeze
{
    /// <summary>Kbar = K(u^n): linear in the unknown (the default; cheapest).</summary>
    Start,
    /// <summary>Kbar = K((u^n + u^{n+1})/2): symmetric in time, so the step is reversible when M is absent.</summary>
    Midpoint,
    /// <summary>Midpoint when M is absent (reversible), K(u^n) otherwise. With M present reversibility is not a property
    /// to keep, and a state-dependent K((u + v)/2) makes the implicit equation far harder to solve on stiff members
    /// (docs/benchmarks.md, "Figures behind the solver's defaults").</summary>
    Reversible,
}

/// <summary>How the implicit equation of the discrete-gradient step is solved.</summary>
public enum NonlinearSolver
{
    /// <summary>Linearly implicit Picard: P v_{j+1} = u - dt Kbar (L u/2 + dbarE_N(u, v_j)), P = I + dt/2 Kbar L.</summary>
    Picard,
    /// <summary>Newton on R(v) = v - u + dt Kbar dbarE(u, v), Jacobian-free (GMRES), preconditioned by P where P is diagonal in Fourier space.</summary>
    Newton,
}

/// <summary>Options of the discrete-gradient step. <see cref="Tolerance"/> bounds the relative state residual
/// |R| / (|u| + |v| + dt |Kbar dbarE|); <see cref="EnergyTolerance"/>, when set, also bounds the energy defect
/// |E(v) - E(u) + dt &lt;dbarE, Kbar dbarE&gt;_h| / (|E(u)| + |E(v)| + dt |&lt;dbarE, Kbar dbarE&gt;_h|), the norm in which the
/// discrete laws are judged. A step that does not reach them within <see cref="MaxIterations"/> (or stops making progress)
/// is continued in the step size, and where that folds, taken as a composition of DG substeps (which still dissipates),
/// at most <see cref="MaxSubsteps"/> of them and at most <see cref="MaxStepIterations"/> nonlinear iterations over the whole
/// step; then it fails with an error. The budget is counted in iterations, not seconds, so whether a step fails does not
/// depend on the machine or its load.</summary>
public sealed record DgOptions(NonlinearSolver Solver = NonlinearSolver.Newton, double Tolerance = 1e-10, int MaxIterations = 40,
                               Freeze Freeze = Freeze.Start, int MaxSubsteps = 64, double? EnergyTolerance = null,
                               int MaxStepIterations = DgOptions.DefaultStepIterations)
{
    /// <summary>The default work budget of one step, over every solve of its continuation and march (the laws use it too).
    /// Set above what the slowest converging marches at dt = 1e3 need, so that it bounds only the cost of hopeless steps
    /// (docs/benchmarks.md, "Time stepping", item 10).</summary>
    public const int DefaultStepIterations = 10_000;

    /// <summary>The default time budget of one step (seconds; see <see cref="MaxStepSeconds"/>): far above any step that
    /// converges (docs/reliability.md), so only a member that would otherwise grind on for many minutes meets it.</summary>
    public const double DefaultStepSeconds = 300;

    /// <summary>A wall-clock budget of one step over every solve of its continuation and march, besides the deterministic
    /// <see cref="MaxStepIterations"/>: a step still unsolved when it runs out ends unconverged (flagged
    /// <see cref="StepResult.OutOfTime"/>). Null: no time limit. Positive and finite when set.</summary>
    public double? MaxStepSeconds
    {
        get;
        init => field = value is null || (value > 0 && double.IsFinite(value.Value)) ? value
            : throw new ArgumentException($"A DG step's time budget must be positive and finite seconds, got {value}.");
    } = DefaultStepSeconds;

    /// <summary>How many past iterates Anderson acceleration mixes into each iteration of the <see cref="NonlinearSolver.Picard"/>
    /// solver on members whose K and L are Fourier multipliers (docs/theory.md, 8.3); 0: plain Picard. Default 3. The
    /// converged step is the same either way (same fixed point, same stopping rule); the mixing cuts the iterations.</summary>
    public int AndersonDepth
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentException($"A DG step's Anderson depth must be 0 (off) or positive, got {value}.");
    } = Anderson.DefaultDepth;

    /// <summary>The default options.</summary>
    public static DgOptions Default { get; } = new();

    /// <summary>Receives one line per nonlinear solve and per composed step (dt, iterations, distances); null (silent) by
    /// default. A diagnostics tool (the benchmarks' --dg-members --trace) passes one in the options it steps with.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>What the laws use: the identity and "no rise" are judged at c eps (|E| + dt &lt;dbarE, Mbar dbarE&gt;_h), so the
    /// energy defect goes to round-off in that norm (1e-14); the state residual to 1e-12, which extreme-scale members reach
    /// where 1e-14 in the state norm is below their round-off floor.</summary>
    public static DgOptions Laws { get; } = new(Tolerance: 1e-12, EnergyTolerance: 1e-14, MaxIterations: 60, Freeze: Freeze.Reversible, MaxSubsteps: 64);
}

/// <summary>
/// Time steppers as values that carry their behaviour (as Diffrax's solvers do): each scheme is a record with its
/// rollout step (<see cref="TryStep"/>, float64, no graph) and its training step (<see cref="TrainingStep"/>, keeping the
/// graph to the member's parameters), one file per scheme (Stepper.Euler.cs, ...). Where the two differ they have
/// different names: the discrete gradient's rollout step solves the AVF step to tolerance ("dg"), its training step
/// unrolls a fixed number of midpoint Picard iterations ("dg-picard", <see cref="TrainingName"/>). The hierarchy is
/// closed: only the records below exist. The command line alone turns names into steppers.
/// </summary>
public abstract partial record Stepper
{
    private Stepper() { }

    /// <summary>The scheme's name as the command line spells it: euler, rk2, rk3, rk4, rk4-adaptive, rk4-substeps, etdrk4, sbdf1, dg.</summary>
    public abstract string Name { get; }

    /// <summary>The name of the training step: <see cref="Name"/> where it is the rollout step, else its own.</summary>
    public virtual string TrainingName => Name;

    /// <summary>True for the explicit Runge-Kutta steps, which need only f(u) (so they step baselines too).</summary>
    public abstract bool IsExplicit { get; }

    /// <summary>One rollout step of size dt from u (batch, field, x[, y]), without a graph. An implicit solve that does not
    /// converge is returned as such (<see cref="StepResult.Converged"/> false): the laws count these.</summary>
    public abstract StepResult TryStep(ICompiledVectorField f, Tensor u, double dt);

    /// <summary>One rollout step that fails loudly: <see cref="TryStep"/>, except that a discrete-gradient step that did not
    /// converge throws a <see cref="StepFailedException"/> labelled with <paramref name="stepIndex"/>.</summary>
    public virtual StepResult Step(ICompiledVectorField f, Tensor u, double dt, int stepIndex = 0) => TryStep(f, u, dt);

    /// <summary>One differentiable step of size dt from u for a training loss; <paramref name="picardIterations"/> is what
    /// the discrete gradient's training step unrolls (the other schemes ignore it).</summary>
    public abstract Tensor TrainingStep(ICompiledVectorField f, Tensor u, double dt, int picardIterations = TrainingSteps.DefaultPicardIterations);

    /// <summary>The relative energy change below which a rollout step does not count as a rise: round-off of the energy's
    /// size (the scheme-law allowance, 100 eps); the discrete gradient adds its solver tolerance.</summary>
    public virtual double RiseAllowance => 100 * 2.2e-16;

    /// <summary>The stepper a float64 rollout of <paramref name="f"/> at the data's step uses: itself, except that the
    /// discrete gradient with the default options solves by Fourier-preconditioned Picard where K and L are multipliers
    /// (<see cref="DiscreteGradient.TunedFor"/>).</summary>
    public virtual Stepper TunedFor(ICompiledVectorField f) => this;

    /// <inheritdoc />
    public sealed override string ToString() => Name;

    /// <summary>The explicit Runge-Kutta steps: a formula in f alone, the same in rollouts (f without a graph) and in training
    /// (f with the graph), so members and baselines share them.</summary>
    public abstract record Explicit : Stepper
    {
        private protected Explicit() { }

        /// <summary>One step of u' = f(u) of size dt from u, through whatever graph f keeps.</summary>
        public abstract Tensor Advance(Func<Tensor, Tensor> f, Tensor u, double dt);

        /// <inheritdoc />
        public sealed override bool IsExplicit => true;

        /// <inheritdoc />
        public sealed override StepResult TryStep(ICompiledVectorField f, Tensor u, double dt) => new(Advance(x => f.Rhs(x), u, dt), 0, 0, true, 1);

        /// <inheritdoc />
        public sealed override Tensor TrainingStep(ICompiledVectorField f, Tensor u, double dt, int picardIterations = TrainingSteps.DefaultPicardIterations) =>
            Advance(x => f.Rhs(x, createGraph: true), u, dt);
    }
}
