using System.Collections.Immutable;

namespace Onsager.Numbers;

/// <summary>
/// A periodic grid in one or two dimensions: any domain length, any number of points per axis.
/// Tensors on it have the layout (batch, field, x[, y]).
/// </summary>
public sealed record Grid
{
    /// <summary>The domain length along each axis.</summary>
    public ImmutableArray<double> Lengths { get; }
    /// <summary>The number of points along each axis.</summary>
    public ImmutableArray<int> Points { get; }

    /// <summary>A periodic grid with the given lengths and point counts.</summary>
    public Grid(ImmutableArray<double> lengths, ImmutableArray<int> points)
    {
        if (lengths.IsDefaultOrEmpty || points.IsDefaultOrEmpty || lengths.Length != points.Length)
            throw Checks.Invalid("points", "A grid needs one length and one point count per axis.");
        if (lengths.Length > 2) throw Checks.Invalid("lengths", "Grids are 1D or 2D.");
        for (int i = 0; i < lengths.Length; i++)
            if (!(lengths[i] > 0) || !Checks.Sane(lengths[i]))
                throw Checks.Invalid($"lengths[{i}]", $"Domain length must be positive and finite (at most {Param.MaxMagnitude:G}), got {Checks.Show(lengths[i])}.");
        for (int i = 0; i < points.Length; i++)
            if (points[i] < 2) throw Checks.Invalid($"points[{i}]", $"An axis needs at least 2 points, got {points[i]}.");
        long sites = points.Aggregate(1L, (a, b) => a * b);
        if (sites > int.MaxValue) throw Checks.Invalid("points", $"A grid of {string.Join(" x ", points)} = {sites} sites is more than {int.MaxValue}.");
        Lengths = lengths;
        Points = points;
    }

    /// <summary>Periodic 1D grid of <paramref name="points"/> points on [0, length).</summary>
    public static Grid Periodic(double length, int points) => new([length], [points]);

    /// <summary>Periodic 2D grid on [0, lx) x [0, ly).</summary>
    public static Grid Periodic(double lx, double ly, int nx, int ny) => new([lx, ly], [nx, ny]);

    /// <summary>The number of spatial dimensions.</summary>
    public int Dimensions => Points.Length;

    /// <summary>Total number of sites.</summary>
    public int Sites => Points.Aggregate(1, (a, b) => a * b);

    /// <summary>Spacing along an axis, L/N.</summary>
    public double Spacing(int axis) => Lengths[axis] / Points[axis];

    /// <summary>Cell volume h (product of spacings): the weight of the discrete L2 product.</summary>
    public double CellVolume => Enumerable.Range(0, Dimensions).Aggregate(1.0, (a, d) => a * Spacing(d));

    /// <summary>Domain volume (length in 1D, area in 2D).</summary>
    public double Volume => Lengths.Aggregate(1.0, (a, b) => a * b);

    /// <summary>Grid coordinates along an axis: x_j = j L / N.</summary>
    public ImmutableArray<double> Coordinates(int axis) =>
        Enumerable.Range(0, Points[axis]).Select(j => j * Lengths[axis] / Points[axis]).ToImmutableArray();

    /// <summary>Angular wavenumbers 2 pi m / L in FFT order (m = 0..N/2-1, -N/2..-1).</summary>
    public ImmutableArray<double> Wavenumbers(int axis)
    {
        int n = Points[axis];
        double l = Lengths[axis];
        return Enumerable.Range(0, n).Select(j => 2 * Math.PI * (j <= n / 2 ? j : j - n) / l).ToImmutableArray();
    }

    /// <summary>Shape of a tensor of <paramref name="fields"/> fields on this grid with a batch dimension.</summary>
    public long[] Shape(long batch, int fields) => new[] { batch, (long)fields }.Concat(Points.Select(p => (long)p)).ToArray();

    /// <inheritdoc />
    public bool Equals(Grid? other) =>
        other is not null && Lengths.SequenceEqual(other.Lengths) && Points.SequenceEqual(other.Points);

    /// <inheritdoc />
    public override int GetHashCode() =>
        Lengths.Aggregate(17, (h, l) => h * 31 + l.GetHashCode()) ^ Points.Aggregate(7, (h, p) => h * 31 + p);

    /// <inheritdoc />
    public override string ToString() =>
        Dimensions == 1 ? $"periodic [0, {Lengths[0]:G6}) with N = {Points[0]}"
                        : $"periodic [0, {Lengths[0]:G6}) x [0, {Lengths[1]:G6}) with {Points[0]} x {Points[1]}";
}
