using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>A compiled operator g -> K(u) g, (batch, field, x[, y]) in and out, with the way back to its value.</summary>
internal sealed record CompiledOperator<T>(Func<Tensor, Tensor, Tensor> Apply, Func<T> Snapshot)
{
    /// <summary>The operator's complex Fourier symbol (rfft layout) when it is a state-independent multiplier on a one-field member; else null.</summary>
    public Func<Tensor>? Symbol { get; init; }
}

/// <summary>The shared pieces of compiled operators (linear maps, circulants, symbols) and the entry points that compile
/// dissipations (symmetric PSD) and conservations (antisymmetric) into tensor functions.</summary>
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

    /// <summary>sum_j c_j S^(j + first) g along an axis (or its transpose).</summary>
    internal static Tensor Circulant(Tensor g, Tensor coefficients, int count, int first, int axis, bool transpose)
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
    internal static Tensor LowRankProduct(Tensor g, Tensor p, Tensor q, int rank)
    {
        long n = p.shape[0] / rank;
        var flat = g.reshape(-1, n);
        return flat.matmul(q.view(n, rank)).matmul(p.view(n, rank).t()).view(g.shape);
    }

    // ---- symbols ----

    /// <summary>The value of a constant non-negative function (for symbols), else null.</summary>
    internal static Func<Tensor>? ConstantOf(NonNegative s, CompiledFunction<NonNegative> f) =>
        s is NonNegative.Constant ? () => f.Apply(ones(1, float64)).squeeze() : null;

    /// <summary>sum_j c_j (S^j - S^-j): symbol 2 i sum_j c_j sin(j theta).</summary>
    internal static Tensor OddCirculantSymbol(Grid grid, Tensor c, int axis, ParameterStore store)
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
    internal static Func<Tensor>? CongruenceSymbol(Linear l, Func<Tensor>? inner, Grid grid, ParameterStore store)
    {
        if (inner is null || l is not Linear.Difference d) return null;
        var mag = tensor(Symbols.Difference(grid, d.Kind, d.Axis).Select(z => z.Magnitude * z.Magnitude).ToArray(), store.DType, store.Device);
        return () => inner() * Symbols.Real(mag);
    }

    // ---- entry points: each primitive compiles itself (Dissipation.cs; the combinators in Primitives.cs) ----

    public static CompiledOperator<Dissipation> Compile(Dissipation d, Grid grid, int fields, ParameterStore store, string name) =>
        d.CompileIn(new OperatorContext(grid, fields, store, name));

    public static CompiledOperator<Conservation> Compile(Conservation w, Grid grid, int fields, ParameterStore store, string name) =>
        w.CompileIn(new OperatorContext(grid, fields, store, name));
}
