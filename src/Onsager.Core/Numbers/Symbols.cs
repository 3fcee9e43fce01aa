using System.Numerics;
using static TorchSharp.torch;

namespace Onsager.Numbers;

/// <summary>
/// Fourier symbols (rfft layout, see <see cref="Spectral"/>) of the linear pieces of members: a stencil S^j has symbol
/// e^{i j theta} with theta = 2 pi m / N per axis. Used by the implicit steppers when K and the quadratic part of E are
/// multipliers, so that their linear systems are diagonal in Fourier space.
/// </summary>
public static class Symbols
{
    /// <summary>theta = 2 pi m / N_axis of every rfft entry (m signed).</summary>
    public static double[] Angles(Grid g, int axis)
    {
        int count = Spectral.ModeCount(g);
        var t = new double[count];
        if (g.Dimensions == 1)
        {
            for (int j = 0; j < count; j++) t[j] = 2 * Math.PI * j / g.Points[0];
            return t;
        }
        int nx = g.Points[0], ny = g.Points[1], cols = ny / 2 + 1;
        for (int kx = 0; kx < nx; kx++)
            for (int ky = 0; ky < cols; ky++)
                t[kx * cols + ky] = axis == 0 ? 2 * Math.PI * (kx <= nx / 2 ? kx : kx - nx) / nx : 2 * Math.PI * ky / ny;
        return t;
    }

    /// <summary>Symbol of a difference operator along an axis.</summary>
    public static Complex[] Difference(Grid g, DifferenceKind kind, int axis)
    {
        var theta = Angles(g, axis);
        double h = g.Spacing(axis);
        var k = Spectral.WavenumbersOfModes(g, axis, dropNyquist: true);
        return theta.Select((t, j) => kind switch
        {
            DifferenceKind.Forward => (Complex.Exp(Complex.ImaginaryOne * t) - 1) / h,
            DifferenceKind.Central => Complex.ImaginaryOne * Math.Sin(t) / h,
            DifferenceKind.Third => Complex.ImaginaryOne * (Math.Sin(2 * t) - 2 * Math.Sin(t)) / (h * h * h),
            DifferenceKind.Spectral => Complex.ImaginaryOne * k[j],
            _ => throw new ArgumentOutOfRangeException(nameof(kind))
        }).ToArray();
    }

    /// <summary>Symbol of sum over axes D^T D (the negative Laplacian of that discretisation).</summary>
    public static double[] Laplacian(Grid g, DifferenceKind kind)
    {
        var total = new double[Spectral.ModeCount(g)];
        for (int a = 0; a < g.Dimensions; a++)
        {
            var d = Difference(g, kind, a);
            for (int j = 0; j < total.Length; j++) total[j] += d[j].Magnitude * d[j].Magnitude;
        }
        return total;
    }

    /// <summary>Symbol of sum_j c_j S^(j + first) along an axis.</summary>
    public static Complex[] Circulant(Grid g, double[] c, int first, int axis)
    {
        var theta = Angles(g, axis);
        return theta.Select(t => Enumerable.Range(0, c.Length).Aggregate(Complex.Zero, (acc, j) => acc + c[j] * Complex.Exp(Complex.ImaginaryOne * (j + first) * t))).ToArray();
    }

    /// <summary>The complex symbol as a complex tensor with real and imaginary parts of the given real dtype.</summary>
    public static Tensor ToTensor(Complex[] s, ScalarType real, Device device) =>
        complex(tensor(s.Select(x => x.Real).ToArray(), real, device), tensor(s.Select(x => x.Imaginary).ToArray(), real, device));

    /// <summary>The real tensor r as a complex tensor.</summary>
    public static Tensor Real(Tensor r) => complex(r, zeros_like(r));
}
