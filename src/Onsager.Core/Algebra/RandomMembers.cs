using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>What the random-member generator may produce.</summary>
public sealed record RandomMemberOptions(
    int MinPoints = 8, int MaxPoints = 256, double TwoDimensionalShare = 0.2, int MaxPoints2D = 16,
    double MultiFieldShare = 0.2, double MinScale = 1e-6, double MaxScale = 1e6, int MaxDepth = 2)
{
    /// <summary>The default options.</summary>
    public static RandomMemberOptions Default { get; } = new();
}

/// <summary>
/// A seeded generator of random members of the class: random trees of primitives with random parameters
/// (log-uniform over extreme scales), random grids (1D N in [8, 256], small 2D), one or two fields. The same seed
/// gives the same member. The laws run on these; FsCheck drives the same constructors from F#.
/// </summary>
public static class RandomMembers
{
    /// <summary>A random member from the seed.</summary>
    public static Model Generate(int seed, RandomMemberOptions? options = null) => Generate(new Random(seed), options ?? RandomMemberOptions.Default);

    /// <summary>A random member.</summary>
    public static Model Generate(Random rng, RandomMemberOptions o)
    {
        var grid = RandomGrid(rng, o);
        int fields = rng.NextDouble() < o.MultiFieldShare ? 2 : 1;
        var energy = RandomEnergy(rng, o, grid, fields);
        var m = rng.NextDouble() < 0.75 ? RandomDissipation(rng, o, grid, fields, o.MaxDepth) : null;
        var w = rng.NextDouble() < 0.75 || m is null ? RandomConservation(rng, o, grid, fields, o.MaxDepth) : null;
        if (rng.NextDouble() < 0.1) w = null;
        return new Model(grid, fields, energy, m, w);
    }

    /// <summary>A random grid.</summary>
    public static Grid RandomGrid(Random rng, RandomMemberOptions o)
    {
        double length = LogUniform(rng, 0.5, 100);
        if (rng.NextDouble() < o.TwoDimensionalShare)
            return Grid.Periodic(length, LogUniform(rng, 0.5, 100), rng.Next(4, o.MaxPoints2D + 1), rng.Next(4, o.MaxPoints2D + 1));
        int n = (int)Math.Round(LogUniform(rng, o.MinPoints, o.MaxPoints));
        return Grid.Periodic(length, Math.Clamp(n, o.MinPoints, o.MaxPoints));
    }

    /// <summary>A log-uniform draw from [lo, hi].</summary>
    public static double LogUniform(Random rng, double lo, double hi) => Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));

    internal static double Scale(Random rng, RandomMemberOptions o) => LogUniform(rng, o.MinScale, o.MaxScale);

    internal static Param P(Random rng, double v) => rng.NextDouble() < 0.5 ? new Param.Learned(v) : new Param.Fixed(v);

    internal static ParamArray Array(Random rng, int n, Func<double> value) =>
        new(Enumerable.Range(0, n).Select(_ => value()).ToImmutableArray(), rng.NextDouble() < 0.5);

    internal static double Signed(Random rng, double scale) => (2 * rng.NextDouble() - 1) * scale;

    internal static Network Net(Random rng, int inputs, Head head) =>
        Network.Create(inputs, rng.Next(2, 9), rng.Next(1, 3), head, rng.Next(), outputScale: LogUniform(rng, 1e-3, 1e2), learned: rng.NextDouble() < 0.5);

    /// <summary>A random anchor for the field: each anchor draws itself by its rule (Energy.cs).</summary>
    public static Anchor RandomAnchor(Random rng, RandomMemberOptions o, Grid grid, int field) =>
        Primitives<Anchor>.Draw(new RandomDraw(rng, o, grid, field + 1, 0) { Field = field });

    /// <summary>A random energy on the grid.</summary>
    public static Energy RandomEnergy(Random rng, RandomMemberOptions o, Grid grid, int fields)
    {
        var anchors = Enumerable.Range(0, fields).Select(f => Primitives<Anchor>.Draw(new RandomDraw(rng, o, grid, fields, 0) { Field = f })).ToImmutableArray();
        var terms = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => Primitives<EnergyTerm>.Draw(new RandomDraw(rng, o, grid, fields, 1) { Field = rng.Next(fields) })).ToImmutableArray();
        return new Energy(anchors, terms);
    }

    /// <summary>A random energy term for the field, nested at most depth deep: each term draws itself by its rule (Energy.cs),
    /// the combinators while depth is left.</summary>
    public static EnergyTerm RandomTerm(Random rng, RandomMemberOptions o, Grid grid, int field, int depth) =>
        Primitives<EnergyTerm>.Draw(new RandomDraw(rng, o, grid, field + 1, depth) { Field = field });

    /// <summary>A random scalar.</summary>
    public static Scalar RandomScalar(Random rng) => rng.Next(3) switch
    {
        0 => new Scalar.Constant(P(rng, Signed(rng, 3))),
        1 => new Scalar.Polynomial(Array(rng, rng.Next(1, 4), () => Signed(rng, 2))),
        _ => new Scalar.Net(Net(rng, 1, Head.Free)),
    };

    /// <summary>A random nonnegative scalar.</summary>
    public static NonNegative RandomNonNegative(Random rng, RandomMemberOptions o) => rng.Next(5) switch
    {
        0 => new NonNegative.Constant(P(rng, Scale(rng, o))),
        1 => new NonNegative.Softplus(RandomScalar(rng)),
        2 => new NonNegative.Square(RandomScalar(rng)),
        3 => new NonNegative.AtLeast(rng.NextDouble(), RandomScalar(rng)),
        _ => new NonNegative.Net(Net(rng, 1, Head.Positive)),
    };

    internal static Linear RandomLinear(Random rng, Grid grid, int fields)
    {
        int axis = rng.Next(grid.Dimensions);
        if (fields > 1 && rng.Next(3) == 0) return new Linear.Select(rng.Next(fields), fields);
        var kind = (DifferenceKind)rng.Next(4);
        return new Linear.Difference(kind, axis);
    }

    /// <summary>A random dissipation: each primitive draws itself by its rule (Dissipation.cs), combinators while depth is left.</summary>
    public static Dissipation RandomDissipation(Random rng, RandomMemberOptions o, Grid grid, int fields, int depth) =>
        Primitives<Dissipation>.Draw(new RandomDraw(rng, o, grid, fields, depth));

    /// <summary>A random conservation: each primitive draws itself by its rule (Dissipation.cs), combinators while depth is left.</summary>
    public static Conservation RandomConservation(Random rng, RandomMemberOptions o, Grid grid, int fields, int depth) =>
        Primitives<Conservation>.Draw(new RandomDraw(rng, o, grid, fields, depth));

    /// <summary>Random states (batch, field, x[, y]): low Fourier modes plus site noise, at a random amplitude.</summary>
    public static Tensor States(Random rng, Grid grid, int fields, int batch, double amplitude, ScalarType dtype = ScalarType.Float64)
    {
        int sites = grid.Sites;
        var data = new double[batch * fields * sites];
        for (int b = 0; b < batch; b++)
            for (int f = 0; f < fields; f++)
            {
                int modes = rng.Next(1, 5);
                var kx = Enumerable.Range(0, modes).Select(_ => rng.Next(0, 4)).ToArray();
                var ky = Enumerable.Range(0, modes).Select(_ => grid.Dimensions > 1 ? rng.Next(0, 4) : 0).ToArray();
                var amp = Enumerable.Range(0, modes).Select(_ => Signed(rng, 1)).ToArray();
                var ph = Enumerable.Range(0, modes).Select(_ => rng.NextDouble() * 2 * Math.PI).ToArray();
                double noise = rng.NextDouble() < 0.5 ? 0.3 : 0.02;
                double mean = Signed(rng, 0.5);
                for (int i = 0; i < sites; i++)
                {
                    int ix = grid.Dimensions == 1 ? i : i / grid.Points[1];
                    int iy = grid.Dimensions == 1 ? 0 : i % grid.Points[1];
                    double x = 2 * Math.PI * ix / grid.Points[0], y = grid.Dimensions == 1 ? 0 : 2 * Math.PI * iy / grid.Points[1];
                    double v = mean;
                    for (int m = 0; m < modes; m++) v += amp[m] * Math.Sin(kx[m] * x + ky[m] * y + ph[m]);
                    v += noise * (2 * rng.NextDouble() - 1);
                    data[(b * fields + f) * sites + i] = amplitude * v;
                }
            }
        return tensor(data, dtype).reshape(grid.Shape(batch, fields));
    }
}
