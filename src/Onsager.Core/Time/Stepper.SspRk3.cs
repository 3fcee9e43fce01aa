using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>Strong-stability-preserving RK3 (Shu-Osher).</summary>
    public sealed record SspRk3 : Explicit
    {
        /// <inheritdoc />
        public override string Name => "rk3";

        /// <summary>Shu-Osher form of SSP-RK3 (Shu and Osher 1988).</summary>
        public override Tensor Advance(Func<Tensor, Tensor> f, Tensor u, double dt)
        {
            var u1 = u.Plus(f(u).Times(dt));
            var u2 = u.Times(0.75).Plus(u1.Plus(f(u1).Times(dt)).Times(0.25));
            return u.Over(3).Plus(u2.Plus(f(u2).Times(dt)).Times(2.0 / 3));
        }
    }
}
