using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Guarantees;

/// <summary>
/// The gauges of the class (docs/theory.md, section 3.6): transformations of (K, E) that leave f = -K dE unchanged.
/// G1: E + c. G2: (K / lambda, lambda E), lambda &gt; 0. G3: E + mu . mass when the mass is a Casimir.
/// (G4 and G5 are not used: G4 is excluded for site-local K; G5 needs A dE = 0.)
/// </summary>
public static class Gauge
{
    /// <summary>G1: E + c.</summary>
    public static Model AddConstant(Model m, double c) => m with { Energy = m.Energy with { Offset = m.Energy.Offset + c } };

    /// <summary>G2: (K / lambda, lambda E).</summary>
    public static Model Rescale(Model m, double lambda)
    {
        if (!(lambda > 0) || !double.IsFinite(lambda)) throw new ArgumentException($"The gauge scale must be positive, got {lambda}.");
        return m with
        {
            Energy = m.Energy.Scale(lambda),
            Dissipation = m.Dissipation is null ? null : Unwrap(new Dissipation.Scaled(1 / lambda, m.Dissipation)),
            Conservation = m.Conservation is null ? null : Unwrap(new Conservation.Scaled(1 / lambda, m.Conservation)),
        };
    }

    // Fold repeated scalings into one so that representatives do not grow with every application.
    private static Dissipation Unwrap(Dissipation.Scaled s) =>
        s.Inner is Dissipation.Scaled inner && s.C is Param.Fixed && inner.C is Param.Fixed
            ? (s.C.Value * inner.C.Value == 1 ? inner.Inner : new Dissipation.Scaled(s.C.Value * inner.C.Value, inner.Inner))
            : s;

    private static Conservation Unwrap(Conservation.Scaled s) =>
        s.Inner is Conservation.Scaled inner && s.C is Param.Fixed && inner.C is Param.Fixed
            ? (s.C.Value * inner.C.Value == 1 ? inner.Inner : new Conservation.Scaled(s.C.Value * inner.C.Value, inner.Inner))
            : s;

    /// <summary>G3: E + sum_f mu_f integral u_f; only where the mass of every field is a Casimir (M 1 = W 1 = 0).</summary>
    public static Model ShiftCasimir(Model m, IReadOnlyList<double> mu)
    {
        if (!Structure.ConservesMass(m)) throw new ArgumentException("A Casimir shift needs a member that conserves mass (M 1 = W 1 = 0): this one does not.");
        if (mu.Count != m.Fields) throw new ArgumentException($"One shift per field ({m.Fields}), got {mu.Count}.");
        return m with { Energy = m.Energy with { Shift = Energy.AddShifts(m.Energy.Shift, mu.ToImmutableArray()) } };
    }

    /// <summary>
    /// The gauge representative: G2 makes the first anchor's coefficient times the energy factor 1; G3 (where mass
    /// is a Casimir) makes the mean of dE(0) zero on every field (F'(0) = 0 for site-local energies); G1 makes E(0) = 0.
    /// </summary>
    public static Model Representative(Model m)
    {
        double a0 = m.Energy.Anchors[0].Scale;
        var r = Rescale(m, 1 / (m.Energy.Factor * a0));
        using var scope = NewDisposeScope();
        var zero = zeros(r.Grid.Shape(1, r.Fields), ScalarType.Float64);
        if (Structure.ConservesMass(r))
        {
            using var c = Dynamics.Compile(r);
            var d0 = c.VariationalDerivative(zero).flatten(2).mean([2L]);
            var mean = d0.data<double>().ToArray();
            r = ShiftCasimir(r, mean.Select(x => -x).ToArray());
        }
        using var c2 = Dynamics.Compile(r);
        double e0 = c2.Energy(zero).item<double>();
        return AddConstant(r, -e0);
    }
}
