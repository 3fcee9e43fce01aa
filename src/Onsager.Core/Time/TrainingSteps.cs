using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>
/// Time steps that keep the autograd graph to the member's parameters, for use inside a training loss: each stepper's
/// <see cref="Stepper.TrainingStep"/>. The discrete gradient's is a fixed number of unrolled midpoint Picard iterations
/// (<see cref="Stepper.DiscreteGradient.MidpointPicardStep"/>) instead of a solve to tolerance, so its cost and its
/// gradient are predictable.
/// </summary>
public static class TrainingSteps
{
    /// <summary>Picard iterations unrolled by the training DG step when the stepper does not say otherwise.</summary>
    public const int DefaultPicardIterations = 3;

    /// <summary>One differentiable step of size dt from u (batch, field, x[, y]). sbdf1 and dg need a member of the class.</summary>
    public static Tensor Step(ICompiledVectorField f, Stepper s, Tensor u, double dt, int picardIterations = DefaultPicardIterations) =>
        s.TrainingStep(f, u, dt, picardIterations);

    /// <summary>K and L as Fourier multipliers, which the implicit training steps (sbdf1, dg-picard) solve with; an error naming
    /// the scheme otherwise.</summary>
    internal static (Tensor K, Tensor L) Symbols(CompiledModel m, string scheme)
    {
        var k = m.OperatorSymbol();
        var l = m.LinearSymbol();
        if (k is null || l is null)
            throw new ArgumentException($"The training step '{scheme}' solves (I + c K L) x = b in Fourier space, so K = M + W and the energy's quadratic part " +
                                        "must be Fourier multipliers (kind 'spectral'); use rk4 or euler for state-dependent members.");
        return (k, l);
    }
}
