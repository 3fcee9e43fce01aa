using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>A compiled energy piece: value per sample, its L2 gradient where the form is known, and its value back.</summary>
internal sealed record CompiledPiece<T>(Func<Tensor, Tensor> Value, Func<Tensor, Tensor>? Closed, Func<T> Snapshot)
{
    /// <summary>The structural parts the discrete gradient treats separately (quadratic, site-separable, general).</summary>
    public ImmutableArray<EnergyPart> Parts { get; init; } = [];

    /// <summary>dE with the closed form where a piece has one and autograd on the rest only (energies; null when all are closed).</summary>
    public Func<Tensor, bool, Tensor>? Mixed { get; init; }
}

/// <summary>How a part of the energy enters the discrete gradient.</summary>
internal enum PartKind { Quadratic, Density, General }

/// <summary>
/// One structural part of an energy. Quadratic: E = 1/2 &lt;u, L u&gt;_h with <see cref="Linear"/> = L u (and its Fourier
/// symbol on <see cref="Field"/> when L is a multiplier). Density: E = h sum F(u_field) with <see cref="Density"/> = F
/// applied sitewise. General: <see cref="Value"/>, and <see cref="Gradient"/> (its dE) where it has a closed form.
/// </summary>
internal sealed record EnergyPart(PartKind Kind, int Field, Func<Tensor, Tensor> Value,
                                  Func<Tensor, Tensor>? Linear = null, Func<Tensor, Tensor>? Density = null, Func<Tensor>? Symbol = null,
                                  Func<Tensor, Tensor>? DensityDerivative = null, Func<Tensor, Tensor>? Gradient = null)
{
    public EnergyPart Scale(Func<Tensor> c) => new(Kind, Field, u => c() * Value(u),
        Linear is null ? null : u => c() * Linear(u), Density is null ? null : s => c() * Density(s), Symbol is null ? null : () => c() * Symbol(),
        DensityDerivative is null ? null : s => c() * DensityDerivative(s), Gradient is null ? null : u => c() * Gradient(u));

    public EnergyPart Scale(double c) => c == 1 ? this : new(Kind, Field, u => Value(u).Times(c),
        Linear is null ? null : u => Linear(u).Times(c), Density is null ? null : s => Density(s).Times(c), Symbol is null ? null : () => Symbol().Times(c),
        DensityDerivative is null ? null : s => DensityDerivative(s).Times(c), Gradient is null ? null : u => Gradient(u).Times(c));
}

/// <summary>What compiling an energy piece needs: the grid, where its numbers live, its name, and the table its density
/// networks run on (null: at every site).</summary>
internal sealed record EnergyContext(Grid Grid, ParameterStore Store, string Name, Tabulation? Tabulation)
{
    /// <summary>The context of a part: its name extended.</summary>
    public EnergyContext Part(string suffix) => this with { Name = Name + suffix };
}

/// <summary>Compiles energies (each anchor and term compiles itself: Energy.cs). Every piece uses the same L2 scaling: E is a functional of u, dE = (1/h) grad_u E.</summary>
internal static class EnergyCompiler
{
    /// <summary>h * sum over the grid of a field (batch, x[, y]) -> (batch).</summary>
    public static Tensor Integrate(Tensor x, Grid g) =>
        (g.Dimensions == 1 ? x.sum(1) : x.sum([1L, 2L])).Times(g.CellVolume);

    private static Tensor Field(Tensor u, int f) => u.select(1, f);

    /// <summary>A full-shape tensor with <paramref name="d"/> on field f and zeros elsewhere.</summary>
    public static Tensor OnField(Tensor u, int f, Tensor d)
    {
        var parts = Enumerable.Range(0, (int)u.shape[1]).Select(i => i == f ? d : zeros_like(d)).ToArray();
        return stack(parts, 1);
    }

    /// <summary>Compile an energy; with a <paramref name="tabulation"/>, its density networks run on a table of nodes.</summary>
    public static CompiledPiece<Energy> Compile(Energy e, Grid grid, ParameterStore store, Tabulation? tabulation = null)
    {
        var anchors = e.Anchors.Select((a, i) => a.CompileIn(new EnergyContext(grid, store, $"anchor{i}", tabulation))).ToList();
        var terms = e.Terms.Select((t, i) => t.CompileIn(new EnergyContext(grid, store, $"term{i}", tabulation))).ToList();
        var pieces = anchors.Select(a => (a.Value, a.Closed)).Concat(terms.Select(t => (t.Value, t.Closed))).ToList();
        double factor = e.Factor, offset = e.Offset;
        var shift = e.Shift;

        Tensor Value(Tensor u)
        {
            Tensor total = pieces[0].Value(u);
            for (int i = 1; i < pieces.Count; i++) total = total.Plus(pieces[i].Value(u));
            total = total.Times(factor);
            for (int f = 0; f < shift.Length; f++)
                if (shift[f] != 0) total = total.Plus(Integrate(Field(u, f), grid).Times(shift[f]));
            return offset == 0 ? total : total.Plus(offset);
        }

        Func<Tensor, Tensor>? closed = null;
        if (pieces.All(p => p.Closed is not null))
            closed = u =>
            {
                Tensor d = pieces[0].Closed!(u);
                for (int i = 1; i < pieces.Count; i++) d = d.Plus(pieces[i].Closed!(u));
                return WithShift(d.Times(factor), u, shift);
            };

        // Networks and polynomials have closed forms; a low-mode term or a user term may not. Autograd then runs on those
        // pieces alone, so the cost of the pointwise network stays one forward tangent pass (and one backward in training).
        var known = pieces.Where(p => p.Closed is not null).Select(p => p.Closed!).ToList();
        var open = pieces.Where(p => p.Closed is null).Select(p => p.Value).ToList();
        Tensor Mixed(Tensor u, bool createGraph)
        {
            var d = AutogradGradient(open, u, grid, createGraph);
            foreach (var k in known) d = d.Plus(k(u));
            return WithShift(d.Times(factor), u, shift);
        }

        return new CompiledPiece<Energy>(Value, closed, () => new Energy(anchors.Select(a => a.Snapshot()).ToImmutableArray(), terms.Select(t => t.Snapshot()).ToImmutableArray())
        { Factor = factor, Offset = offset, Shift = shift })
        {
            Mixed = closed is null && known.Count > 0 ? Mixed : null,
            Parts = anchors.SelectMany(a => a.Parts).Concat(terms.SelectMany(t => t.Parts)).Select(p => p.Scale(factor)).ToImmutableArray()
        };
    }

    /// <summary>d plus the Casimir shifts' gradient (shift_f on field f).</summary>
    public static Tensor WithShift(Tensor d, Tensor u, ImmutableArray<double> shift)
    {
        for (int f = 0; f < shift.Length; f++)
            if (shift[f] != 0) d = d.Plus(OnField(u, f, Scalars.With(shift[f], value => full_like(Field(u, f), value))));
        return d;
    }

    /// <summary>dE of the sum of some energy pieces by autograd: (1/h) grad_u sum_batch E(u); with the graph when asked for.</summary>
    public static Tensor AutogradGradient(IReadOnlyList<Func<Tensor, Tensor>> values, Tensor u, Grid grid, bool createGraph)
    {
        using var enabled = enable_grad();
        var x = createGraph && u.requires_grad ? u : u.detach().requires_grad_(true);
        var e = values.Select(v => v(x)).Aggregate((a, b) => a.Plus(b)).sum();
        var d = autograd.grad([e], [x], retain_graph: createGraph, create_graph: createGraph)[0].Over(grid.CellVolume);
        return createGraph ? d : d.detach();
    }

    /// <summary>A site-separable piece integral F(u_f): value, closed derivative (if given) and its density part.</summary>
    internal static CompiledPiece<T> DensityPiece<T>(int f, Grid grid, Func<Tensor, Tensor> density, Func<Tensor, Tensor>? derivative, Func<T> snapshot)
    {
        Tensor Value(Tensor u) => Integrate(density(Field(u, f)), grid);
        Func<Tensor, Tensor>? closed = derivative is null ? null : u => OnField(u, f, derivative(Field(u, f)));
        return new CompiledPiece<T>(Value, closed, snapshot) { Parts = [new EnergyPart(PartKind.Density, f, Value, Density: density, DensityDerivative: derivative)] };
    }

    /// <summary>A quadratic piece 1/2 &lt;u_f, L u_f&gt;_h given L on the field and, where it is a multiplier, its symbol.</summary>
    internal static CompiledPiece<T> QuadraticPiece<T>(int f, Grid grid, Func<Tensor, Tensor> l, Func<Tensor>? symbol, Func<T> snapshot)
    {
        Tensor Value(Tensor u) { var s = Field(u, f); return Integrate(s * l(s), grid).Times(0.5); }
        Tensor Linear(Tensor u) => OnField(u, f, l(Field(u, f)));
        return new CompiledPiece<T>(Value, Linear, snapshot) { Parts = [new EnergyPart(PartKind.Quadratic, f, Value, Linear: Linear, Symbol: symbol)] };
    }

    internal static CompiledPiece<T> GeneralPiece<T>(Func<Tensor, Tensor> value, Func<Tensor, Tensor>? closed, Func<T> snapshot) =>
        new(value, closed, snapshot) { Parts = [new EnergyPart(PartKind.General, -1, value, Gradient: closed)] };

    /// <summary>A one-input network as a density: G and G' at every site, or tabulated (<see cref="Tabulation"/>).</summary>
    internal static (Func<Tensor, Tensor> Density, Func<Tensor, Tensor> Derivative) NetworkDensity(CompiledNetwork g, Tabulation? tabulation) =>
        tabulation is null ? (s => g.Apply(s.unsqueeze(-1)), g.Derivative!) : tabulation.Of(g.Jet!);

    private static Tensor GradientEnergy(Tensor s, Grid grid, Derivative d)
    {
        Tensor? total = null;
        for (int axis = 0; axis < grid.Dimensions; axis++)
        {
            var ds = d == Derivative.Forward ? Stencils.Forward(s.unsqueeze(1), grid, axis) : Spectral.Derivative(s.unsqueeze(1), grid, axis);
            var e = Integrate(ds.squeeze(1).Squared(), grid);
            total = total is null ? e : total.Plus(e);
        }
        return total!;
    }

    /// <summary>The L2 gradient of 1/2 |grad s|^2 with the given derivative: D^T D s summed over the axes.</summary>
    internal static Tensor GradientDerivative(Tensor s, Grid grid, Derivative d)
    {
        var x = s.unsqueeze(1);
        Tensor? total = null;
        for (int axis = 0; axis < grid.Dimensions; axis++)
        {
            var t = d == Derivative.Forward
                ? Stencils.ForwardTranspose(Stencils.Forward(x, grid, axis), grid, axis)
                : -Spectral.Derivative(Spectral.Derivative(x, grid, axis), grid, axis);
            total = total is null ? t : total.Plus(t);
        }
        return total!.squeeze(1);
    }

    /// <summary>Rows cos(2 pi k i / N) / N for k = 1..m, then -sin(2 pi k i / N) / N: the real and imaginary rfft coefficients over N.</summary>
    internal static double[] LowModeBasis(int modes, int n)
    {
        var b = new double[2 * modes * n];
        for (int k = 1; k <= modes; k++)
            for (int i = 0; i < n; i++)
            {
                double angle = 2 * Math.PI * ((long)k * i % n) / n;
                b[(k - 1) * n + i] = Math.Cos(angle) / n;
                b[(modes + k - 1) * n + i] = -Math.Sin(angle) / n;
            }
        return b;
    }
}
