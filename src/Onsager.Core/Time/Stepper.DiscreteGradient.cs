using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>
    /// The discrete-gradient step u+ = u - dt Kbar dbarE(u, u+): E(u+) - E(u) = -dt &lt;dbarE, Mbar dbarE&gt;_h at any dt. Its
    /// rollout step ("dg", <see cref="AvfStep"/>) solves the AVF discrete gradient to the tolerance of <see cref="Options"/>
    /// (Picard, then Newton, continuation and substeps); its training step ("dg-picard", <see cref="MidpointPicardStep"/>)
    /// unrolls a fixed number of Picard iterations on the midpoint gradient, so its cost and its gradient are predictable.
    /// </summary>
    public sealed record DiscreteGradient(DgOptions Options) : Stepper
    {
        /// <summary>The discrete-gradient stepper with the default options.</summary>
        public DiscreteGradient() : this(DgOptions.Default) { }

        /// <summary>Picard preconditioned in Fourier space, to 1e-10: what rollouts at the data's dt use for members whose K and
        /// L are Fourier multipliers (each iteration one Fourier solve; it contracts fast there).</summary>
        public static DgOptions FourierPicard { get; } = new(NonlinearSolver.Picard, Tolerance: 1e-10, MaxIterations: 100);

        /// <inheritdoc />
        public override string Name => "dg";

        /// <inheritdoc />
        public override string TrainingName => "dg-picard";

        /// <inheritdoc />
        public override bool IsExplicit => false;

        /// <inheritdoc />
        public override StepResult TryStep(ICompiledVectorField f, Tensor u, double dt) => AvfStep(VectorField.Member(f, this), u, dt);

        /// <inheritdoc />
        public override StepResult Step(ICompiledVectorField f, Tensor u, double dt, int stepIndex = 0)
        {
            var r = TryStep(f, u, dt);
            if (!r.Converged) throw new StepFailedException(stepIndex, r.Residual, r.Iterations, dt, r.OutOfTime ? Options.MaxStepSeconds : null);
            return r;
        }

        /// <summary>The rollout step: the AVF discrete gradient solved to tolerance (<see cref="Steppers"/>' march: one solve;
        /// where it fails, continuation in the step size; where that folds, a composition of DG substeps).</summary>
        public StepResult AvfStep(CompiledModel m, Tensor u, double dt) => Steppers.DgMarch(m, Options, u, dt);

        /// <inheritdoc />
        public override Tensor TrainingStep(ICompiledVectorField f, Tensor u, double dt, int picardIterations = TrainingSteps.DefaultPicardIterations) =>
            MidpointPicardStep(VectorField.Member(f, this), u, dt, picardIterations);

        /// <summary>
        /// The training step: linearly implicit Picard for u+ = u - dt K(u) dbarE(u, u+) with the midpoint gradient
        /// dbarE = L (u + u+)/2 + N((u + u+)/2) (N = dE - L u, the nonlinear part): P v_{j+1} = u - dt K (L u/2 + N((u + v_j)/2)),
        /// P = I + dt/2 K L, from v_0 = u (docs/theory.md). Quadratic parts are implicit and exact, so stiff linear terms do
        /// not limit dt. The midpoint gradient differs from the AVF quotient (what <see cref="AvfStep"/> uses) by
        /// O(|u+ - u|^2 F'''), and unlike the quotient (F(v) - F(u)) / (v - u) it does not lose digits to cancellation in float32.
        /// Each iteration costs one N and one FFT pair: in Fourier space v_{j+1} = (1 - dt/2 K L)/P u^ - dt K/P N^.
        /// The iteration error contracts by about dt |K| Lip(N) per iteration.
        /// </summary>
        public static Tensor MidpointPicardStep(CompiledModel m, Tensor u, double dt, int iterations)
        {
            if (iterations < 1) throw new ArgumentException("The training DG step needs at least one Picard iteration.");
            var (k, l) = TrainingSteps.Symbols(m, "dg");
            var g = m.Grid;
            var p = (k.Times(0.5 * dt) * l).Plus(1);
            var carried = Spectral.Shaped((k.Times(0.5 * dt) * l).SubtractedFrom(1) / p, g) * Spectral.Forward(u, g);
            var kick = Spectral.Shaped(k.Times(dt) / p, g);
            var v = u;
            for (int j = 0; j < iterations; j++)
            {
                var mid = j == 0 ? u : u.Plus(v).Times(0.5);
                v = Spectral.Inverse(carried - kick * Spectral.Forward(m.NonlinearPart(mid, createGraph: true), g), g);
            }
            return v;
        }

        /// <summary>A step solved to a relative residual tol keeps the energy identity only to about tol (an exactly
        /// conservative member would otherwise "rise" in about half of its steps by 1e-11).</summary>
        public override double RiseAllowance => Math.Max(base.RiseAllowance, 10 * (Options.EnergyTolerance ?? Options.Tolerance));

        /// <summary>With the default options and a member whose K and L are Fourier multipliers: <see cref="FourierPicard"/>; else itself.</summary>
        public override Stepper TunedFor(ICompiledVectorField f) =>
            Options == DgOptions.Default && f is CompiledModel m && m.OperatorSymbol() is not null && m.LinearSymbol() is not null
                ? this with { Options = FourierPicard with { Trace = Options.Trace } }
                : this;
    }
}
