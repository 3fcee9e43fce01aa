using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>A compiled energy piece: value per sample, its L2 gradient where the form is known, and its value back.</summary>
internal sealed record CompiledPiece<T>(Func<Tensor, Tensor> Value, Func<Tensor, Tensor>? Closed, Func<T> Snapshot);

/// <summary>Compiles energies. Every piece uses the same L2 scaling: E is a functional of u, dE = (1/h) grad_u E.</summary>
internal static class EnergyCompiler
{
    /// <summary>h * sum over the grid of a field (batch, x[, y]) -> (batch).</summary>
    public static Tensor Integrate(Tensor x, Grid g) =>
        (g.Dimensions == 1 ? x.sum(1) : x.sum([1L, 2L])) * g.CellVolume;

    private static Tensor Field(Tensor u, int f) => u.select(1, f);

    /// <summary>A full-shape tensor with <paramref name="d"/> on field f and zeros elsewhere.</summary>
    public static Tensor OnField(Tensor u, int f, Tensor d)
    {
        var parts = Enumerable.Range(0, (int)u.shape[1]).Select(i => i == f ? d : zeros_like(d)).ToArray();
        return stack(parts, 1);
    }

    public static CompiledPiece<Energy> Compile(Energy e, Grid grid, ParameterStore store)
    {
        var anchors = e.Anchors.Select((a, i) => CompileAnchor(a, grid, store, $"anchor{i}")).ToList();
        var terms = e.Terms.Select((t, i) => CompileTerm(t, grid, store, $"term{i}")).ToList();
        var pieces = anchors.Select(a => (a.Value, a.Closed)).Concat(terms.Select(t => (t.Value, t.Closed))).ToList();
        double factor = e.Factor, offset = e.Offset;
        var shift = e.Shift;

        Tensor Value(Tensor u)
        {
            Tensor total = pieces[0].Value(u);
            for (int i = 1; i < pieces.Count; i++) total = total + pieces[i].Value(u);
            total = total * factor;
            for (int f = 0; f < shift.Length; f++)
                if (shift[f] != 0) total = total + shift[f] * Integrate(Field(u, f), grid);
            return offset == 0 ? total : total + offset;
        }

        Func<Tensor, Tensor>? closed = null;
        if (pieces.All(p => p.Closed is not null))
            closed = u =>
            {
                Tensor d = pieces[0].Closed!(u);
                for (int i = 1; i < pieces.Count; i++) d = d + pieces[i].Closed!(u);
                d = d * factor;
                for (int f = 0; f < shift.Length; f++)
                    if (shift[f] != 0) d = d + OnField(u, f, full_like(Field(u, f), shift[f]));
                return d;
            };

        return new(Value, closed, () => new Energy(anchors.Select(a => a.Snapshot()).ToImmutableArray(), terms.Select(t => t.Snapshot()).ToImmutableArray())
        { Factor = factor, Offset = offset, Shift = shift });
    }

    private static CompiledPiece<Anchor> CompileAnchor(Anchor a, Grid grid, ParameterStore store, string name)
    {
        switch (a)
        {
            case Anchor.Quadratic q:
            {
                var h = store.Scalar(q.A, Constraint.Positive, name + ".a");
                int f = q.Field;
                return new(u => 0.5 * h.Get() * Integrate(Field(u, f).square(), grid),
                           u => OnField(u, f, h.Get() * Field(u, f)),
                           () => q with { A = h.Snapshot() });
            }
            case Anchor.Quartic q:
            {
                var h = store.Scalar(q.A, Constraint.Positive, name + ".a");
                int f = q.Field;
                return new(u => h.Get() * Integrate(Field(u, f).pow(4), grid),
                           u => OnField(u, f, 4 * h.Get() * Field(u, f).pow(3)),
                           () => q with { A = h.Snapshot() });
            }
            case Anchor.DoubleWell d:
            {
                var h = store.Scalar(d.A, Constraint.Positive, name + ".a");
                var w = store.Scalar(d.Well, Constraint.Free, name + ".well");
                int f = d.Field;
                return new(u => h.Get() * Integrate((Field(u, f).square() - w.Get().square()).square(), grid),
                           u => { var s = Field(u, f); return OnField(u, f, 4 * h.Get() * s * (s.square() - w.Get().square())); },
                           () => d with { A = h.Snapshot(), Well = w.Snapshot() });
            }
            case Anchor.CoerciveNetwork c:
            {
                var h = store.Scalar(c.A, Constraint.Positive, name + ".a");
                var cubic = store.Array(c.Cubic, Constraint.Free, name + ".cubic");
                var (g, snap) = Pointwise.CompileNetwork(c.G, store, name + ".G");
                int f = c.Field;
                return new(u =>
                {
                    var s = Field(u, f);
                    var k = cubic.Get();
                    var density = h.Get() * s.pow(4) + s * (k[0] + s * (k[1] + s * k[2])) + g(s.unsqueeze(-1));
                    return Integrate(density, grid);
                }, null, () => c with { A = h.Snapshot(), Cubic = cubic.Snapshot(), G = snap() });
            }
            case Anchor.SineNetwork sn:
            {
                var h = store.Scalar(sn.A, Constraint.Positive, name + ".a");
                var (g, snap) = Pointwise.CompileNetwork(sn.G, store, name + ".G");
                int f = sn.Field;
                return new(u =>
                {
                    var s = Field(u, f);
                    return Integrate(0.5 * h.Get() * s.square() + g(s.unsqueeze(-1)), grid);
                }, null, () => sn with { A = h.Snapshot(), G = snap() });
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
            var e = Integrate(ds.squeeze(1).square(), grid);
            total = total is null ? e : total + e;
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
            total = total is null ? t : total + t;
        }
        return total!.squeeze(1);
    }

    internal static CompiledPiece<EnergyTerm> CompileTerm(EnergyTerm t, Grid grid, ParameterStore store, string name)
    {
        switch (t)
        {
            case EnergyTerm.Quadratic q:
            {
                var h = store.Scalar(q.A, Constraint.Positive, name + ".a");
                int f = q.Field;
                return new(u => 0.5 * h.Get() * Integrate(Field(u, f).square(), grid),
                           u => OnField(u, f, h.Get() * Field(u, f)),
                           () => q with { A = h.Snapshot() });
            }
            case EnergyTerm.Gradient gr:
            {
                var k = store.Scalar(gr.Kappa, Constraint.Positive, name + ".kappa");
                int f = gr.Field;
                return new(u => 0.5 * k.Get() * GradientEnergy(Field(u, f), grid, gr.Derivative),
                           u => OnField(u, f, k.Get() * GradientDerivative(Field(u, f), grid, gr.Derivative)),
                           () => gr with { Kappa = k.Snapshot() });
            }
            case EnergyTerm.Polynomial p:
            {
                // The leading coefficient stays positive (bounded below); the others are free.
                int n = p.Coefficients.Length;
                var lower = store.Array(p.Coefficients with { Values = p.Coefficients.Values.RemoveAt(n - 1) }, Constraint.Free, name + ".c");
                var lead = store.Scalar(p.Coefficients.Learned ? new Param.Learned(p.Coefficients[^1]) : new Param.Fixed(p.Coefficients[^1]), Constraint.Positive, name + ".lead");
                int f = p.Field;
                Tensor Coefficients() => n == 1 ? lead.Get().reshape(1) : cat([lower.Get(), lead.Get().reshape(1)]);
                return new(u => Integrate(Pointwise.Horner(Coefficients(), Field(u, f), n), grid),
                           u =>
                           {
                               if (n == 1) return zeros_like(u);
                               var c = Coefficients();
                               var dc = c.narrow(0, 1, n - 1) * arange(1, n, c.dtype, c.device);
                               return OnField(u, f, Pointwise.Horner(dc, Field(u, f), n - 1));
                           },
                           () => p with { Coefficients = p.Coefficients.With(lower.Snapshot().Values.Add(lead.Snapshot().Value)) });
            }
            case EnergyTerm.LocalNetwork ln:
            {
                var (g, snap) = Pointwise.CompileNetwork(ln.G, store, name + ".G");
                int f = ln.Field;
                return new(u => Integrate(g(Field(u, f).unsqueeze(-1)), grid), null, () => ln with { G = snap() });
            }
            case EnergyTerm.InputConvex ic:
            {
                var c = Pointwise.CompileConvex(ic, store, name);
                int f = ic.Field;
                return new(u => Integrate(c.Apply(Field(u, f)), grid), null, () => c.Snapshot());
            }
            case EnergyTerm.Circulant ci:
            {
                var sym = store.Array(ci.Symbol, Constraint.Positive, name + ".symbol");
                int f = ci.Field;
                Tensor Cu(Tensor s) => Spectral.ApplyReal(s.unsqueeze(1), Spectral.Expand(sym.Get(), grid, false), grid).squeeze(1);
                return new(u => { var s = Field(u, f); return 0.5 * Integrate(s * Cu(s), grid); },
                           u => OnField(u, f, Cu(Field(u, f))),
                           () => ci with { Symbol = sym.Snapshot() });
            }
            case EnergyTerm.LowModes lm:
            {
                var (g, snap) = Pointwise.CompileNetwork(lm.G, store, name + ".V");
                int f = lm.Field, n = grid.Points[0];
                return new(u =>
                {
                    var hat = fft.rfft(Field(u, f), dim: -1).narrow(-1, 1, lm.Modes) / n;
                    var features = cat([hat.real, hat.imag], -1);
                    return grid.Volume * g(features);
                }, null, () => lm with { G = snap() });
            }
            case EnergyTerm.Scaled sc:
            {
                var c = store.Scalar(sc.C, Constraint.Positive, name + ".scale");
                var inner = CompileTerm(sc.Term, grid, store, name + ".inner");
                return new(u => c.Get() * inner.Value(u),
                           inner.Closed is null ? null : u => c.Get() * inner.Closed(u),
                           () => new EnergyTerm.Scaled(c.Snapshot(), inner.Snapshot()));
            }
            case EnergyTerm.Sum s:
            {
                var parts = s.Terms.Select((x, i) => CompileTerm(x, grid, store, $"{name}.{i}")).ToList();
                return new(u => parts.Select(p => p.Value(u)).Aggregate((a, b) => a + b),
                           parts.All(p => p.Closed is not null) ? u => parts.Select(p => p.Closed!(u)).Aggregate((a, b) => a + b) : null,
                           () => new EnergyTerm.Sum(parts.Select(p => p.Snapshot()).ToImmutableArray()));
            }
            case EnergyTerm.Custom cu:
                return new(u => cu.Term.Energy(u, grid),
                           cu.Term.HasVariationalDerivative ? u => cu.Term.VariationalDerivative(u, grid)
                               ?? throw new InvalidOperationException($"The custom term '{cu.Term.Formula}' promised a closed-form derivative and returned none.") : null,
                           () => cu);
            default: throw new NotSupportedException(t.GetType().Name);
        }
    }
}
