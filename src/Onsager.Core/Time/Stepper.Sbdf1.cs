using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>The reference's SBDF1: the energy's linear part implicit, the rest explicit, K frozen at u^n. The rollout
    /// step solves (I + dt K(u) L) u+ = u - dt K(u) (dE(u) - L u) spectrally or by GMRES; the training step is the same
    /// equation for Fourier-multiplier K and L only (the reference's classical step).</summary>
    public sealed record Sbdf1 : Stepper
    {
        /// <inheritdoc />
        public override string Name => "sbdf1";

        /// <inheritdoc />
        public override bool IsExplicit => false;

        /// <summary>Diagonal in Fourier space for multiplier members, else GMRES to 1e-12.</summary>
        public override StepResult TryStep(ICompiledVectorField f, Tensor u, double dt)
        {
            var m = VectorField.Member(f, this);
            var nonlinear = m.VariationalDerivative(u) - m.LinearPart(u);
            var b = u - m.Operator(u, nonlinear).Times(dt);
            var solved = Steppers.SolveLinear(m, u, b, dt, u, 1e-12);
            return new StepResult(solved.X, solved.Iterations, solved.RelativeResidual, solved.Converged, 1);
        }

        /// <summary>(I + dt K L) u+ = u - dt K (dE(u) - L u) mode by mode, K and L multipliers.</summary>
        public override Tensor TrainingStep(ICompiledVectorField f, Tensor u, double dt, int picardIterations = TrainingSteps.DefaultPicardIterations)
        {
            var m = VectorField.Member(f, this);
            var (k, l) = TrainingSteps.Symbols(m, Name);
            var g = m.Grid;
            var kHat = Spectral.Shaped(k, g);
            var p = Spectral.Shaped((k.Times(dt) * l).Plus(1), g);
            return Spectral.Inverse((Spectral.Forward(u, g) - kHat.Times(dt) * Spectral.Forward(m.NonlinearPart(u, createGraph: true), g)) / p, g);
        }
    }
}
