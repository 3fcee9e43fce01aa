namespace Onsager;

/// <summary>Where the discrete-gradient step evaluates its operator Kbar.</summary>
public enum Freeze
{
    /// <summary>Kbar = K(u^n): linear in the unknown (the default; cheapest).</summary>
    Start,
    /// <summary>Kbar = K((u^n + u^{n+1})/2): symmetric in time, so the step is reversible when M is absent.</summary>
    Midpoint,
    /// <summary>Midpoint when M is absent (reversible), K(u^n) otherwise. With M present reversibility is not a property
    /// to keep, and a state-dependent K((u + v)/2) makes the implicit equation far harder: on random members with
    /// scales 1e6 (mobility times a multiplier, dt = 1e3) Newton from K(u^n) converges in 15 iterations where with the
    /// midpoint it fails down to dt = 4e-6.</summary>
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
    /// The slowest marches measured that converge at dt = 1e3 took 6343 iterations (random:522, 29 substeps), 3616
    /// (random:16) and 2995 (random:42); members that never converge spent 8,000-13,000 before the 64-substep cap
    /// stopped them, up to 13 minutes.</summary>
    public const int DefaultStepIterations = 10_000;

    public static DgOptions Default { get; } = new();

    /// <summary>What the laws use: the identity and "no rise" are judged at c eps (|E| + dt &lt;dbarE, Mbar dbarE&gt;_h), so the
    /// energy defect goes to round-off in that norm (1e-14); the state residual to 1e-12, which extreme-scale members reach
    /// where 1e-14 in the state norm is below their round-off floor.</summary>
    public static DgOptions Laws { get; } = new(Tolerance: 1e-12, EnergyTolerance: 1e-14, MaxIterations: 60, Freeze: Freeze.Reversible, MaxSubsteps: 64);
}

/// <summary>Time steppers as values. Any of them steps any compiled member; the vector field, the stepper and the
/// step-size logic are separate pieces (as in Diffrax).</summary>
public abstract record Stepper
{
    private Stepper() { }

    /// <summary>Explicit Euler (the reference's step; no discrete energy guarantee).</summary>
    public sealed record Euler : Stepper;
    /// <summary>Heun (explicit RK2).</summary>
    public sealed record Heun : Stepper;
    /// <summary>Strong-stability-preserving RK3 (Shu-Osher).</summary>
    public sealed record SspRk3 : Stepper;
    /// <summary>Classical RK4.</summary>
    public sealed record Rk4 : Stepper;
    /// <summary>RK4 in n equal substeps, n chosen per step from the stiffness at the states (<see cref="AdaptiveRungeKutta"/>),
    /// by default with the linearisation at the batch's mean integrated exactly (integrating factor): stable at any dt up
    /// to the substep cap, so state-dependent members train at the data's frame spacing. CLI: rk4-adaptive (integrating
    /// factor), rk4-substeps (plain RK4 substeps).</summary>
    public sealed record Rk4Adaptive(AdaptiveOptions Options) : Stepper
    {
        public Rk4Adaptive() : this(AdaptiveOptions.Default) { }
    }
    /// <summary>The reference's SBDF1: the energy's linear part implicit, the rest explicit, K frozen at u^n.</summary>
    public sealed record Sbdf1 : Stepper;
    /// <summary>The discrete-gradient step u+ = u - dt Kbar dbarE(u, u+): E(u+) - E(u) = -dt &lt;dbarE, Mbar dbarE&gt;_h at any dt.</summary>
    public sealed record DiscreteGradient(DgOptions Options) : Stepper
    {
        public DiscreteGradient() : this(DgOptions.Default) { }
    }

    /// <summary>The CLI names: euler, rk2, rk3, rk4, rk4-adaptive, rk4-substeps, etdrk4, sbdf1, dg.</summary>
    public string Name => this switch
    {
        Euler => "euler", Heun => "rk2", SspRk3 => "rk3", Rk4 => "rk4", Rk4Adaptive a => a.Options.Exponential ? "etdrk4" : a.Options.IntegratingFactor ? "rk4-adaptive" : "rk4-substeps", Sbdf1 => "sbdf1", DiscreteGradient => "dg",
        _ => throw new InvalidOperationException()
    };

    public static IReadOnlyList<string> Names { get; } = ["euler", "rk2", "rk3", "rk4", "rk4-adaptive", "rk4-substeps", "etdrk4", "sbdf1", "dg"];

    /// <summary>True for the explicit Runge-Kutta steps, which need only f(u) (so they step baselines too).</summary>
    public bool IsExplicit => this is Euler or Heun or SspRk3 or Rk4 or Rk4Adaptive;

    public static Stepper Parse(string name, DgOptions? dg = null) => name switch
    {
        "euler" => new Euler(),
        "rk2" or "heun" => new Heun(),
        "rk3" => new SspRk3(),
        "rk4" => new Rk4(),
        "rk4-adaptive" => new Rk4Adaptive(),
        "rk4-substeps" => new Rk4Adaptive(AdaptiveOptions.Plain),
        "etdrk4" => new Rk4Adaptive(AdaptiveOptions.Etdrk4),
        "sbdf1" => new Sbdf1(),
        "dg" => new DiscreteGradient(dg ?? DgOptions.Default),
        "dg-laws" => new DiscreteGradient(DgOptions.Laws),
        _ => throw new ArgumentException($"Unknown scheme '{name}'. Schemes: {string.Join(", ", Names)}.")
    };

    public sealed override string ToString() => Name;
}
