using System.Collections.Immutable;

namespace Onsager.Algebra;

/// <summary>
/// A baseline force field du/dt = f(u), learned with no structure: no energy, no M or W, so none of the class's
/// guarantees and none of its schemes (dg, sbdf1) or diagnostics; only the explicit steps. A value holding its
/// weights (one flat array, layer by layer, as <see cref="Network"/> does); <see cref="Onsager.Compilation.ForceFieldCompiler.Compile"/> gives the module.
/// </summary>
public abstract record ForceField : IVectorField
{
    private ForceField() { }

    /// <summary>The grid of the field.</summary>
    public abstract Grid Grid { get; }
    /// <summary>The number of fields of the state.</summary>
    public abstract int Fields { get; }
    /// <summary>The network weights.</summary>
    public abstract ParamArray Weights { get; }

    /// <summary>The CLI kind that builds it ("unconstrained", "fno").</summary>
    public string Kind => this switch { Convolutional => "unconstrained", Fourier => "fno", _ => throw new InvalidOperationException() };

    /// <summary>
    /// The unconstrained baseline: a translation-equivariant convolutional network on the periodic grid (1D or 2D),
    /// Depth layers of circular convolutions of odd size Kernel (fields -> Width -> ... -> Width channels, GELU), then a
    /// pointwise linear map back to the fields. Local (receptive field Depth (Kernel - 1) + 1 sites) and shift-equivariant,
    /// as every PDE right-hand side of the benchmark is, but with nothing else imposed.
    /// </summary>
    public sealed record Convolutional(Grid Grid, int Fields, int Width, int Depth, int Kernel, ParamArray Weights) : ForceField
    {
        /// <inheritdoc />
        public override Grid Grid { get; } = Grid ?? throw new ArgumentNullException(nameof(Grid));
        /// <inheritdoc />
        public override int Fields { get; } = Fields;
        /// <summary>The number of channels.</summary>
        public int Width { get; } = Width;
        /// <summary>The number of layers.</summary>
        public int Depth { get; } = Depth;
        /// <summary>The kernel size.</summary>
        public int Kernel { get; } = Kernel;
        /// <inheritdoc />
        public override ParamArray Weights { get; } = Checked(Weights, () => Count(Grid!.Dimensions, Fields, Width, Depth, Kernel),
            $"The convolutional force field {Fields}-{Width}x{Depth} (kernel {Kernel}, {Grid.Dimensions}D)",
            Fields >= 1 && Width >= 1 && Depth >= 1 && Kernel >= 1 && Kernel % 2 == 1 && Grid.Points.All(p => p >= Kernel),
            "needs at least one field, unit and layer, and an odd kernel no larger than the grid");

        /// <summary>Per layer l: W (Width x in x Kernel^dims, in = Fields for l = 0 else Width), b (Width); then W_out (Fields x Width), b_out (Fields).</summary>
        public static int Count(int dimensions, int fields, int width, int depth, int kernel)
        {
            Int128 taps = dimensions == 1 ? kernel : (Int128)kernel * kernel;
            return Checks.Count((Int128)width * fields * taps + width + (depth - (Int128)1) * ((Int128)width * width * taps + width) + (Int128)fields * width + fields,
                                $"The convolutional force field {fields}-{width}x{depth} (kernel {kernel})", "width");
        }
    }

    /// <summary>
    /// The Fourier neural operator (Li et al., "Fourier neural operator for parametric PDEs", ICLR 2021) on a 1D
    /// periodic grid: a pointwise lift to Width channels, Layers Fourier layers v -> GELU(K v + W v) (K: rfft, the lowest
    /// Modes modes multiplied by learned complex Width x Width matrices, irfft; W pointwise; no GELU after the last),
    /// and a pointwise projection Width -> Projection -> fields (GELU). The original also feeds the coordinate x; on a
    /// periodic domain with shift-invariant dynamics that only adds a non-periodic input, so it is left out.
    /// </summary>
    public sealed record Fourier(Grid Grid, int Fields, int Modes, int Width, int Layers, int Projection, ParamArray Weights) : ForceField
    {
        /// <inheritdoc />
        public override Grid Grid { get; } = Grid ?? throw new ArgumentNullException(nameof(Grid));
        /// <inheritdoc />
        public override int Fields { get; } = Fields;
        /// <summary>The number of Fourier modes kept.</summary>
        public int Modes { get; } = Modes;
        /// <summary>The number of channels.</summary>
        public int Width { get; } = Width;
        /// <summary>The number of Fourier layers.</summary>
        public int Layers { get; } = Layers;
        /// <summary>The width of the projection layer.</summary>
        public int Projection { get; } = Projection;
        /// <inheritdoc />
        public override ParamArray Weights { get; } = Checked(Weights, () => Count(Fields, Modes, Width, Layers, Projection),
            $"The Fourier neural operator {Fields}-{Width}x{Layers} ({Modes} modes, projection {Projection})",
            Grid!.Dimensions == 1 && Fields >= 1 && Width >= 1 && Layers >= 1 && Projection >= 1 && Modes >= 1 && Modes <= Grid.Points[0] / 2 + 1,
            $"is one-dimensional and needs 1 <= modes <= N/2 + 1 (N = {Grid.Points[0]}) and at least one field, unit and layer");

        /// <summary>P (Width x Fields), p (Width); per layer: R real and imaginary (2 x Width x Width x Modes), W (Width x Width), b (Width);
        /// Q1 (Projection x Width), q1 (Projection), Q2 (Fields x Projection), q2 (Fields).</summary>
        public static int Count(int fields, int modes, int width, int layers, int projection) =>
            Checks.Count((Int128)width * fields + width + layers * ((Int128)2 * width * width * modes + (Int128)width * width + width) + (Int128)projection * width + projection + (Int128)fields * projection + fields,
                         $"The Fourier neural operator {fields}-{width}x{layers} ({modes} modes)", "width");
    }

    private static ParamArray Checked(ParamArray weights, Func<int> count, string what, bool sizesValid, string sizesRule)
    {
        if (!sizesValid) throw new ArgumentException($"{what} {sizesRule}.");
        if (weights is null) throw new ArgumentNullException(nameof(weights));
        int n = count();
        return weights.Length == n ? weights : throw Checks.Invalid("weights", $"{what} needs {n} weights, got {weights.Length}.");
    }

    /// <summary>A one-line description of the force field.</summary>
    public string Describe() => this switch
    {
        Convolutional c => $"du/dt = cnn(u): {c.Depth} circular convolutions of {c.Kernel}{(c.Grid.Dimensions == 2 ? $"x{c.Kernel}" : "")} sites, width {c.Width}, GELU ({c.Weights.Length} weights; no energy)",
        Fourier f => $"du/dt = fno(u): {f.Layers} Fourier layers, {f.Modes} modes, width {f.Width}, projection {f.Projection} ({f.Weights.Length} weights; no energy)",
        _ => throw new InvalidOperationException()
    };

    /// <inheritdoc />
    public sealed override string ToString() => Describe();

    /// <summary>The unconstrained baseline with deterministic fan-in-scaled uniform weights (the output layer scaled by <paramref name="outputScale"/>).</summary>
    public static Convolutional CreateConvolutional(Grid grid, int fields = 1, int width = 32, int depth = 4, int kernel = 5, int seed = 0, double outputScale = 0.1)
    {
        var w = new Initialiser(seed);
        int taps = (int)Math.Pow(kernel, grid.Dimensions);
        for (int l = 0; l < depth; l++)
        {
            int fanIn = (l == 0 ? fields : width) * taps;
            w.Uniform(width * fanIn, fanIn).Uniform(width, fanIn);
        }
        w.Uniform(fields * width, width, outputScale).Uniform(fields, width, outputScale);
        return new Convolutional(grid, fields, width, depth, kernel, w.Weights());
    }

    /// <summary>The Fourier neural operator with the original's initialisation (spectral weights U(0, 1) / (Width Width)),
    /// fan-in-scaled uniform pointwise weights, the output layer scaled by <paramref name="outputScale"/>.</summary>
    public static Fourier CreateFourier(Grid grid, int fields = 1, int modes = 16, int width = 64, int layers = 4, int projection = 128, int seed = 0,
                                        double outputScale = 0.1)
    {
        if (grid.Dimensions != 1) throw new ArgumentException($"The Fourier neural operator here is one-dimensional; the grid is {grid.Dimensions}D.");
        var w = new Initialiser(seed);
        w.Uniform(width * fields, fields).Uniform(width, fields);
        for (int l = 0; l < layers; l++)
            w.Positive(2 * width * width * modes, 1.0 / (width * width)).Uniform(width * width, width).Uniform(width, width);
        w.Uniform(projection * width, width).Uniform(projection, width).Uniform(fields * projection, projection, outputScale).Uniform(fields, projection, outputScale);
        return new Fourier(grid, fields, modes, width, layers, projection, w.Weights());
    }

    /// <summary>Deterministic initial weights from a seed, appended layer by layer.</summary>
    private sealed class Initialiser(int seed)
    {
        private readonly Random rng = new(seed);
        private readonly ImmutableArray<double>.Builder values = ImmutableArray.CreateBuilder<double>();

        /// <summary>U(-s, s) with s = scale / sqrt(fanIn) (PyTorch's default for linear and convolution layers).</summary>
        public Initialiser Uniform(int count, int fanIn, double scale = 1)
        {
            double bound = scale / Math.Sqrt(fanIn);
            for (int i = 0; i < count; i++) values.Add((2 * rng.NextDouble() - 1) * bound);
            return this;
        }

        /// <summary>U(0, scale).</summary>
        public Initialiser Positive(int count, double scale)
        {
            for (int i = 0; i < count; i++) values.Add(rng.NextDouble() * scale);
            return this;
        }

        public ParamArray Weights() => new(values.ToImmutable(), true);
    }
}
