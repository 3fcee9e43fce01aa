using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>Classical RK4.</summary>
    public sealed record Rk4 : Explicit
    {
        /// <inheritdoc />
        public override string Name => "rk4";

        /// <inheritdoc />
        public override Tensor Advance(Func<Tensor, Tensor> f, Tensor u, double dt)
        {
            var k1 = f(u); var k2 = f(u.Plus(k1.Times(0.5 * dt))); var k3 = f(u.Plus(k2.Times(0.5 * dt))); var k4 = f(u.Plus(k3.Times(dt)));
            return u.Plus(k1.Plus(k2.Times(2)).Plus(k3.Times(2)).Plus(k4).Times(dt / 6));
        }
    }
}
