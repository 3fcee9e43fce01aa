using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>
/// A certificate of coercivity read off an energy's structure (docs/theory.md, sections 3.4 and 4; L6):
/// E(w) &gt;= Factor (sum_f Kappa_f ||w_f||_h^2 - Constant) + Offset + sum_f Shift_f integral w_f for every state w,
/// with Kappa_f &gt; 0 on every field. The coercivity and lower-bound laws check it on samples.
/// </summary>
public sealed record CoercivityCertificate(double[] Kappa, double Constant, double Factor, double Offset, double[] Shift, double Volume)
{
    /// <summary>The bound at a state (batch, field, x[, y]) per sample.</summary>
    public Tensor Bound(Tensor w, Grid grid)
    {
        var sq = w.Squared().flatten(2).sum(2).Times(grid.CellVolume);          // (batch, field)
        var mass = w.flatten(2).sum(2).Times(grid.CellVolume);
        var kappa = tensor(Kappa, w.dtype, w.device);
        var shift = tensor(Enumerable.Range(0, Kappa.Length).Select(f => f < Shift.Length ? Shift[f] : 0.0).ToArray(), w.dtype, w.device);
        return (sq * kappa).sum(1).Minus(Constant).Times(Factor).Plus(Offset).Plus((mass * shift).sum(1));
    }

    /// <summary>Global lower bound of E: minimise Factor kappa ||w||^2 + mu integral w (>= -mu^2 |Omega| / (4 Factor kappa)).</summary>
    public double LowerBound =>
        Factor * -Constant + Offset - Enumerable.Range(0, Kappa.Length).Sum(f => f < Shift.Length ? Shift[f] * Shift[f] * Volume / (4 * Factor * Kappa[f]) : 0);
}

/// <summary>Coercivity certificates of a model's energy.</summary>
public static class Coercivity
{
    /// <summary>The coercivity certificate of the model's energy.</summary>
    public static CoercivityCertificate Certificate(Model m)
    {
        var grid = m.Grid;
        double vol = grid.Volume;
        var kappa = new double[m.Fields];
        double constant = 0;
        foreach (var a in m.Energy.Anchors)
        {
            var (c, cc) = a.Bound;
            kappa[a.On] += c;
            constant += cc * vol;
        }
        // Input-convex terms grow at most linearly: each takes a share of its field's anchor (Young's inequality).
        var convex = m.Energy.Terms.SelectMany(t => t.ConvexFields).ToList();
        var convexCount = new int[m.Fields];
        foreach (var f in convex) convexCount[f]++;
        var share = kappa.Select((k, f) => convexCount[f] == 0 ? 0 : k / (2 * convexCount[f])).ToArray();
        foreach (var t in m.Energy.Terms) constant -= t.LowerBoundIn(grid, 1.0, share);
        foreach (var f in convex) kappa[f] -= share[f];
        return new CoercivityCertificate(kappa, constant, m.Energy.Factor, m.Energy.Offset, m.Energy.Shift.ToArray(), vol);
    }
}
