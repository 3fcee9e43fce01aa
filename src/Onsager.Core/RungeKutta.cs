using static TorchSharp.torch;

namespace Onsager;

/// <summary>
/// The explicit steps (euler, rk2, rk3, rk4, rk4-adaptive) as pure functions of a right-hand side f: they need nothing of the class's
/// structure, so members and baselines share them, in training (with the graph) and in rollouts (without).
/// </summary>
public static class RungeKutta
{
    /// <summary>One explicit step of size dt from u; throws for the implicit schemes (sbdf1, dg).</summary>
    public static Tensor Step(Stepper s, Func<Tensor, Tensor> f, Tensor u, double dt)
    {
        switch (s)
        {
            case Stepper.Euler: return u.Plus(f(u).Times(dt));
            case Stepper.Heun:
            {
                var k1 = f(u); var k2 = f(u.Plus(k1.Times(dt)));
                return u.Plus(k1.Plus(k2).Times(0.5 * dt));
            }
            case Stepper.SspRk3:
            {
                // Shu-Osher form of SSP-RK3 (Shu and Osher 1988).
                var u1 = u.Plus(f(u).Times(dt));
                var u2 = u.Times(0.75).Plus(u1.Plus(f(u1).Times(dt)).Times(0.25));
                return u.Over(3).Plus(u2.Plus(f(u2).Times(dt)).Times(2.0 / 3));
            }
            case Stepper.Rk4:
            {
                var k1 = f(u); var k2 = f(u.Plus(k1.Times(0.5 * dt))); var k3 = f(u.Plus(k2.Times(0.5 * dt))); var k4 = f(u.Plus(k3.Times(dt)));
                return u.Plus(k1.Plus(k2.Times(2)).Plus(k3.Times(2)).Plus(k4).Times(dt / 6));
            }
            case Stepper.Rk4Adaptive a: return AdaptiveRungeKutta.Step(f, u, dt, a.Options);
            default: throw new ArgumentException($"The scheme '{s.Name}' is not an explicit Runge-Kutta step.");
        }
    }
}
