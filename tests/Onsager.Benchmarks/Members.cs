namespace Onsager.Benchmarks;

/// <summary>The members the step-cost benchmarks run on.</summary>
public static class Members
{
    /// <summary>The reference class: Fourier multipliers M = theta^2, W = i phi, and E = quadratic + gradient + a bounded
    /// site network F (so K and L are diagonal in Fourier space: SBDF1 and the DG predictor/Picard are FFT solves).</summary>
    public static Model Reference(Grid g) => ModelBuilder.On(g)
        .Energy(e => e.QuadraticAnchor(1).Gradient(0.01).Network(width: 16, depth: 2, seed: 1))
        .Dissipation(d => d.Multiplier(0.3, learned: false))
        .Conservation(c => c.Multiplier(0.5, learned: false))
        .Build();

    /// <summary>State-dependent: viscous Burgers in coercive form (W(u) = advection by 2u/3, M = -nu d_xx), so Kbar depends
    /// on the state and the DG solve is Newton (dense Jacobian up to 256 unknowns, else GMRES).</summary>
    public static Model StateDependent(Grid g) => KnownMembers.Burgers(g);

    public static Model Get(string name, Grid g) => name == "reference" ? Reference(g) : StateDependent(g);

    public static Grid Grid(string points) => points.Contains('x')
        ? Onsager.Numbers.Grid.Periodic(2 * Math.PI, 2 * Math.PI, int.Parse(points.Split('x')[0]), int.Parse(points.Split('x')[1]))
        : Onsager.Numbers.Grid.Periodic(2 * Math.PI, int.Parse(points));
}
