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

/// <summary>Compiles energies. Every piece uses the same L2 scaling: E is a functional of u, dE = (1/h) grad_u E.</summary>
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
        var anchors = e.Anchors.Select((a, i) => CompileAnchor(a, grid, store, $"anchor{i}", tabulation)).ToList();
        var terms = e.Terms.Select((t, i) => CompileTerm(t, grid, store, $"term{i}", tabulation)).ToList();
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
    private static CompiledPiece<T> DensityPiece<T>(int f, Grid grid, Func<Tensor, Tensor> density, Func<Tensor, Tensor>? derivative, Func<T> snapshot)
    {
        Tensor Value(Tensor u) => Integrate(density(Field(u, f)), grid);
        Func<Tensor, Tensor>? closed = derivative is null ? null : u => OnField(u, f, derivative(Field(u, f)));
        return new CompiledPiece<T>(Value, closed, snapshot) { Parts = [new EnergyPart(PartKind.Density, f, Value, Density: density, DensityDerivative: derivative)] };
    }

    /// <summary>A quadratic piece 1/2 &lt;u_f, L u_f&gt;_h given L on the field and, where it is a multiplier, its symbol.</summary>
    private static CompiledPiece<T> QuadraticPiece<T>(int f, Grid grid, Func<Tensor, Tensor> l, Func<Tensor>? symbol, Func<T> snapshot)
    {
        Tensor Value(Tensor u) { var s = Field(u, f); return Integrate(s * l(s), grid).Times(0.5); }
        Tensor Linear(Tensor u) => OnField(u, f, l(Field(u, f)));
        return new CompiledPiece<T>(Value, Linear, snapshot) { Parts = [new EnergyPart(PartKind.Quadratic, f, Value, Linear: Linear, Symbol: symbol)] };
    }

    private static CompiledPiece<T> GeneralPiece<T>(Func<Tensor, Tensor> value, Func<Tensor, Tensor>? closed, Func<T> snapshot) =>
        new(value, closed, snapshot) { Parts = [new EnergyPart(PartKind.General, -1, value, Gradient: closed)] };

    /// <summary>A one-input network as a density: G and G' at every site, or tabulated (<see cref="Tabulation"/>).</summary>
    private static (Func<Tensor, Tensor> Density, Func<Tensor, Tensor> Derivative) NetworkDensity(CompiledNetwork g, Tabulation? tabulation) =>
        tabulation is null ? (s => g.Apply(s.unsqueeze(-1)), g.Derivative!) : tabulation.Of(g.Jet!);

    private static CompiledPiece<Anchor> CompileAnchor(Anchor a, Grid grid, ParameterStore store, string name, Tabulation? tabulation)
    {
        int modes = Spectral.ModeCount(grid);
        switch (a)
        {
            case Anchor.Quadratic q:
            {
                var h = store.Scalar(q.A, Constraint.Positive, name + ".a");
                return QuadraticPiece<Anchor>(q.Field, grid, s => h.Get() * s, () => h.Get() * ones(modes, store.DType, store.Device), () => q with { A = h.Snapshot() });
            }
            case Anchor.Quartic q:
            {
                var h = store.Scalar(q.A, Constraint.Positive, name + ".a");
                return DensityPiece<Anchor>(q.Field, grid, s => h.Get() * s.Power(4), s => h.Get().Times(4) * s.Power(3), () => q with { A = h.Snapshot() });
            }
            case Anchor.DoubleWell d:
            {
                var h = store.Scalar(d.A, Constraint.Positive, name + ".a");
                var w = store.Scalar(d.Well, Constraint.Free, name + ".well");
                return DensityPiece<Anchor>(d.Field, grid, s => h.Get() * (s.Squared() - w.Get().Squared()).Squared(),
                                            s => h.Get().Times(4) * s * (s.Squared() - w.Get().Squared()),
                                            () => d with { A = h.Snapshot(), Well = w.Snapshot() });
            }
            case Anchor.CoerciveNetwork c:
            {
                var h = store.Scalar(c.A, Constraint.Positive, name + ".a");
                var cubic = store.Array(c.Cubic, Constraint.Free, name + ".cubic");
                var g = Pointwise.CompileScalarNetwork(c.G, store, name + ".G");
                var (density, derivative) = NetworkDensity(g, tabulation);
                return DensityPiece<Anchor>(c.Field, grid, s =>
                {
                    var k = cubic.Get();
                    return (h.Get() * s.Power(4)).Plus(s * k[0].Plus(s * k[1].Plus(s * k[2]))).Plus(density(s));
                }, s =>
                {
                    var k = cubic.Get();
                    return (h.Get().Times(4) * s.Power(3)).Plus(k[0]).Plus(s * k[1].Times(2).Plus(s.Times(3) * k[2])).Plus(derivative(s));
                }, () => c with { A = h.Snapshot(), Cubic = cubic.Snapshot(), G = g.Snapshot() });
            }
            case Anchor.SineNetwork sn:
            {
                var h = store.Scalar(sn.A, Constraint.Positive, name + ".a");
                // Split into the quadratic a/2 s^2 (treated exactly and implicitly by DG and SBDF1) and the bounded density G.
                var g = Pointwise.CompileScalarNetwork(sn.G, store, name + ".G");
                var (density, derivative) = NetworkDensity(g, tabulation);
                var quad = QuadraticPiece<Anchor>(sn.Field, grid, s => h.Get() * s, () => h.Get() * ones(modes, store.DType, store.Device), () => sn);
                var dens = DensityPiece<Anchor>(sn.Field, grid, density, derivative, () => sn);
                return new CompiledPiece<Anchor>(u => quad.Value(u).Plus(dens.Value(u)), u => quad.Closed!(u).Plus(dens.Closed!(u)),
                                                 () => sn with { A = h.Snapshot(), G = g.Snapshot() }) { Parts = quad.Parts.AddRange(dens.Parts) };
            }
            default: throw new NotSupportedException(a.GetType().Name);
        }
    }

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

    private static Tensor GradientDerivative(Tensor s, Grid grid, Derivative d)
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
    private static double[] LowModeBasis(int modes, int n)
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

    internal static CompiledPiece<EnergyTerm> CompileTerm(EnergyTerm t, Grid grid, ParameterStore store, string name, Tabulation? tabulation)
    {
        int modes = Spectral.ModeCount(grid);
        switch (t)
        {
            case EnergyTerm.Quadratic q:
            {
                var h = store.Scalar(q.A, Constraint.Positive, name + ".a");
                return QuadraticPiece<EnergyTerm>(q.Field, grid, s => h.Get() * s, () => h.Get() * ones(modes, store.DType, store.Device), () => q with { A = h.Snapshot() });
            }
            case EnergyTerm.Gradient gr:
            {
                var k = store.Scalar(gr.Kappa, Constraint.Positive, name + ".kappa");
                var symbol = Symbols.Laplacian(grid, gr.Derivative == Derivative.Forward ? DifferenceKind.Forward : DifferenceKind.Spectral);
                return QuadraticPiece<EnergyTerm>(gr.Field, grid, s => k.Get() * GradientDerivative(s, grid, gr.Derivative),
                    () => k.Get() * tensor(symbol, store.DType, store.Device), () => gr with { Kappa = k.Snapshot() });
            }
            case EnergyTerm.Polynomial p:
            {
                // The leading coefficient stays positive (bounded below); the others are free.
                int n = p.Coefficients.Length;
                var lower = store.Array(p.Coefficients with { Values = p.Coefficients.Values.RemoveAt(n - 1) }, Constraint.Free, name + ".c");
                var lead = store.Scalar(p.Coefficients.Learned ? new Param.Learned(p.Coefficients[^1]) : new Param.Fixed(p.Coefficients[^1]), Constraint.Positive, name + ".lead");
                Tensor Coefficients() => n == 1 ? lead.Get().reshape(1) : cat([lower.Get(), lead.Get().reshape(1)]);
                return DensityPiece<EnergyTerm>(p.Field, grid, s => Pointwise.Horner(Coefficients(), s, n),
                    s =>
                    {
                        if (n == 1) return zeros_like(s);
                        var c = Coefficients();
                        var dc = c.narrow(0, 1, n - 1) * Scalars.Range(1, n, c.dtype, c.device);
                        return Pointwise.Horner(dc, s, n - 1);
                    },
                    () => p with { Coefficients = p.Coefficients.With(lower.Snapshot().Values.Add(lead.Snapshot().Value)) });
            }
            case EnergyTerm.LocalNetwork ln:
            {
                var g = Pointwise.CompileScalarNetwork(ln.G, store, name + ".G");
                var (density, derivative) = NetworkDensity(g, tabulation);
                return DensityPiece<EnergyTerm>(ln.Field, grid, density, derivative, () => ln with { G = g.Snapshot() });
            }
            case EnergyTerm.InputConvex ic:
            {
                var c = Pointwise.CompileConvex(ic, store, name);
                return DensityPiece<EnergyTerm>(ic.Field, grid, c.Apply, null, () => c.Snapshot());
            }
            case EnergyTerm.Circulant ci:
            {
                var sym = store.Array(ci.Symbol, Constraint.Positive, name + ".symbol");
                return QuadraticPiece<EnergyTerm>(ci.Field, grid,
                    s => Spectral.ApplyReal(s.unsqueeze(1), Spectral.Expand(sym.Get(), grid, false), grid).squeeze(1),
                    () => Spectral.Expand(sym.Get(), grid, false), () => ci with { Symbol = sym.Snapshot() });
            }
            case EnergyTerm.LowModes lm:
            {
                // E = |Omega| V(c), c = (Re, Im) of rfft modes 1..m over N = u B^T with B = [cos; -sin](2 pi k i / N) / N
                // (a small matmul instead of an FFT), so dE = (|Omega| / h) grad V(c) B in closed form: no autograd, and
                // training through dE needs one backward pass.
                var v = Pointwise.CompileScalarNetwork(lm.G, store, name + ".V");
                int f = lm.Field, n = grid.Points[0];
                var basis = store.Constant(LowModeBasis(lm.Modes, n)).view(2 * lm.Modes, n);
                return GeneralPiece<EnergyTerm>(u => v.Apply(Field(u, f).matmul(basis.t())).Times(grid.Volume),
                    u => OnField(u, f, v.InputGradient!(Field(u, f).matmul(basis.t())).matmul(basis).Times(grid.Volume / grid.CellVolume)),
                    () => lm with { G = v.Snapshot() });
            }
            case EnergyTerm.Dense de:
            {
                // |Omega| G(u): the same scaling as the low-mode term, so dE = (1/h) grad_u E stays O(1) per site.
                var (g, snap) = Pointwise.CompileNetwork(de.G, store, name + ".V");
                return GeneralPiece<EnergyTerm>(u => g(u.flatten(1)).Times(grid.Volume), null, () => de with { G = snap() });
            }
            case EnergyTerm.Scaled sc:
            {
                var c = store.Scalar(sc.C, Constraint.Positive, name + ".scale");
                var inner = CompileTerm(sc.Term, grid, store, name + ".inner", tabulation);
                return new CompiledPiece<EnergyTerm>(u => c.Get() * inner.Value(u),
                           inner.Closed is null ? null : u => c.Get() * inner.Closed(u),
                           () => new EnergyTerm.Scaled(c.Snapshot(), inner.Snapshot())) { Parts = inner.Parts.Select(x => x.Scale(c.Get)).ToImmutableArray() };
            }
            case EnergyTerm.Sum s:
            {
                var parts = s.Terms.Select((x, i) => CompileTerm(x, grid, store, $"{name}.{i}", tabulation)).ToList();
                return new CompiledPiece<EnergyTerm>(u => parts.Select(p => p.Value(u)).Aggregate((a, b) => a.Plus(b)),
                           parts.All(p => p.Closed is not null) ? u => parts.Select(p => p.Closed!(u)).Aggregate((a, b) => a.Plus(b)) : null,
                           () => new EnergyTerm.Sum(parts.Select(p => p.Snapshot()).ToImmutableArray())) { Parts = parts.SelectMany(p => p.Parts).ToImmutableArray() };
            }
            case EnergyTerm.Custom cu:
                return GeneralPiece<EnergyTerm>(u => cu.Term.Energy(u, grid),
                           cu.Term.HasVariationalDerivative ? u => cu.Term.VariationalDerivative(u, grid)
                               ?? throw new InvalidOperationException($"The custom term '{cu.Term.Formula}' promised a closed-form derivative and returned none.") : null,
                           () => cu);
            default: throw new NotSupportedException(t.GetType().Name);
        }
    }
}
