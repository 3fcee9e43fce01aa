using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>Options of <see cref="Stepper.Rk4Adaptive"/>: n = ceil(dt Safety rho / StabilityRadius) RK4 substeps of dt/n,
/// rho the spectral radius of the Jacobian of what RK4 integrates, estimated by <see cref="PowerIterations"/> power
/// iterations; more than <see cref="MaxSubsteps"/> substeps is an error (<see cref="SubstepCapException"/>). With
/// <see cref="IntegratingFactor"/> the member's linearisation at the batch's mean state, a Fourier multiplier, is
/// integrated exactly (integrating-factor RK4) and rho is that of the rest; without, RK4 integrates all of f.</summary>
/// <remarks>With <see cref="Exponential"/> the whole frozen multiplier (dispersion included) is integrated by ETDRK4
/// (Cox and Matthews, J. Comput. Phys. 176, 430, 2002; coefficients by the contour integrals of Kassam and Trefethen,
/// SIAM J. Sci. Comput. 26, 1214, 2005), which stays accurate where Lawson's factor does not: a rollout scheme for
/// members whose stiff part is constant-coefficient (the polynomial family at the data's frame spacing).</remarks>
public sealed record AdaptiveOptions(bool IntegratingFactor = true, int MaxSubsteps = 512, double Safety = 1.2,
                                     double StabilityRadius = AdaptiveOptions.Rk4Radius, int PowerIterations = 12, bool Exponential = false)
{
    /// <summary>The smallest |z| on the boundary of RK4's stability region in the left half-plane (about 2.62, at
    /// arg z = 120 degrees; 2.785 on the negative real axis, 2.828 on the imaginary one), so a step with dt rho at most
    /// this is stable for any eigenvalue of modulus rho in the closed left half-plane.</summary>
    public const double Rk4Radius = 2.6;

    /// <summary>The default options.</summary>
    public static AdaptiveOptions Default { get; } = new();

    /// <summary>Plain RK4 substeps (no integrating factor): the substeps follow the stiffness of all of f.</summary>
    public static AdaptiveOptions Plain { get; } = new(IntegratingFactor: false);

    /// <summary>ETDRK4 substeps with the frozen multiplier's damping and dispersion exact; safety 4 puts the one-frame error of
    /// the true KdV member at the data's float32 floor (docs/training.md).</summary>
    public static AdaptiveOptions Etdrk4 { get; } = new(Exponential: true, Safety: 4);
}

/// <summary>An adaptive step would need more substeps than its cap: the member is too stiff for explicit substeps at this dt.</summary>
public sealed class SubstepCapException(double rho, double dt, int needed, int cap)
    : Exception($"The adaptive RK4 step needs {needed} substeps (spectral radius of the Jacobian {rho:G3}, dt = {dt:G3}) but at most {cap} are allowed: " +
                "the member is too stiff for explicit substeps at this step size (use a smaller dt or a member with smaller mobility).")
{
    /// <summary>The spectral radius estimate that set the substep count.</summary>
    public double SpectralRadius { get; } = rho;
    /// <summary>The number of substeps the step would have needed.</summary>
    public int Needed { get; } = needed;
}

/// <summary>
/// RK4 in equal substeps, as many as the stiffness of the batch's states needs: the training step of state-dependent
/// members at the data's frame spacing, where one RK4 step of dt is unstable (docs/training.md). With the integrating
/// factor, f = S u + (f(u) - S u) where S is the damping part of the Jacobian of f at the constant state of the batch's
/// mean, a Fourier multiplier (its impulse response, measured by finite differences); S is integrated exactly
/// (exp(S h)) and RK4 takes the rest (Lawson's integrating-factor RK4), so constant-coefficient diffusion and
/// hyperdiffusion do not limit the substep; dispersion and what the states' variation adds do. S is a detached constant: the
/// gradient reaches the member's numbers through f alone, and the step is consistent with u' = f(u) for any S.
/// One substep count per call for the whole batch; pure in (f, u, dt): the power iteration starts from a fixed seeded
/// vector. The states are (batch, fields, points...); FFTs run over the points.
/// </summary>
public static class AdaptiveRungeKutta
{
    private static readonly Stepper.Rk4 Rk4 = new();

    /// <summary>A step's plan: the substep count, the spectral radius it was chosen from, and the frozen symbol S
    /// (batch-broadcast, rfft layout; null without the integrating factor).</summary>
    public sealed record Plan(int Substeps, double Rho, Tensor? Symbol);

    /// <summary>Chooses the substeps (and S) for a step of dt from u, without a graph. A non-finite rho (a state or f
    /// already NaN) gives one substep, so the NaN reaches the caller (training rolls back on it).</summary>
    public static Plan Choose(Func<Tensor, Tensor> f, Tensor u, double dt, AdaptiveOptions o)
    {
        using var noGrad = no_grad();
        var x = u.detach();
        var symbol = o.Exponential ? FrozenSymbol(f, x, dampingOnly: false) : o.IntegratingFactor ? FrozenSymbol(f, x) : null;
        Func<Tensor, Tensor> rest = symbol is null ? f : y => f(y) - Apply(symbol, y);
        double rho = SpectralRadius(rest, x, o.PowerIterations);
        if (!double.IsFinite(rho)) return new Plan(1, rho, symbol);
        double need = Math.Ceiling(dt * o.Safety * rho / o.StabilityRadius);
        if (need > o.MaxSubsteps) throw new SubstepCapException(rho, dt, need >= int.MaxValue ? int.MaxValue : (int)need, o.MaxSubsteps);
        return new Plan(Math.Max(1, (int)need), rho, symbol);
    }

    /// <summary>One step of dt from u: the plan's substeps of dt/n through f (with whatever graph f keeps).</summary>
    public static Tensor Step(Func<Tensor, Tensor> f, Tensor u, double dt, AdaptiveOptions o)
    {
        var plan = Choose(f, u, dt, o);
        double h = dt / plan.Substeps;
        if (o.Exponential) return Etdrk4(f, u, plan.Symbol!, h, plan.Substeps);
        var v = u;
        if (plan.Symbol is not { } s)
        {
            for (int i = 0; i < plan.Substeps; i++) v = Rk4.Advance(f, v, h);
            return v;
        }
        // Lawson's IF-RK4 for u' = S u + N(u), N = f - S u: with E = exp(S h/2),
        // u+ = E^2 u + h/6 (E^2 k1 + 2 E (k2 + k3) + k4), k1 = N(u), k2 = N(E(u + h/2 k1)), k3 = N(E u + h/2 k2), k4 = N(E^2 u + h E k3).
        var half = s.Times(0.5 * h).exp();
        var full = half * half;
        Tensor N(Tensor y) => f(y) - Apply(s, y);
        for (int i = 0; i < plan.Substeps; i++)
        {
            var k1 = N(v);
            var k2 = N(Apply(half, v.Plus(k1.Times(0.5 * h))));
            var ev = Apply(half, v);
            var k3 = N(ev.Plus(k2.Times(0.5 * h)));
            var k4 = N(Apply(full, v).Plus(Apply(half, k3).Times(h)));
            v = Apply(full, v.Plus(k1.Times(h / 6))).Plus(Apply(half, k2.Plus(k3)).Times(2).Plus(k4).Times(h / 6));
        }
        return v;
    }

    /// <summary>
    /// The Jacobian of f at the constant state of the batch's per-field mean as a Fourier multiplier per field
    /// (batch-broadcast, rfft layout): the FFT of its response to a unit impulse at the first site, by finite differences.
    /// A translation-invariant linear operator is exactly its impulse response's multiplier; cross-field coupling is left
    /// to the rest. Only the damping is kept: the real part, capped at zero (growth, where the frozen state has any, and
    /// the imaginary part stay with RK4). Integrating dispersion exactly instead loses accuracy: the integrating factor
    /// then makes the nonlinear term oscillate faster than the substeps resolve (docs/training.md, 4.5 % error per frame
    /// on KdV against 3e-5 for plain substeps).
    /// </summary>
    public static Tensor FrozenSymbol(Func<Tensor, Tensor> f, Tensor u, bool dampingOnly = true)
    {
        using var noGrad = no_grad();
        long fields = u.shape[1];
        var spatial = Enumerable.Range(2, (int)u.dim() - 2).Select(d => (long)d).ToArray();
        var mean = u.mean(new long[] { 0 }.Concat(spatial).ToArray(), keepdim: true);          // (1, fields, 1...)
        var shape = new long[] { fields }.Concat(u.shape.Skip(1)).ToArray();                      // one sample per field
        var baseState = mean.expand(shape).contiguous();
        double e = Math.Sqrt(Machine(u.dtype)) * Math.Max(1.0, mean.abs().max().to(ScalarType.Float64).item<double>());
        var impulse = zeros(shape, dtype: u.dtype, device: u.device);
        for (long i = 0; i < fields; i++)
            impulse[new[] { TensorIndex.Single(i), TensorIndex.Single(i) }.Concat(spatial.Select(_ => TensorIndex.Single(0))).ToArray()] = tensor(e, dtype: u.dtype);
        var response = (f(baseState.Plus(impulse)) - f(baseState)).Over(e);                               // (fields, fields, points...)
        var own = stack(Enumerable.Range(0, (int)fields).Select(i => response[i, i]).ToArray());   // (fields, points...)
        var symbol = fft.rfftn(own, dim: spatial.Select(d => d - 1).ToArray());
        symbol = dampingOnly ? complex(symbol.real.negative().AtLeast(0.0).negative(), zeros_like(symbol.real))    // min(Re S, 0)
                             : complex(symbol.real.negative().AtLeast(0.0).negative(), symbol.imag);              // growth stays with the rest
        return symbol.unsqueeze(0);
    }

    /// <summary>
    /// n ETDRK4 substeps of h for u' = S u + N(u), N = f - S u (Cox and Matthews 2002, their (26)-(29)), in Fourier space;
    /// the phi-function coefficients by the mean over 64 points of a unit circle around each h S (Kassam and Trefethen 2005),
    /// which avoids the cancellation of their closed forms near 0.
    /// </summary>
    private static Tensor Etdrk4(Func<Tensor, Tensor> f, Tensor u, Tensor s, double h, int substeps)
    {
        var spatial = Enumerable.Range(2, (int)u.dim() - 2).Select(d => (long)d).ToArray();
        long[] sizes = u.shape.Skip(2).ToArray();
        var z = s.Times(h);                                                           // (1, fields, modes...)
        const int points = 64;                                                       // the whole circle: S is complex
        var roots = tensor(Enumerable.Range(1, points).Select(j => 2 * Math.PI * (j - 0.5) / points).ToArray(), ScalarType.Float64).to(u.device);
        var circle = complex(roots.cos(), roots.sin()).to(z.dtype);                  // exp(2 pi i (j - 1/2) / M)
        var lr = z.unsqueeze(-1).Plus(circle);                                           // (..., M)
        var lr2 = lr * lr;
        var lr3 = lr2 * lr;
        var elr = lr.exp();
        Tensor Mean(Tensor x) => x.mean([-1L]).Times(h);
        var e = z.exp();
        var e2 = z.Times(0.5).exp();
        var q = Mean(((lr.Times(0.5)).exp().Minus(1.0)) / lr);
        var f1 = Mean(lr.negative().Minus(4.0).Plus(elr * (lr2 - lr.Times(3.0)).Plus(4.0)) / lr3);
        var f2 = Mean(lr.Plus(2.0).Plus(elr * lr.Minus(2.0)) / lr3);
        var f3 = Mean(((lr2.negative() - lr.Times(3.0)).Minus(4.0) / lr3).Plus(elr * lr.negative().Plus(4.0) / lr3));
        Tensor Hat(Tensor y) => fft.rfftn(y, dim: spatial);
        Tensor Real(Tensor yh) => fft.irfftn(yh, s: sizes, dim: spatial);
        Tensor Nh(Tensor vh) => Hat(f(Real(vh))) - s * vh;
        var v = Hat(u);
        for (int i = 0; i < substeps; i++)
        {
            var nv = Nh(v);
            var a = (e2 * v).Plus(q * nv);
            var na = Nh(a);
            var b = (e2 * v).Plus(q * na);
            var nb = Nh(b);
            var c = (e2 * a).Plus(q * (nb.Times(2.0) - nv));
            var nc = Nh(c);
            v = (e * v).Plus(f1 * nv).Plus(na.Plus(nb).Times(2.0) * f2).Plus(f3 * nc);
        }
        return Real(v);
    }

    /// <summary>S y for a multiplier S in the rfft layout of the points of y (batch, fields, points...).</summary>
    public static Tensor Apply(Tensor symbol, Tensor y)
    {
        var spatial = Enumerable.Range(2, (int)y.dim() - 2).Select(d => (long)d).ToArray();
        return fft.irfftn(symbol * fft.rfftn(y, dim: spatial), s: y.shape.Skip(2).ToArray(), dim: spatial);
    }

    /// <summary>
    /// max |J v| / |v| over the second half of <paramref name="iterations"/> power iterations on the Jacobian J of f at u
    /// (the batch as one block-diagonal system, so the stiffest sample sets it), with finite-difference products
    /// J v = (f(u + e v) - f(u)) / e, e = sqrt(machine epsilon) max(1, rms u) for unit-rms v. Taking the maximum over
    /// iterations covers complex pairs (dispersive members), where the ratio oscillates instead of converging.
    /// </summary>
    public static double SpectralRadius(Func<Tensor, Tensor> f, Tensor u, int iterations)
    {
        if (iterations < 2) throw new ArgumentException($"The spectral-radius estimate needs at least 2 power iterations, got {iterations}.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(20_241_203);
        var v = randn(u.shape, dtype: ScalarType.Float64, generator: gen).to(u.dtype, u.device);
        static double Rms(Tensor x) => x.Squared().mean().sqrt().to(ScalarType.Float64).item<double>();
        v = v.Over(Rms(v));
        double e = Math.Sqrt(Machine(u.dtype)) * Math.Max(1.0, Rms(u));
        var f0 = f(u);
        double rho = 0;
        for (int i = 0; i < iterations; i++)
        {
            var jv = (f(u.Plus(v.Times(e))) - f0).Over(e);
            double ratio = Rms(jv);                                               // |v| = 1 in rms
            if (!double.IsFinite(ratio)) return double.NaN;
            if (i >= iterations / 2) rho = Math.Max(rho, ratio);
            if (ratio == 0) return 0;
            v = jv.Over(ratio);
        }
        return rho;
    }

    private static double Machine(ScalarType t) => t == ScalarType.Float64 ? 2.2e-16 : t == ScalarType.Float32 ? 1.2e-7 : 1e-3;
}
