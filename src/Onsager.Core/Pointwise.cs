using static TorchSharp.torch;

namespace Onsager;

/// <summary>A compiled pointwise function s -> g(s) (elementwise on any tensor) with the way back to its value.</summary>
internal sealed record CompiledFunction<T>(Func<Tensor, Tensor> Apply, Func<T> Snapshot);

/// <summary>Compiles pointwise functions: polynomials, networks (free, bounded, positive heads), input-convex networks.</summary>
/// <summary>A compiled network: x (..., Inputs) -> (...), and for one input the sitewise derivative s -> G'(s).</summary>
internal sealed record CompiledNetwork(Func<Tensor, Tensor> Apply, Func<Tensor, Tensor>? Derivative, Func<Network> Snapshot);

internal static class Pointwise
{
    public static CompiledFunction<Scalar> Compile(Scalar s, ParameterStore store, string name) => s switch
    {
        Scalar.Constant c => Wrap<Scalar>(store.Scalar(c.C, Constraint.Free, name + ".c"), h => x => h.Get() * ones_like(x), h => new Scalar.Constant(h.Snapshot())),
        Scalar.Polynomial p => CompilePolynomial(p, store, name),
        Scalar.Net n => CompileNet<Scalar>(n.Network, store, name, net => new Scalar.Net(net)),
        _ => throw new NotSupportedException(s.GetType().Name)
    };

    private static CompiledFunction<T> Wrap<T>(ScalarHandle h, Func<ScalarHandle, Func<Tensor, Tensor>> f, Func<ScalarHandle, T> snap) =>
        new(f(h), () => snap(h));

    private static CompiledFunction<Scalar> CompilePolynomial(Scalar.Polynomial p, ParameterStore store, string name)
    {
        var c = store.Array(p.Coefficients, Constraint.Free, name + ".coefficients");
        return new(x => Horner(c.Get(), x, p.Coefficients.Length), () => new Scalar.Polynomial(c.Snapshot()));
    }

    /// <summary>sum_j c_j x^j by Horner's rule.</summary>
    public static Tensor Horner(Tensor c, Tensor x, int n)
    {
        var acc = c[n - 1] * ones_like(x);
        for (int j = n - 2; j >= 0; j--) acc = acc * x + c[j];
        return acc;
    }

    public static CompiledFunction<NonNegative> Compile(NonNegative s, ParameterStore store, string name)
    {
        switch (s)
        {
            case NonNegative.Constant c:
            {
                var h = store.Scalar(c.C, Constraint.Positive, name + ".c");
                return new(x => h.Get() * ones_like(x), () => new NonNegative.Constant(h.Snapshot()));
            }
            case NonNegative.Softplus p:
            {
                var inner = Compile(p.Inner, store, name);
                return new(x => nn.functional.softplus(inner.Apply(x)), () => new NonNegative.Softplus(inner.Snapshot()));
            }
            case NonNegative.Square p:
            {
                var inner = Compile(p.Inner, store, name);
                return new(x => inner.Apply(x).square(), () => new NonNegative.Square(inner.Snapshot()));
            }
            case NonNegative.AtLeast a:
            {
                var inner = Compile(a.Inner, store, name);
                return new(x => inner.Apply(x).clamp_min(a.Floor), () => new NonNegative.AtLeast(a.Floor, inner.Snapshot()));
            }
            case NonNegative.Net n:
                return CompileNet(n.Network, store, name, net => (NonNegative)new NonNegative.Net(net));
            default: throw new NotSupportedException(s.GetType().Name);
        }
    }

    /// <summary>A network applied to a trailing feature axis: x (..., Inputs) -> (...).</summary>
    public static (Func<Tensor, Tensor> Features, Func<Network> Snapshot) CompileNetwork(Network net, ParameterStore store, string name)
    {
        var c = CompileScalarNetwork(net, store, name);
        return (c.Apply, c.Snapshot);
    }

    /// <summary>
    /// A compiled network with, for one-input networks, its derivative in closed form by forward tangent propagation
    /// (dz_l = W_l dh_{l-1}, dh_l = act'(z_l) dz_l): about twice a forward pass, and first-order in the weights, so
    /// training through dE needs one backward pass instead of a double backward.
    /// </summary>
    public static CompiledNetwork CompileScalarNetwork(Network net, ParameterStore store, string name)
    {
        var w = store.Array(net.Weights, Constraint.Free, name + ".weights");
        int i = net.Inputs, width = net.Width, depth = net.Depth;
        (Tensor Y, Tensor? Dy) Run(Tensor x, bool tangent)
        {
            var all = w.Get();
            long offset = 0;
            Tensor Take(long count) { var t = all.narrow(0, offset, count); offset += count; return t; }
            var h = x;
            Tensor? dh = null;
            int fanIn = i;
            for (int l = 0; l < depth; l++)
            {
                var W = Take(fanIn * width).view(width, fanIn);
                var b = Take(width);
                var z = nn.functional.linear(h, W, b);
                Tensor? dz = !tangent ? null : l == 0 ? W.view(width) : nn.functional.linear(dh!, W);
                bool last = l == depth - 1;
                if (last && net.Head == Head.Bounded)
                {
                    h = z.sin();
                    if (tangent) dh = dz! * z.cos();
                }
                else
                {
                    var sig = z.sigmoid();
                    h = z * sig;
                    if (tangent) dh = dz! * (sig * (1 + z * (1 - sig)));   // silu'(z) = s (1 + z (1 - s))
                }
                fanIn = width;
            }
            var wOut = Take(width).view(1, width);
            Tensor? bOut = net.Head == Head.Bounded ? null : Take(1);
            var y = nn.functional.linear(h, wOut, bOut).squeeze(-1);
            Tensor? dy = tangent ? nn.functional.linear(dh!, wOut).squeeze(-1) : null;
            if (net.Head == Head.Positive)
            {
                if (tangent) dy = dy! * y.sigmoid();
                y = nn.functional.softplus(y);
            }
            return (y, dy);
        }
        Func<Tensor, Tensor>? derivative = i == 1 ? s => Run(s.unsqueeze(-1), true).Dy! : null;
        return new CompiledNetwork(x => Run(x, false).Y, derivative, () => net with { Weights = w.Snapshot() });
    }

    private static CompiledFunction<T> CompileNet<T>(Network net, ParameterStore store, string name, Func<Network, T> make)
    {
        var (f, snap) = CompileNetwork(net, store, name);
        return new(x => f(x.unsqueeze(-1)), () => make(snap()));
    }

    /// <summary>An input-convex network C(s), convex in s: softplus layers with non-negative hidden-to-hidden weights.</summary>
    public static CompiledFunction<EnergyTerm.InputConvex> CompileConvex(EnergyTerm.InputConvex c, ParameterStore store, string name)
    {
        var w = store.Array(c.Weights, Constraint.Free, name + ".weights");
        int width = c.Width;
        Tensor Forward(Tensor s)
        {
            var all = w.Get();
            long offset = 0;
            Tensor Take(long count) { var t = all.narrow(0, offset, count); offset += count; return t; }
            var x = s.unsqueeze(-1);
            var z = nn.functional.softplus(x * Take(width) + Take(width));
            for (int l = 1; l < c.Depth; l++)
            {
                var U = nn.functional.softplus(Take(width * width)).view(width, width);
                var Wl = Take(width);
                var b = Take(width);
                z = nn.functional.softplus(nn.functional.linear(z, U) + x * Wl + b);
            }
            var uOut = nn.functional.softplus(Take(width));
            var ws = Take(1);
            var bo = Take(1);
            return (z * uOut).sum(-1) + s * ws + bo;
        }
        return new(Forward, () => c with { Weights = w.Snapshot() });
    }
}
