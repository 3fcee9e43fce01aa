using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>A compiled operator g -> K(u) g, (batch, field, x[, y]) in and out, with the way back to its value.</summary>
internal sealed record CompiledOperator<T>(Func<Tensor, Tensor, Tensor> Apply, Func<T> Snapshot)
{
    /// <summary>The operator's complex Fourier symbol (rfft layout) when it is a state-independent multiplier on a one-field member; else null.</summary>
    public Func<Tensor>? Symbol { get; init; }
}

/// <summary>Compiles dissipations (symmetric PSD) and conservations (antisymmetric) into tensor functions.</summary>
internal static class OperatorCompiler
{
    // ---- linear maps ----

    public static Tensor ApplyLinear(Linear l, Tensor x, Grid g) => l switch
    {
        Linear.Difference d => Stencils.Apply(d.Kind, x, g, d.Axis),
        Linear.Select s => x.narrow(1, s.Field, 1),
        Linear.Compose c => ApplyLinear(c.Outer, ApplyLinear(c.Inner, x, g), g),
        _ => throw new NotSupportedException(l.GetType().Name)
    };

    public static Tensor ApplyLinearTranspose(Linear l, Tensor y, Grid g, int fields) => l switch
    {
        Linear.Difference d => Stencils.ApplyTranspose(d.Kind, y, g, d.Axis),
        Linear.Select s => EnergyCompiler.OnField(zeros(g.Shape(y.shape[0], fields), y.dtype, y.device), s.Field, y.squeeze(1)),
        Linear.Compose c => ApplyLinearTranspose(c.Inner, ApplyLinearTranspose(c.Outer, y, g, Structure.OutputFields(c.Inner, fields)), g, fields),
        _ => throw new NotSupportedException(l.GetType().Name)
    };

    /// <summary>The state the inner operator of a congruence sees: field selections map it, derivatives leave it.</summary>
    public static Tensor MapState(Linear l, Tensor u) => l switch
    {
        Linear.Select s => u.narrow(1, s.Field, 1),
        Linear.Compose c => MapState(c.Outer, MapState(c.Inner, u)),
        _ => u
    };

    private static Tensor Circulant(Tensor g, Tensor coefficients, int count, int first, int axis, bool transpose)
    {
        Tensor? acc = null;
        for (int j = 0; j < count; j++)
        {
            var t = coefficients[j] * Stencils.Shift(g, transpose ? -(j + first) : j + first, axis);
            acc = acc is null ? t : acc.Plus(t);
        }
        return acc ?? zeros_like(g);
    }

    /// <summary>P Q^T g for dense n x rank factors (row-major), g (batch, field, x[, y]) flattened to n = fields x sites.</summary>
    private static Tensor LowRankProduct(Tensor g, Tensor p, Tensor q, int rank)
    {
        long n = p.shape[0] / rank;
        var flat = g.reshape(-1, n);
        return flat.matmul(q.view(n, rank)).matmul(p.view(n, rank).t()).view(g.shape);
    }

    // ---- symbols ----

    /// <summary>The value of a constant non-negative function (for symbols), else null.</summary>
    private static Func<Tensor>? ConstantOf(NonNegative s, CompiledFunction<NonNegative> f) =>
        s is NonNegative.Constant ? () => f.Apply(ones(1, float64)).squeeze() : null;

    /// <summary>sum_j c_j (S^j - S^-j): symbol 2 i sum_j c_j sin(j theta).</summary>
    private static Tensor OddCirculantSymbol(Grid grid, Tensor c, int axis, ParameterStore store)
    {
        var theta = tensor(Symbols.Angles(grid, axis), store.DType, store.Device);
        Tensor? acc = null;
        for (int j = 0; j < c.shape[0]; j++)
        {
            var t = c[j].Times(2) * theta.Times(j + 1).sin();
            acc = acc is null ? t : acc.Plus(t);
        }
        return complex(zeros_like(acc!), acc!);
    }

    /// <summary>L^T K L for a difference L: |d(k)|^2 times the inner symbol.</summary>
    private static Func<Tensor>? CongruenceSymbol(Linear l, Func<Tensor>? inner, Grid grid, ParameterStore store)
    {
        if (inner is null || l is not Linear.Difference d) return null;
        var mag = tensor(Symbols.Difference(grid, d.Kind, d.Axis).Select(z => z.Magnitude * z.Magnitude).ToArray(), store.DType, store.Device);
        return () => inner() * Symbols.Real(mag);
    }

    // ---- dissipation ----

    public static CompiledOperator<Dissipation> Compile(Dissipation d, Grid grid, int fields, ParameterStore store, string name)
    {
        switch (d)
        {
            case Dissipation.Multiplier m:
            {
                var theta = store.Array(m.Theta, Constraint.Free, name + ".theta");
                // theta * theta, not square(): see Pointwise.Curvature (this symbol is built at every training step).
                Tensor Symbol() { var t = Spectral.Expand(theta.Get(), grid, false); return t * t; }
                return new((u, g) => Spectral.ApplyReal(g, Symbol(), grid),
                           () => m with { Theta = theta.Snapshot() }) { Symbol = () => Symbols.Real(Symbol()) };
            }
            case Dissipation.Mobility mo:
            {
                var f = Pointwise.Compile(mo.M, store, name + ".m");
                var c = ConstantOf(mo.M, f);
                return new((u, g) => f.Apply(u) * g, () => new Dissipation.Mobility(f.Snapshot()))
                { Symbol = c is null ? null : () => Symbols.Real(c() * ones(Spectral.ModeCount(grid), store.DType, store.Device)) };
            }
            case Dissipation.Divergence dv:
            {
                var f = Pointwise.Compile(dv.M, store, name + ".m");
                return new((u, g) =>
                {
                    Tensor? acc = null;
                    for (int axis = 0; axis < grid.Dimensions; axis++)
                    {
                        var t = Stencils.ForwardTranspose(f.Apply(Stencils.HalfPoint(u, axis)) * Stencils.Forward(g, grid, axis), grid, axis);
                        acc = acc is null ? t : acc.Plus(t);
                    }
                    return acc!;
                }, () => new Dissipation.Divergence(f.Snapshot()))
                {
                    Symbol = ConstantOf(dv.M, f) is { } c ? () => Symbols.Real(c() * tensor(Symbols.Laplacian(grid, DifferenceKind.Forward), store.DType, store.Device)) : null
                };
            }
            case Dissipation.Banded b:
            {
                var c = store.Array(b.B, Constraint.Free, name + ".b");
                int n = b.B.Length;
                return new((u, g) => Circulant(Circulant(g, c.Get(), n, 0, b.Axis, true), c.Get(), n, 0, b.Axis, false),
                           () => b with { B = c.Snapshot() })
                {
                    Symbol = () =>
                    {
                        var s = Symbols.ToTensor(Symbols.Circulant(grid, c.Get().detach().cpu().data<double>().ToArray(), 0, b.Axis), store.DType, store.Device);
                        return Symbols.Real(s.abs().Squared());
                    }
                };
            }
            case Dissipation.LowRank lr:
            {
                var beta = store.Scalar(lr.Beta, Constraint.Positive, name + ".beta");
                var b = store.Array(lr.B, Constraint.Free, name + ".B");
                return new((u, g) => (beta.Get() * g).Plus(LowRankProduct(g, b.Get(), b.Get(), lr.Rank)),
                           () => lr with { Beta = beta.Snapshot(), B = b.Snapshot() });
            }
            case Dissipation.Sum s:
            {
                var parts = s.Terms.Select((t, i) => Compile(t, grid, fields, store, $"{name}.{i}")).ToList();
                return new((u, g) => parts.Select(p => p.Apply(u, g)).Aggregate((a, b) => a.Plus(b)),
                           () => new Dissipation.Sum(parts.Select(p => p.Snapshot()).ToImmutableArray()))
                { Symbol = parts.All(p => p.Symbol is not null) ? () => parts.Select(p => p.Symbol!()).Aggregate((a, b) => a.Plus(b)) : null };
            }
            case Dissipation.Scaled sc:
            {
                var c = store.Scalar(sc.C, Constraint.Positive, name + ".scale");
                var inner = Compile(sc.Inner, grid, fields, store, name + ".inner");
                return new((u, g) => c.Get() * inner.Apply(u, g), () => new Dissipation.Scaled(c.Snapshot(), inner.Snapshot()))
                { Symbol = inner.Symbol is null ? null : () => c.Get() * inner.Symbol() };
            }
            case Dissipation.Weighted w:
            {
                var s = Pointwise.Compile(w.S, store, name + ".s");
                var inner = Compile(w.Inner, grid, fields, store, name + ".inner");
                return new((u, g) => { var su = s.Apply(u); return su * inner.Apply(u, su * g); },
                           () => new Dissipation.Weighted(s.Snapshot(), inner.Snapshot()))
                { Symbol = ConstantOf(w.S, s) is { } c && inner.Symbol is not null ? () => c().Squared() * inner.Symbol() : null };
            }
            case Dissipation.Congruence c:
            {
                var inner = Compile(c.Inner, grid, Structure.OutputFields(c.L, fields), store, name + ".inner");
                return new((u, g) => ApplyLinearTranspose(c.L, inner.Apply(MapState(c.L, u), ApplyLinear(c.L, g, grid)), grid, fields),
                           () => new Dissipation.Congruence(c.L, inner.Snapshot()))
                { Symbol = CongruenceSymbol(c.L, inner.Symbol, grid, store) };
            }
            case Dissipation.Custom cu:
                return new((u, g) => cu.Operator.Apply(u, g, grid), () => cu);
            default: throw new NotSupportedException(d.GetType().Name);
        }
    }

    // ---- conservation ----

    public static CompiledOperator<Conservation> Compile(Conservation w, Grid grid, int fields, ParameterStore store, string name)
    {
        switch (w)
        {
            case Conservation.Multiplier m:
            {
                var phi = store.Array(m.Phi, Constraint.Free, name + ".phi");
                return new((u, g) => Spectral.ApplyImaginary(g, Spectral.Expand(phi.Get(), grid, true), grid),
                           () => m with { Phi = phi.Snapshot() })
                { Symbol = () => { var p = Spectral.Expand(phi.Get(), grid, true); return complex(zeros_like(p), p); } };
            }
            case Conservation.Stencil st:
            {
                var c = store.Array(st.C, Constraint.Free, name + ".c");
                double scale = Math.Pow(grid.Spacing(st.Axis), -st.Order);
                int n = st.C.Length;
                return new((u, g) => (Circulant(g, c.Get(), n, 1, st.Axis, false) - Circulant(g, c.Get(), n, 1, st.Axis, true)).Times(scale),
                           () => st with { C = c.Snapshot() }) { Symbol = () => OddCirculantSymbol(grid, c.Get(), st.Axis, store).Times(scale) };
            }
            case Conservation.Advection a:
            {
                var b = Pointwise.Compile(a.B, store, name + ".b");
                return new((u, g) =>
                {
                    var bu = b.Apply(u);
                    return (bu * Stencils.Apply(a.Derivative, g, grid, a.Axis)).Plus(Stencils.Apply(a.Derivative, bu * g, grid, a.Axis)).Times(0.5);
                }, () => new Conservation.Advection(b.Snapshot(), a.Axis, a.Derivative));
            }
            case Conservation.Banded ba:
            {
                var c = store.Array(ba.A, Constraint.Free, name + ".a");
                int n = ba.A.Length;
                return new((u, g) => Circulant(g, c.Get(), n, 1, ba.Axis, false) - Circulant(g, c.Get(), n, 1, ba.Axis, true),
                           () => ba with { A = c.Snapshot() }) { Symbol = () => OddCirculantSymbol(grid, c.Get(), ba.Axis, store) };
            }
            case Conservation.LowRank lr:
            {
                var b = store.Array(lr.B, Constraint.Free, name + ".B");
                var c = store.Array(lr.C, Constraint.Free, name + ".C");
                return new((u, g) => LowRankProduct(g, b.Get(), c.Get(), lr.Rank) - LowRankProduct(g, c.Get(), b.Get(), lr.Rank),
                           () => lr with { B = b.Snapshot(), C = c.Snapshot() });
            }
            case Conservation.Symplectic sy:
                return new((u, g) =>
                {
                    var parts = Enumerable.Range(0, fields).Select(f =>
                        f == sy.Q ? -g.select(1, sy.P) : f == sy.P ? g.select(1, sy.Q) : zeros_like(g.select(1, f))).ToArray();
                    return stack(parts, 1);
                }, () => sy);
            case Conservation.Coupling co:
                return new((u, g) =>
                {
                    var d = Stencils.Apply(co.D, g, grid, co.Axis);
                    var parts = Enumerable.Range(0, fields).Select(f =>
                        f == co.A ? d.select(1, co.B) : f == co.B ? d.select(1, co.A) : zeros_like(g.select(1, f))).ToArray();
                    return stack(parts, 1);
                }, () => co);
            case Conservation.Sum s:
            {
                var parts = s.Terms.Select((t, i) => Compile(t, grid, fields, store, $"{name}.{i}")).ToList();
                return new((u, g) => parts.Select(p => p.Apply(u, g)).Aggregate((a, b) => a.Plus(b)),
                           () => new Conservation.Sum(parts.Select(p => p.Snapshot()).ToImmutableArray()))
                { Symbol = parts.All(p => p.Symbol is not null) ? () => parts.Select(p => p.Symbol!()).Aggregate((a, b) => a.Plus(b)) : null };
            }
            case Conservation.Scaled sc:
            {
                var c = store.Scalar(sc.C, Constraint.Free, name + ".scale");
                var inner = Compile(sc.Inner, grid, fields, store, name + ".inner");
                return new((u, g) => c.Get() * inner.Apply(u, g), () => new Conservation.Scaled(c.Snapshot(), inner.Snapshot()))
                { Symbol = inner.Symbol is null ? null : () => c.Get() * inner.Symbol() };
            }
            case Conservation.Congruence c:
            {
                var inner = Compile(c.Inner, grid, Structure.OutputFields(c.L, fields), store, name + ".inner");
                return new((u, g) => ApplyLinearTranspose(c.L, inner.Apply(MapState(c.L, u), ApplyLinear(c.L, g, grid)), grid, fields),
                           () => new Conservation.Congruence(c.L, inner.Snapshot()))
                { Symbol = CongruenceSymbol(c.L, inner.Symbol, grid, store) };
            }
            case Conservation.Custom cu:
                return new((u, g) => cu.Operator.Apply(u, g, grid), () => cu);
            default: throw new NotSupportedException(w.GetType().Name);
        }
    }
}
