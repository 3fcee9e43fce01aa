using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>Heun (explicit RK2).</summary>
    public sealed record Heun : Explicit
    {
        /// <inheritdoc />
        public override string Name => "rk2";

        /// <inheritdoc />
        public override Tensor Advance(Func<Tensor, Tensor> f, Tensor u, double dt)
        {
            var k1 = f(u); var k2 = f(u.Plus(k1.Times(dt)));
            return u.Plus(k1.Plus(k2).Times(0.5 * dt));
        }
    }
}
