using static TorchSharp.torch;

namespace Onsager;

/// <summary>
/// Time steps that keep the autograd graph to the member's parameters, for use inside a training loss. The same
/// steppers as <see cref="Steppers"/> (the names of <see cref="Stepper"/>); the discrete gradient is a fixed number of
/// unrolled Picard iterations instead of a solve to tolerance, so its cost and its gradient are predictable.
/// </summary>
public static class TrainingSteps
{
    /// <summary>Picard iterations unrolled by the training DG step when the stepper does not say otherwise.</summary>
    public const int DefaultPicardIterations = 3;

    /// <summary>One differentiable step of size dt from u (batch, field, x[, y]). sbdf1 and dg need a member of the class.</summary>
    public static Tensor Step(ICompiledVectorField f, Stepper s, Tensor u, double dt, int picardIterations = DefaultPicardIterations)
    {
        if (s.IsExplicit) return RungeKutta.Step(s, x => f.Rhs(x, createGraph: true), u, dt);
        var m = VectorField.Member(f, s);
        switch (s)
        {
            case Stepper.Sbdf1:
            {
                // (I + dt K L) u+ = u - dt K (dE(u) - L u), K and L multipliers (the reference's classical step).
                var (k, l) = Symbols(m, "sbdf1");
                var g = m.Grid;
                var kHat = Spectral.Shaped(k, g);
                var p = Spectral.Shaped((k.Times(dt) * l).Plus(1), g);
                return Spectral.Inverse((Spectral.Forward(u, g) - kHat.Times(dt) * Spectral.Forward(m.NonlinearPart(u, createGraph: true), g)) / p, g);
            }
            case Stepper.DiscreteGradient: return Picard(m, u, dt, picardIterations);
            default: throw new NotSupportedException(s.GetType().Name);
        }
    }

    /// <summary>
    /// Linearly implicit Picard for the DG step u+ = u - dt K(u) dbarE(u, u+) with the midpoint gradient
    /// dbarE = L (u + u+)/2 + N((u + u+)/2) (N = dE - L u, the nonlinear part): P v_{j+1} = u - dt K (L u/2 + N((u + v_j)/2)),
    /// P = I + dt/2 K L, from v_0 = u (docs/theory.md, section 8.3). Quadratic parts are implicit and exact, so stiff linear terms do
    /// not limit dt. The midpoint gradient differs from the AVF quotient (what <see cref="Steppers"/> uses) by
    /// O(|u+ - u|^2 F'''), and unlike the quotient (F(v) - F(u)) / (v - u) it does not lose digits to cancellation in float32.
    /// Each iteration costs one N and one FFT pair: in Fourier space v_{j+1} = (1 - dt/2 K L)/P u^ - dt K/P N^.
    /// The iteration error contracts by about dt |K| Lip(N) per iteration.
    /// </summary>
    public static Tensor Picard(CompiledModel m, Tensor u, double dt, int iterations)
    {
        if (iterations < 1) throw new ArgumentException("The training DG step needs at least one Picard iteration.");
        var (k, l) = Symbols(m, "dg");
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

    private static (Tensor K, Tensor L) Symbols(CompiledModel m, string scheme)
    {
        var k = m.OperatorSymbol();
        var l = m.LinearSymbol();
        if (k is null || l is null)
            throw new ArgumentException($"The training step '{scheme}' solves (I + c K L) x = b in Fourier space, so K = M + W and the energy's quadratic part " +
                                        "must be Fourier multipliers (kind 'spectral'); use rk4 or euler for state-dependent members.");
        return (k, l);
    }
}
