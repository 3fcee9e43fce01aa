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
            var (c, cc) = AnchorBound(a);
            kappa[a.On] += c;
            constant += cc * vol;
        }
        // Input-convex terms grow at most linearly: each takes a share of its field's anchor (Young's inequality).
        var convexCount = new int[m.Fields];
        foreach (var t in m.Energy.Terms) CountConvex(t, convexCount);
        var share = kappa.Select((k, f) => convexCount[f] == 0 ? 0 : k / (2 * convexCount[f])).ToArray();
        foreach (var t in m.Energy.Terms) constant -= TermLowerBound(t, grid, 1.0, share, kappa);
        return new CoercivityCertificate(kappa, constant, m.Energy.Factor, m.Energy.Offset, m.Energy.Shift.ToArray(), vol);
    }

    /// <summary>anchor(s) &gt;= c s^2 - C pointwise: (c, C).</summary>
    private static (double C, double Const) AnchorBound(Anchor a)
    {
        switch (a)
        {
            case Anchor.Quadratic q: return (q.A.Value / 2, 0);
            case Anchor.Quartic q: return (2 * q.A.Value, q.A.Value);                       // s^4 >= 2 s^2 - 1
            case Anchor.DoubleWell d:
            {
                double a0 = d.A.Value, w2 = d.Well.Value * d.Well.Value;                    // s^4 >= 2 t s^2 - t^2, t = w^2 + 1
                return (2 * a0, a0 * (2 * w2 + 1));
            }
            case Anchor.CoerciveNetwork c:
            {
                double a0 = c.A.Value;
                // a s^4 + c1 s + c2 s^2 + c3 s^3 - a s^2 >= min (certified), G >= -||w_out||_1
                double min = Polynomials.LowerBound([0, c.Cubic[0], c.Cubic[1] - a0, c.Cubic[2], a0]);
                return (a0, -min + c.G.OutputL1);
            }
            case Anchor.SineNetwork s: return (s.A.Value / 2, s.G.OutputL1);
            default: throw new NotSupportedException(a.GetType().Name);
        }
    }

    private static void CountConvex(EnergyTerm t, int[] count)
    {
        switch (t)
        {
            case EnergyTerm.InputConvex c: count[c.Field]++; break;
            case EnergyTerm.Scaled s: CountConvex(s.Term, count); break;
            case EnergyTerm.Sum s: foreach (var x in s.Terms) CountConvex(x, count); break;
        }
    }

    /// <summary>A certified lower bound of scale * term, after the input-convex terms took their share of kappa.</summary>
    private static double TermLowerBound(EnergyTerm t, Grid grid, double scale, double[] share, double[] kappa)
    {
        double vol = grid.Volume;
        switch (t)
        {
            case EnergyTerm.Quadratic or EnergyTerm.Gradient or EnergyTerm.Circulant: return 0;
            case EnergyTerm.Polynomial p: return scale * vol * Polynomials.LowerBound(p.Coefficients.Values);
            case EnergyTerm.LocalNetwork n: return -scale * vol * n.G.OutputL1;
            case EnergyTerm.LowModes l: return -scale * vol * l.G.OutputL1;
            case EnergyTerm.Dense d: return -scale * vol * d.G.OutputL1;
            case EnergyTerm.InputConvex c:
            {
                // scale C(s) >= scale C(0) - scale |C'(0)| |s| >= scale C(0) - q s^2 - scale^2 C'(0)^2 / (4 q)
                var (c0, c1) = ConvexAtZero(c);
                double q = share[c.Field];
                kappa[c.Field] -= q;
                return scale * c0 * vol - scale * scale * c1 * c1 * vol / (4 * q);
            }
            case EnergyTerm.Scaled s: return TermLowerBound(s.Term, grid, scale * s.C.Value, share, kappa);
            case EnergyTerm.Sum s: return s.Terms.Sum(x => TermLowerBound(x, grid, scale, share, kappa));
            case EnergyTerm.Custom c: return scale * c.Term.LowerBound(grid);
            default: throw new NotSupportedException(t.GetType().Name);
        }
    }

    private static (double Value, double Slope) ConvexAtZero(EnergyTerm.InputConvex c)
    {
        using var scope = NewDisposeScope();
        var store = new ParameterStore(ScalarType.Float64, CPU);
        var f = Pointwise.CompileConvex(c with { Weights = c.Weights with { Learned = false } }, store, "c");
        var s = zeros(1, dtype: ScalarType.Float64).requires_grad_(true);
        using var enabled = enable_grad();
        var y = f.Apply(s).sum();
        var g = autograd.grad([y], [s])[0];
        return (y.item<double>(), g.item<double>());
    }
}
