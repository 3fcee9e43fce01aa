using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>RK4 in n equal substeps, n chosen per step from the stiffness at the states (<see cref="AdaptiveRungeKutta"/>),
    /// by default with the linearisation at the batch's mean integrated exactly (integrating factor): stable at any dt up
    /// to the substep cap, so state-dependent members train at the data's frame spacing. Named rk4-adaptive (integrating
    /// factor), rk4-substeps (plain RK4 substeps) or etdrk4 (ETDRK4 substeps with the frozen multiplier's damping and
    /// dispersion exact: a rollout scheme for members whose stiff part is constant-coefficient, <see cref="AdaptiveOptions.Exponential"/>).</summary>
    public sealed record Rk4Adaptive(AdaptiveOptions Options) : Explicit
    {
        /// <summary>The adaptive RK4 stepper with the default options.</summary>
        public Rk4Adaptive() : this(AdaptiveOptions.Default) { }

        /// <inheritdoc />
        public override string Name => Options.Exponential ? "etdrk4" : Options.IntegratingFactor ? "rk4-adaptive" : "rk4-substeps";

        /// <inheritdoc />
        public override Tensor Advance(Func<Tensor, Tensor> f, Tensor u, double dt) => AdaptiveRungeKutta.Step(f, u, dt, Options);
    }
}
