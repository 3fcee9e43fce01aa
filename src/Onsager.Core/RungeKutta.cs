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
            case Stepper.Euler: return u + dt * f(u);
            case Stepper.Heun:
            {
                var k1 = f(u); var k2 = f(u + dt * k1);
                return u + 0.5 * dt * (k1 + k2);
            }
            case Stepper.SspRk3:
            {
                // Shu-Osher form of SSP-RK3 (Shu and Osher 1988).
                var u1 = u + dt * f(u);
                var u2 = 0.75 * u + 0.25 * (u1 + dt * f(u1));
                return u / 3 + 2.0 / 3 * (u2 + dt * f(u2));
            }
            case Stepper.Rk4:
            {
                var k1 = f(u); var k2 = f(u + 0.5 * dt * k1); var k3 = f(u + 0.5 * dt * k2); var k4 = f(u + dt * k3);
                return u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            }
            case Stepper.Rk4Adaptive a: return AdaptiveRungeKutta.Step(f, u, dt, a.Options);
            default: throw new ArgumentException($"The scheme '{s.Name}' is not an explicit Runge-Kutta step.");
        }
    }
}
