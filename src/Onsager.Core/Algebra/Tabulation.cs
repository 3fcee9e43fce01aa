using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>
/// Evaluate site-separable density networks G(s) on a table of nodes instead of at every site (a compile option,
/// <see cref="CompileOptions.Tabulation"/>). G depends on the site value only, so for a tensor of values in [lo, hi]
/// the network runs on <see cref="Nodes"/> equispaced nodes spanning [lo, hi] (the tensor's own minimum and maximum,
/// taken afresh at every call, so nothing is ever extrapolated), giving G', G'' there by forward tangents, and each
/// site takes the cubic Hermite interpolant of G' between its two nodes (a gather and a few multiplies).
/// The density itself is the exact integral of that interpolant (a quartic per cell, anchored at G(lo)), so the
/// tabulated G' is the exact derivative of the tabulated G and discrete gradients of the energy stay exact.
/// Gradients to the network's weights flow through the node values: a training gradient is exact for the
/// interpolated member. Error of the interpolant: |G' - p| &lt;= h^4 max|G^(5)| / 384 (cubic Hermite, de Boor,
/// A Practical Guide to Splines, ch. IV); with the default node count it lies below float32 round-off on trained
/// members (tests/Onsager.Tests/TabulationTests.cs, docs/training.md).
/// </summary>
public sealed record Tabulation(int Nodes = Tabulation.DefaultNodes)
{
    /// <summary>Nodes per table, chosen by measurement (docs/training.md, "Tabulated densities").</summary>
    public const int DefaultNodes = 512;

    /// <summary>The default options.</summary>
    public static Tabulation Default { get; } = new();

    /// <summary>This tabulation, checked.</summary>
    public Tabulation Validate() =>
        Nodes >= 2 ? this : throw new ArgumentException($"A tabulation needs at least two nodes, got {Nodes}.");

    /// <summary>The tabulated density s -> G(s) and its exact derivative s -> G'(s) of a one-input network's jet.</summary>
    internal (Func<Tensor, Tensor> Density, Func<Tensor, Tensor> Derivative) Of(Func<Tensor, NetworkJet> jet)
    {
        int nodes = Validate().Nodes;
        return (s => Interpolate(jet, nodes, s, true), s => Interpolate(jet, nodes, s, false));
    }

    /// <summary>
    /// Per cell [x_j, x_j + h], x = (s - x_j) / h in [0, 1], with f = G' and m = h G'' at both ends:
    /// G'(s) ~ p(x) = f0 + m0 x + (3 (f1 - f0) - 2 m0 - m1) x^2 + (2 (f0 - f1) + m0 + m1) x^3 (cubic Hermite),
    /// G(s) ~ G(x_0) + h sum_{i &lt; j} P_i(1) + h P_j(x), P the antiderivative of p (P(1) = (f0 + f1)/2 + (m0 - m1)/12).
    /// </summary>
    private static Tensor Interpolate(Func<Tensor, NetworkJet> jet, int nodes, Tensor s, bool density)
    {
        if (s.numel() == 0) return zeros_like(s);
        var lo = s.min().detach();
        // A constant field still gets a cell of positive width (the interpolant is then exact at its one value).
        var span = maximum(s.max().detach() - lo, lo.abs().Plus(1).Times(1e-6));
        var h = span.Over(nodes - 1);
        var grid = lo.Plus(h * Scalars.Range(0, nodes, s.dtype, s.device));
        var g = jet(grid);
        var f = g.Slope!;
        var m = h * g.Curvature!;
        var f0 = f.narrow(0, 0, nodes - 1);
        var f1 = f.narrow(0, 1, nodes - 1);
        var m0 = m.narrow(0, 0, nodes - 1);
        var m1 = m.narrow(0, 1, nodes - 1);
        var c2 = (f1 - f0).Times(3) - m0.Times(2) - m1;
        var c3 = (f0 - f1).Times(2).Plus(m0).Plus(m1);
        // Each coefficient gathered per site from its own vector (four 1-D gathers cost half of one gather of rows,
        // backward included). NaN sites index cell 0 and stay NaN through x.
        // x from the left node as the network saw it (same float ops as the grid), so s - x_j is exact (Sterbenz).
        var left = ((s - lo) / h).nan_to_num(0).Between(0, nodes - 2).floor();
        var cell = left.to(ScalarType.Int64).flatten();
        var x = (s - lo.Plus(h * left)) / h;
        Tensor At(Tensor coefficient) => coefficient.index_select(0, cell).view(s.shape);
        if (!density) return At(f0).Plus(x * At(m0).Plus(x * At(c2).Plus(x * At(c3))));
        var whole = f0.Plus(m0.Over(2)).Plus(c2.Over(3)).Plus(c3.Over(4));                                         // P_j(1)
        var start = g.Value.narrow(0, 0, 1).Plus(h * cat([zeros(1, s.dtype, s.device), whole.narrow(0, 0, nodes - 2).cumsum(0)]));
        return At(start).Plus(h * x * At(f0).Plus(x * At(m0).Over(2).Plus(x * At(c2).Over(3).Plus((x * At(c3)).Over(4)))));
    }
}
