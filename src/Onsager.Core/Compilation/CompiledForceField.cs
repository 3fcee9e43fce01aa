using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Compilation;

/// <summary>
/// A <see cref="ForceField"/> compiled to a TorchSharp module: one learnable parameter (the flat weights, read as views
/// layer by layer at every call, so the value and the module cannot drift apart) and the right-hand side f(u) on states
/// (batch, field, x[, y]).
/// </summary>
public sealed class CompiledForceField : CompiledVectorField<ForceField>
{
    private readonly ArrayHandle weights;
    private readonly Func<Tensor, Tensor> rhs;

    internal CompiledForceField(ForceField field, CompileOptions options) : base("force_field", field, options)
    {
        weights = Store.Array(field.Weights, Constraint.Free, field.Kind);
        rhs = field switch
        {
            ForceField.Convolutional c => u => Convolutional(c, new Reader(weights.Get()), u),
            ForceField.Fourier f => u => Fourier(f, new Reader(weights.Get()), u),
            _ => throw new NotSupportedException(field.GetType().Name),
        };
        RegisterParameters();
    }

    /// <summary>f(u). A force field has no inner derivative, so <paramref name="createGraph"/> changes nothing: the graph to
    /// the weights is kept whenever gradients are enabled.</summary>
    public override Tensor Rhs(Tensor u, bool createGraph = false) => rhs(StateShape.Check(Grid, Fields, u));

    /// <summary>The force field as a value with the current weights.</summary>
    public override ForceField Snapshot() => Structure switch
    {
        ForceField.Convolutional c => new ForceField.Convolutional(c.Grid, c.Fields, c.Width, c.Depth, c.Kernel, weights.Snapshot()),
        ForceField.Fourier f => new ForceField.Fourier(f.Grid, f.Fields, f.Modes, f.Width, f.Layers, f.Projection, weights.Snapshot()),
        _ => throw new NotSupportedException(Structure.GetType().Name),
    };

    /// <summary>Consecutive views of the flat weights, in the order of the record's weight layout.</summary>
    private sealed class Reader(Tensor all)
    {
        private long offset;

        public Tensor Take(params long[] shape)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var t = all.narrow(0, offset, count).view(shape);
            offset += count;
            return t;
        }
    }

    /// <summary>
    /// A circular (periodic) convolution of odd kernel size on a 1D or 2D grid, in the cross-correlation form of conv1d and
    /// conv2d: out[b, o, x] = bias[o] + sum over i and taps j of w[o, i, j] x[b, i, x + j - p], sites taken modulo the grid.
    /// Written as one product of the weights with the unfolded taps of the periodically padded input (the im2col form), not
    /// with libtorch's convolution: on AVX-512 CPUs its oneDNN kernels returned non-finite weight gradients in a few
    /// backward passes per thousand (docs/benchmarks.md, "Convolution gradients"), which training took for divergence.
    /// </summary>
    private static Tensor CircularConvolution(Tensor x, Tensor w, Tensor b, int kernel, int dimensions)
    {
        long p = kernel / 2;
        return dimensions == 1
            ? einsum("bixj,oij->box", nn.functional.pad(x, [p, p], PaddingModes.Circular).unfold(2, kernel, 1), w).Plus(b.view(-1, 1))
            : einsum("bixyjk,oijk->boxy", nn.functional.pad(x, [p, p, p, p], PaddingModes.Circular).unfold(2, kernel, 1).unfold(3, kernel, 1), w)
                .Plus(b.view(-1, 1, 1));
    }

    /// <summary>A pointwise linear map of channels (dim 1): (batch, in, x) -> (batch, out, x).</summary>
    private static Tensor Pointwise(Tensor x, Tensor w, Tensor b) => einsum("oi,bix->box", w, x).Plus(b.unsqueeze(-1));

    private static Tensor Convolutional(ForceField.Convolutional c, Reader r, Tensor u)
    {
        int d = c.Grid.Dimensions;
        long[] taps = Enumerable.Repeat((long)c.Kernel, d).ToArray();
        var h = u;
        for (int l = 0; l < c.Depth; l++)
        {
            long inputs = l == 0 ? c.Fields : c.Width;
            var w = r.Take(new long[] { c.Width, inputs }.Concat(taps).ToArray());
            var b = r.Take(c.Width);
            h = nn.functional.gelu(CircularConvolution(h, w, b, c.Kernel, d));
        }
        var wOut = r.Take(c.Fields, c.Width);
        var bOut = r.Take(c.Fields);
        var flat = h.flatten(2);                                              // (batch, width, sites)
        return Pointwise(flat, wOut, bOut).view(u.shape);
    }

    private static Tensor Fourier(ForceField.Fourier f, Reader r, Tensor u)
    {
        long n = f.Grid.Points[0];
        int modes = f.Modes, width = f.Width;
        var h = Pointwise(u, r.Take(width, f.Fields), r.Take(width));
        for (int l = 0; l < f.Layers; l++)
        {
            var re = r.Take(width, width, modes);                           // (in, out, mode)
            var im = r.Take(width, width, modes);
            var wl = r.Take(width, width);
            var bl = r.Take(width);
            // Spectral convolution (Li et al. 2021, eq. 4): the lowest modes of each channel mixed by a complex matrix
            // per mode, the rest dropped. Complex products written in real arithmetic.
            var hat = fft.rfft(h, dim: -1).narrow(-1, 0, modes);
            var (xr, xi) = (hat.real, hat.imag);
            var yr = einsum("bim,iom->bom", xr, re) - einsum("bim,iom->bom", xi, im);
            var yi = einsum("bim,iom->bom", xr, im).Plus(einsum("bim,iom->bom", xi, re));
            var spectral = fft.irfft(complex(yr, yi), n, dim: -1);
            h = spectral.Plus(Pointwise(h, wl, bl));
            if (l < f.Layers - 1) h = nn.functional.gelu(h);
        }
        h = nn.functional.gelu(Pointwise(h, r.Take(f.Projection, width), r.Take(f.Projection)));
        return Pointwise(h, r.Take(f.Fields, f.Projection), r.Take(f.Fields));
    }
}

/// <summary>Compiling a force field: an extension, so that the value (<see cref="ForceField"/>, in Onsager.Algebra) does
/// not depend on its compiled form.</summary>
public static class ForceFieldCompiler
{
    /// <summary>Compiles to a TorchSharp module (float64 on CPU unless told otherwise).</summary>
    public static CompiledForceField Compile(this ForceField field, CompileOptions? options = null) => new(field, options ?? CompileOptions.Default);
}
