using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>A compiled pointwise function s -> g(s) (elementwise on any tensor) with the way back to its value.</summary>
internal sealed record CompiledFunction<T>(Func<Tensor, Tensor> Apply, Func<T> Snapshot);

/// <summary>A compiled network: x (..., Inputs) -> (...), and for one input the sitewise derivative s -> G'(s).</summary>
internal sealed record CompiledNetwork(Func<Tensor, Tensor> Apply, Func<Tensor, Tensor>? Derivative, Func<Network> Snapshot)
{
    /// <summary>For one input: s -> (G, G', G'') sitewise, in one pass with two forward tangents.</summary>
    public Func<Tensor, NetworkJet>? Jet { get; init; }

    /// <summary>x (..., Inputs) -> the gradient of G in its inputs (..., Inputs), in closed form.</summary>
    public Func<Tensor, Tensor>? InputGradient { get; init; }
}

/// <summary>A network's value with, where asked for, its first and second derivatives in its one input.</summary>
internal sealed record NetworkJet(Tensor Value, Tensor? Slope, Tensor? Curvature);

/// <summary>Compiles pointwise functions: polynomials, networks (free, bounded, positive heads), input-convex networks.</summary>
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
        for (int j = n - 2; j >= 0; j--) acc = (acc * x).Plus(c[j]);
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
                return new(x => inner.Apply(x).Softplus(), () => new NonNegative.Softplus(inner.Snapshot()));
            }
            case NonNegative.Square p:
            {
                var inner = Compile(p.Inner, store, name);
                return new(x => inner.Apply(x).Squared(), () => new NonNegative.Square(inner.Snapshot()));
            }
            case NonNegative.AtLeast a:
            {
                var inner = Compile(a.Inner, store, name);
                return new(x => inner.Apply(x).AtLeast(a.Floor), () => new NonNegative.AtLeast(a.Floor, inner.Snapshot()));
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
    /// A compiled network with, for one-input networks, its first and second derivatives in closed form by forward
    /// tangent propagation (dz_l = W_l dh_{l-1}, dh_l = act'(z_l) dz_l, d2h_l = act''(z_l) dz_l^2 + act'(z_l) d2z_l):
    /// the first derivative costs about twice a forward pass and is first-order in the weights, so training through
    /// dE needs one backward pass instead of a double backward; the second feeds tabulation (<see cref="Tabulation"/>).
    /// For any number of inputs, the gradient in the inputs by one reverse sweep written out (g_{l-1} = W_l^T (act'(z_l) g_l)).
    /// </summary>
    public static CompiledNetwork CompileScalarNetwork(Network net, ParameterStore store, string name)
    {
        var w = store.Array(net.Weights, Constraint.Free, name + ".weights");
        int i = net.Inputs, width = net.Width, depth = net.Depth;
        // The weights as layers (W_l, b_l) and the output row (wOut, bOut; no bias under a bounded head).
        (List<(Tensor W, Tensor B)> Hidden, Tensor WOut, Tensor? BOut) Layers()
        {
            var all = w.Get();
            long offset = 0;
            Tensor Take(long count) { var t = all.narrow(0, offset, count); offset += count; return t; }
            var hidden = new List<(Tensor, Tensor)>();
            for (int l = 0, fanIn = i; l < depth; l++, fanIn = width) hidden.Add((Take(fanIn * width).view(width, fanIn), Take(width)));
            var wOut = Take(width).view(1, width);
            return (hidden, wOut, net.Head == Head.Bounded ? null : Take(1));
        }
        bool SineAt(int l) => l == depth - 1 && net.Head == Head.Bounded;
        // order 0: value; 1: value and slope; 2: value, slope and curvature (one input only for orders 1 and 2).
        NetworkJet Run(Tensor x, int order)
        {
            var (hidden, wOut, bOut) = Layers();
            var h = x;
            Tensor? dh = null, d2h = null;
            for (int l = 0; l < depth; l++)
            {
                var (W, b) = hidden[l];
                var z = nn.functional.linear(h, W, b);
                Tensor? dz = order < 1 ? null : l == 0 ? W.view(width) : nn.functional.linear(dh!, W);
                Tensor? d2z = order < 2 || l == 0 ? null : nn.functional.linear(d2h!, W);   // the first layer is affine in x
                if (SineAt(l))
                {
                    h = z.sin();
                    if (order >= 1) { var c = z.cos(); dh = dz! * c; if (order >= 2) d2h = Curvature(-h, c, dz!, d2z); }
                }
                else
                {
                    var sig = z.sigmoid();
                    h = z * sig;
                    if (order >= 1)
                    {
                        var slope = SiluSlope(z, sig);
                        dh = dz! * slope;
                        if (order >= 2) d2h = Curvature(sig * sig.SubtractedFrom(1) * (z * sig.Times(2).SubtractedFrom(1)).Plus(2), slope, dz!, d2z);   // silu''(z) = s (1 - s) (2 + z (1 - 2 s))
                    }
                }
            }
            var y = nn.functional.linear(h, wOut, bOut).squeeze(-1);
            Tensor? dy = order >= 1 ? nn.functional.linear(dh!, wOut).squeeze(-1) : null;
            Tensor? d2y = order >= 2 ? nn.functional.linear(d2h!, wOut).squeeze(-1) : null;
            if (net.Head == Head.Positive)
            {
                var sig = y.sigmoid();   // softplus' = sigmoid, softplus'' = s (1 - s)
                if (order >= 2) d2y = (sig * sig.SubtractedFrom(1) * dy! * dy!).Plus(sig * d2y!);
                if (order >= 1) dy = dy! * sig;
                y = y.Softplus();
            }
            return new NetworkJet(y, dy, d2y);
        }
        // x (..., Inputs) -> dG/dx (..., Inputs): forward keeping z_l, then the reverse sweep.
        Tensor InputGradient(Tensor x)
        {
            var (hidden, wOut, bOut) = Layers();
            var z = new List<Tensor>();
            var h = x;
            for (int l = 0; l < depth; l++)
            {
                z.Add(nn.functional.linear(h, hidden[l].W, hidden[l].B));
                h = SineAt(l) ? z[l].sin() : z[l] * z[l].sigmoid();
            }
            var g = wOut.view(width).expand(h.shape);
            if (net.Head == Head.Positive) g = g * nn.functional.linear(h, wOut, bOut).sigmoid();
            for (int l = depth - 1; l >= 0; l--)
                g = (g * (SineAt(l) ? z[l].cos() : SiluSlope(z[l], z[l].sigmoid()))).matmul(hidden[l].W);
            return g;
        }
        Func<Tensor, Tensor>? derivative = i == 1 ? s => Run(s.unsqueeze(-1), 1).Slope! : null;
        Func<Tensor, NetworkJet>? jet = i == 1 ? s => Run(s.unsqueeze(-1), 2) : null;
        return new CompiledNetwork(x => Run(x, 0).Value, derivative, () => net with { Weights = w.Snapshot() }) { Jet = jet, InputGradient = InputGradient };
    }

    /// <summary>silu'(z) = s (1 + z (1 - s)), s = sigmoid(z).</summary>
    private static Tensor SiluSlope(Tensor z, Tensor sig) => sig * (z * sig.SubtractedFrom(1)).Plus(1);

    /// <summary>
    /// Second tangent through an activation: act''(z) dz^2 + act'(z) d2z (d2z absent on the first, affine, layer).
    /// </summary>
    private static Tensor Curvature(Tensor second, Tensor first, Tensor dz, Tensor? d2z) =>
        d2z is null ? second * (dz * dz) : (second * (dz * dz)).Plus(first * d2z);

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
            var z = (x * Take(width)).Plus(Take(width)).Softplus();
            for (int l = 1; l < c.Depth; l++)
            {
                var U = Take(width * width).Softplus().view(width, width);
                var Wl = Take(width);
                var b = Take(width);
                z = nn.functional.linear(z, U).Plus(x * Wl).Plus(b).Softplus();
            }
            var uOut = Take(width).Softplus();
            var ws = Take(1);
            var bo = Take(1);
            return (z * uOut).sum(-1).Plus(s * ws).Plus(bo);
        }
        return new(Forward, () => c with { Weights = w.Snapshot() });
    }
}
