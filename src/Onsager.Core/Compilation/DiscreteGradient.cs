using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Compilation;

/// <summary>
/// The discrete gradient dbarE(u, v) of a compiled member's energy, with &lt;dbarE(u, v), v - u&gt;_h = E(v) - E(u) and
/// dbarE(u, u) = dE(u) (docs/theory.md, section 8; McLachlan, Quispel &amp; Robidoux). Quadratic parts are exact: L (u + v)/2.
/// Site-separable parts use the AVF quotient (F(v_i) - F(u_i)) / (v_i - u_i) (exact for scalar sites), with F'(mid)
/// where |v_i - u_i| is below a threshold (both branches guarded so that autodiff never sees a NaN). Everything
/// else (low modes, user terms) gets Gonzalez's correction dE(mid) + [E(v) - E(u) - &lt;dE(mid), d&gt;] d / |d|^2.
/// </summary>
public static class DiscreteGradient
{
    /// <summary>Relative threshold below which the AVF quotient is replaced by F'(midpoint): error O(F''' tau^2).</summary>
    public const double Threshold = 1e-7;

    /// <summary>The discrete gradient of the model's energy between the states u and v.</summary>
    public static Tensor Of(CompiledModel m, Tensor u, Tensor v, bool createGraph = false) =>
        WithQuadratic(m, Nonlinear(m, u, v, createGraph), u, v);

    /// <summary>
    /// dbarE(u, v) - L (u + v)/2: the discrete gradient of every part but the quadratic one, computed without L. Steps that
    /// treat L in Fourier space need it so: subtracting L (u + v)/2 in real space loses eps |L| |u| to cancellation, which
    /// for |dt K L| = 1e16 is larger than the state. At v = u it is dE(u) - L u (<see cref="CompiledModel.NonlinearPart"/>).
    /// </summary>
    public static Tensor Nonlinear(CompiledModel m, Tensor u, Tensor v, bool createGraph = false) =>
        ReferenceEquals(u, v) ? m.NonlinearPart(u, createGraph) : Quotients(m, u, v, createGraph, start: null);

    /// <summary>What dbarE(u, v) needs from u alone, evaluated once for the many v of one solve: F(u) of each density part
    /// (null where densities are tabulated, since a table spans both states of one call) and E(u) of the general parts.</summary>
    internal sealed record Start(Tensor U, ImmutableArray<Tensor?> Densities, Tensor? General);

    /// <summary>The <see cref="Start"/> of u (no graph: rollout solves only).</summary>
    internal static Start At(CompiledModel m, Tensor u)
    {
        var parts = m.EnergyParts;
        var densities = parts.Where(p => p.Kind == PartKind.Density)
                             .Select(p => m.Tabulated ? null : p.Density!(u.select(1, p.Field))).ToImmutableArray();
        var general = parts.Where(p => p.Kind == PartKind.General).ToList();
        return new Start(u, densities, general.Count > 0 ? GeneralValue(general, u) : null);
    }

    /// <summary>dbarE_N(u, v) from the start u evaluated once.</summary>
    internal static Tensor Nonlinear(CompiledModel m, Start start, Tensor v) =>
        ReferenceEquals(start.U, v) ? m.NonlinearPart(v) : Quotients(m, start.U, v, createGraph: false, start);

    /// <summary>dbarE(u, v) from the start u evaluated once.</summary>
    internal static Tensor Of(CompiledModel m, Start start, Tensor v) => WithQuadratic(m, Nonlinear(m, start, v), start.U, v);

    private static Tensor WithQuadratic(CompiledModel m, Tensor nonlinear, Tensor u, Tensor v)
    {
        var mid = u.Plus(v).Times(0.5);
        foreach (var p in m.EnergyParts.Where(p => p.Kind == PartKind.Quadratic)) nonlinear = nonlinear.Plus(p.Linear!(mid));
        return nonlinear;
    }

    private static Tensor Quotients(CompiledModel m, Tensor u, Tensor v, bool createGraph, Start? start)
    {
        var mid = u.Plus(v).Times(0.5);
        var d = v - u;
        Tensor acc = zeros_like(u);
        var parts = m.EnergyParts;
        int density = 0;
        foreach (var p in parts.Where(p => p.Kind == PartKind.Density))
            acc = acc.Plus(EnergyCompiler.OnField(u, p.Field, Avf(p.Density!, p.DensityDerivative, u.select(1, p.Field), v.select(1, p.Field), createGraph,
                                                                  start?.Densities[density++])));
        acc = EnergyCompiler.WithShift(acc, u, m.Shift);
        var general = parts.Where(p => p.Kind == PartKind.General).ToList();
        if (general.Count > 0) acc = acc.Plus(Gonzalez(m, general, u, v, mid, d, createGraph, start?.General));
        return acc;
    }

    /// <summary>Sitewise (F(v) - F(u)) / (v - u), or F'(mid) where the difference is tiny; F(u) = <paramref name="atA"/> when given.</summary>
    private static Tensor Avf(Func<Tensor, Tensor> f, Func<Tensor, Tensor>? derivative, Tensor a, Tensor b, bool createGraph, Tensor? atA = null)
    {
        var diff = b - a;
        var mid = a.Plus(b).Times(0.5);
        var tau = a.abs().Plus(1).Plus(b.abs()).Times(Threshold);
        var small = diff.abs() < tau;
        var safe = where(small, ones_like(diff), diff);
        Tensor quotient;
        if (atA is not null) quotient = (f(b) - atA) / safe;
        else
        {
            var both = f(stack([a, b]));   // one call, so a tabulated density uses one table for both states
            quotient = (both[1] - both[0]) / safe;
        }
        // The derivative branch costs a pass: skip it when no site needs it (the common case in a step, where v - u is
        // far above the threshold) unless a graph is wanted (training differentiates through both branches).
        if (!createGraph && !small.any().item<bool>()) return quotient;
        var slope = derivative is not null ? derivative(mid) : PointwiseDerivative(f, mid, createGraph);
        return where(small, slope, quotient);
    }

    /// <summary>F'(s) by autograd of the sitewise density.</summary>
    public static Tensor PointwiseDerivative(Func<Tensor, Tensor> f, Tensor s, bool createGraph)
    {
        using var enabled = enable_grad();
        var x = s.requires_grad ? s : s.detach().requires_grad_(true);
        var y = f(x).sum();
        var g = autograd.grad([y], [x], retain_graph: createGraph, create_graph: createGraph)[0];
        return createGraph ? g : g.detach();
    }

    private static Tensor GeneralValue(List<EnergyPart> parts, Tensor x) => parts.Select(p => p.Value(x)).Aggregate((a, b) => a.Plus(b));

    private static Tensor Gonzalez(CompiledModel m, List<EnergyPart> parts, Tensor u, Tensor v, Tensor mid, Tensor d, bool createGraph, Tensor? atU = null)
    {
        Tensor Value(Tensor x) => GeneralValue(parts, x);
        Tensor grad;
        using (enable_grad())
        {
            var x = mid.requires_grad ? mid : mid.detach().requires_grad_(true);
            var e = Value(x).sum();
            grad = autograd.grad([e], [x], retain_graph: createGraph, create_graph: createGraph)[0].Over(m.Grid.CellVolume);
            if (!createGraph) grad = grad.detach();
        }
        var dd = m.Inner(d, d);
        var gap = Value(v) - (atU ?? Value(u)) - m.Inner(grad, d);
        var tiny = Scalars.With(1e-300, least => dd <= least);
        var coeff = where(tiny, zeros_like(dd), gap / where(tiny, ones_like(dd), dd));
        return grad.Plus(coeff.reshape(new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)u.dim() - 1)).ToArray()) * d);
    }
}
