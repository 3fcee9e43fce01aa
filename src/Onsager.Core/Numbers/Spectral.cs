using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Numbers;

/// <summary>
/// Fourier multipliers on periodic grids in the rfft layout (1D: N/2+1 modes; 2D: Nx x (Ny/2+1)).
/// A symbol is given per rfft entry; entries that stand for the same pair +-k (the ky = 0 and Nyquist columns in
/// 2D) share the value of their canonical entry, so even symbols stay real-even and odd symbols stay
/// imaginary-odd, and the operators are exactly symmetric or antisymmetric (L5 of docs/theory.md, section 3.7).
/// </summary>
public static class Spectral
{
    /// <summary>The number of Fourier modes of a real field on the grid.</summary>
    public static int ModeCount(Grid g) => g.Dimensions == 1 ? g.Points[0] / 2 + 1 : g.Points[0] * (g.Points[1] / 2 + 1);

    private static long[] Dims(Grid g) => g.Dimensions == 1 ? [2L] : [2L, 3L];
    private static long[] Sizes(Grid g) => g.Points.Select(p => (long)p).ToArray();

    /// <summary>For each rfft entry: the canonical entry of its +-k pair, and the sign an odd symbol takes there (0 on self-conjugate modes).</summary>
    public static (int[] Canonical, int[] Sign) ModePairs(Grid g)
    {
        int count = ModeCount(g);
        var canon = new int[count];
        var sign = new int[count];
        if (g.Dimensions == 1)
        {
            int n = g.Points[0];
            for (int k = 0; k < count; k++)
            {
                canon[k] = k;
                sign[k] = k == 0 || (n % 2 == 0 && k == n / 2) ? 0 : 1;
            }
            return (canon, sign);
        }
        int nx = g.Points[0], ny = g.Points[1], cols = ny / 2 + 1;
        for (int kx = 0; kx < nx; kx++)
            for (int ky = 0; ky < cols; ky++)
            {
                int j = kx * cols + ky;
                bool selfColumn = ky == 0 || (ny % 2 == 0 && ky == ny / 2);
                if (!selfColumn) { canon[j] = j; sign[j] = 1; continue; }
                int partner = ((nx - kx) % nx) * cols + ky;
                if (partner == j) { canon[j] = j; sign[j] = 0; }
                else { canon[j] = Math.Min(j, partner); sign[j] = j < partner ? 1 : -1; }
            }
        return (canon, sign);
    }

    /// <summary>The real FFT of g over the grid's axes (the last one or two of the tensor).</summary>
    public static Tensor Forward(Tensor g, Grid grid) => fft.rfftn(g, dim: Dims(grid));

    /// <summary>The inverse of <see cref="Forward"/>: back to real values on the grid.</summary>
    public static Tensor Inverse(Tensor hat, Grid grid) => fft.irfftn(hat, s: Sizes(grid), dim: Dims(grid));

    /// <summary>A symbol (one value per rfft entry) shaped to multiply <see cref="Forward"/>'s output.</summary>
    public static Tensor Shaped(Tensor symbol, Grid g) => Shape(symbol, g);

    /// <summary>Apply a real even symbol (rfft layout, already expanded to canonical values) to g.</summary>
    public static Tensor ApplyReal(Tensor g, Tensor symbol, Grid grid)
    {
        var hat = fft.rfftn(g, dim: Dims(grid));
        return fft.irfftn(hat * Shape(symbol, grid), s: Sizes(grid), dim: Dims(grid));
    }

    /// <summary>Apply i phi(k) (phi real, odd: expanded with signs) to g.</summary>
    public static Tensor ApplyImaginary(Tensor g, Tensor phi, Grid grid)
    {
        var hat = fft.rfftn(g, dim: Dims(grid));
        var symbol = complex(zeros_like(phi), phi);
        return fft.irfftn(hat * Shape(symbol, grid), s: Sizes(grid), dim: Dims(grid));
    }

    private static Tensor Shape(Tensor symbol, Grid g) =>
        g.Dimensions == 1 ? symbol : symbol.reshape(g.Points[0], g.Points[1] / 2 + 1);

    /// <summary>Angular wavenumber of each rfft entry along an axis (Nyquist set to zero for derivatives).</summary>
    public static double[] WavenumbersOfModes(Grid g, int axis, bool dropNyquist)
    {
        int count = ModeCount(g);
        var k = new double[count];
        if (g.Dimensions == 1)
        {
            int n = g.Points[0];
            for (int j = 0; j < count; j++) k[j] = dropNyquist && n % 2 == 0 && j == n / 2 ? 0 : 2 * Math.PI * j / g.Lengths[0];
            return k;
        }
        int nx = g.Points[0], ny = g.Points[1], cols = ny / 2 + 1;
        for (int kx = 0; kx < nx; kx++)
            for (int ky = 0; ky < cols; ky++)
            {
                int mx = kx <= nx / 2 ? kx : kx - nx;
                bool nyqX = nx % 2 == 0 && kx == nx / 2, nyqY = ny % 2 == 0 && ky == ny / 2;
                k[kx * cols + ky] = axis == 0
                    ? (dropNyquist && nyqX ? 0 : 2 * Math.PI * mx / g.Lengths[0])
                    : (dropNyquist && nyqY ? 0 : 2 * Math.PI * ky / g.Lengths[1]);
            }
        return k;
    }

    /// <summary>Spectral first derivative along an axis (antisymmetric: the Nyquist mode is dropped).</summary>
    public static Tensor Derivative(Tensor u, Grid g, int axis)
    {
        var k = tensor(WavenumbersOfModes(g, axis, true), u.dtype, u.device);
        return ApplyImaginary(u, k, g);
    }

    /// <summary>Expand per-entry parameters to canonical values (even) or signed canonical values (odd).</summary>
    public static Tensor Expand(Tensor values, Grid g, bool odd)
    {
        var (canon, sign) = ModePairs(g);
        var idx = tensor(canon.Select(c => (long)c).ToArray(), ScalarType.Int64, values.device);
        var gathered = values.index_select(0, idx);
        return odd ? gathered * tensor(sign.Select(s => (double)s).ToArray(), values.dtype, values.device) : gathered;
    }
}
