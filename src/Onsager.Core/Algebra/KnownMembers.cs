using System.Collections.Immutable;

namespace Onsager.Algebra;

/// <summary>
/// Known-truth members (docs/theory.md, section 9) as values. Derivatives are finite differences (D+, D1, D3) unless
/// <c>spectral</c> is asked for. Each reproduces its PDE's right-hand side to round-off (tests/KnownMembersTests).
/// </summary>
public static class KnownMembers
{
    /// <summary>The names of the known members.</summary>
    public static ImmutableArray<string> Names { get; } =
        ["allen-cahn", "cahn-hilliard", "cahn-hilliard-degenerate", "heat", "kdv", "burgers", "kdv-burgers", "wave"];

    /// <summary>The default grid of the named member.</summary>
    public static Grid DefaultGrid(string name) => name switch
    {
        "cahn-hilliard" or "cahn-hilliard-degenerate" => Grid.Periodic(2 * Math.PI, 128),
        _ => Grid.Periodic(2 * Math.PI, 256)
    };

    /// <summary>The named known member on the grid (its default grid if none).</summary>
    public static Model Get(string name, Grid? grid = null, bool spectral = false)
    {
        var g = grid ?? DefaultGrid(name);
        return name switch
        {
            "allen-cahn" or "ac" => AllenCahn(g, 0.1, spectral),
            "cahn-hilliard" or "ch" => CahnHilliard(g, 0.1, degenerate: false),
            "cahn-hilliard-degenerate" => CahnHilliard(g, 0.1, degenerate: true),
            "heat" => Heat(g, 0.1),
            "kdv" => KdV(g),
            "burgers" => Burgers(g, 0.1),
            "kdv-burgers" => KdVBurgers(g, 0.05),
            "wave" => DampedWave(g, 0.1, spectral),
            _ => throw new ArgumentException($"No known member '{name}'. Known: {string.Join(", ", Names)}.")
        };
    }

    /// <summary>u_t = u_xx + (u - u^3)/eps^2: M = I, E = integral u_x^2/2 + (u^2 - 1)^2/(4 eps^2).</summary>
    public static Model AllenCahn(Grid g, double eps = 0.1, bool spectral = false) =>
        new(g, new Energy(new Anchor.DoubleWell(1 / (4 * eps * eps), 1.0),
                          new EnergyTerm.Gradient(1.0, spectral ? Derivative.Spectral : Derivative.Forward)),
            new Dissipation.Mobility(NonNegative.Of(1.0)));

    /// <summary>u_t = Lap(u^3 - u - eps^2 Lap u): M = D+^T m D+ (m = 1, or max(1 - u^2, 0.05)), E = integral (u^2-1)^2/4 + eps^2/2 u_x^2.</summary>
    public static Model CahnHilliard(Grid g, double eps = 0.1, bool degenerate = false) =>
        new(g, new Energy(new Anchor.DoubleWell(0.25, 1.0), new EnergyTerm.Gradient(eps * eps, Derivative.Forward)),
            new Dissipation.Divergence(degenerate
                ? new NonNegative.AtLeast(0.05, new Scalar.Polynomial(ParamArray.Fixed(1, 0, -1)))
                : NonNegative.Of(1.0)));

    /// <summary>u_t = nu u_xx as the H^-1 flow of 1/2 integral u^2 (the coercive one of its two readings, docs/theory.md, section 5).</summary>
    public static Model Heat(Grid g, double nu = 0.1) =>
        new(g, new Energy(new Anchor.Quadratic(1.0)), new Dissipation.Divergence(NonNegative.Of(nu)));

    private static Conservation KdVStructure() =>
        new Conservation.Stencil(ParamArray.Fixed(-1, 0.5), 3) + new Conservation.Advection(Scalar.Linear(4));

    /// <summary>u_t + 6 u u_x + u_xxx = 0 in coercive form: E = 1/2 integral u^2, W = D3 + 2 (U D1 + D1 U).</summary>
    public static Model KdV(Grid g) => new(g, new Energy(new Anchor.Quadratic(1.0)), null, KdVStructure());

    /// <summary>u_t + u u_x = nu u_xx: E = 1/2 integral u^2, M = nu D+^T D+, W = (U D1 + D1 U)/3.</summary>
    public static Model Burgers(Grid g, double nu = 0.1) =>
        new(g, new Energy(new Anchor.Quadratic(1.0)), new Dissipation.Divergence(NonNegative.Of(nu)),
            new Conservation.Advection(Scalar.Linear(2.0 / 3.0)));

    /// <summary>KdV plus viscosity nu u_xx.</summary>
    public static Model KdVBurgers(Grid g, double nu = 0.05) =>
        new(g, new Energy(new Anchor.Quadratic(1.0)), new Dissipation.Divergence(NonNegative.Of(nu)), KdVStructure());

    /// <summary>
    /// Damped wave q_tt = q_xx - gamma q_t in the coercive strain-momentum fields (v = q_x, p = q_t):
    /// v_t = p_x, p_t = v_x - gamma p; E = 1/2 integral v^2 + p^2, W = -[[0, D],[D, 0]], M = diag(0, gamma).
    /// (In (q, p) the energy 1/2 integral p^2 + q_x^2 is not coercive in q: see docs/theory.md.)
    /// </summary>
    public static Model DampedWave(Grid g, double gamma = 0.1, bool spectral = false) =>
        new(g, 2,
            new Energy([new Anchor.Quadratic(1.0, 0), new Anchor.Quadratic(1.0, 1)], []),
            new Dissipation.Congruence(new Linear.Select(1, 2), new Dissipation.Mobility(NonNegative.Of(gamma))),
            new Conservation.Scaled(-1.0, new Conservation.Coupling(0, 1, spectral ? DifferenceKind.Spectral : DifferenceKind.Central)));
}
