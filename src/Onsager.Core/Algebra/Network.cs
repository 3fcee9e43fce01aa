using System.Collections.Immutable;

namespace Onsager.Algebra;

/// <summary>How a network's output is shaped: its sign or bound is fixed by construction.</summary>
public enum Head
{
    /// <summary>Linear output with bias.</summary>
    Free,
    /// <summary>Last hidden activation sine and no output bias: |G| &lt;= ||w_out||_1 (the reference's choice).</summary>
    Bounded,
    /// <summary>softplus of a linear output: G &gt;= 0.</summary>
    Positive,
}

/// <summary>
/// A multilayer perceptron as a value: Inputs -> Width x Depth (SiLU) -> 1, with its weights flattened
/// (per layer: W row-major, then b; the last layer has no bias when the head is bounded). The shape is fixed at
/// construction; the weights (checked against it) are the one thing <c>with</c> may replace.
/// </summary>
public sealed record Network(int Inputs, int Width, int Depth, Head Head, ParamArray Weights)
{
    /// <summary>The number of inputs.</summary>
    public int Inputs { get; } = Checks.AtLeast(Inputs, 1, "A network's inputs", "inputs");
    /// <summary>The width of each hidden layer.</summary>
    public int Width { get; } = Checks.AtLeast(Width, 1, "A network's width", "width");
    /// <summary>The number of hidden layers.</summary>
    public int Depth { get; } = Checks.AtLeast(Depth, 1, "A network's depth", "depth");
    /// <summary>The output head.</summary>
    public Head Head { get; } = Checks.Defined(Head, "The head", "head");
    /// <summary>The network weights.</summary>
    public ParamArray Weights { get; init => field = Counted(value, this.Inputs, this.Width, this.Depth, this.Head); } = Counted(Weights, Inputs, Width, Depth, Head);

    private static ParamArray Counted(ParamArray w, int inputs, int width, int depth, Head head)
    {
        int n = Count(inputs, width, depth, head);
        return Checks.NotNull(w, "weights").Length == n ? w
            : throw Checks.Invalid("weights", $"A network {inputs}-{width}x{depth}-1 ({head}) needs {n} weights, got {w.Length}.");
    }

    /// <summary>This network: its constructor has checked it (kept so that callers can say what they rely on).</summary>
    public Network Validate() => this;

    /// <summary>Number of weights of such a network (an <see cref="ArgumentException"/> when it exceeds an array's size).</summary>
    public static int Count(int inputs, int width, int depth, Head head) =>
        Checks.Count(((Int128)inputs * width + width) + (depth - (Int128)1) * ((Int128)width * width + width) + width + (head == Head.Bounded ? 0 : 1),
                     $"A network {inputs}-{width}x{depth}-1", "width");

    /// <summary>A network with deterministic uniform (fan-in scaled) initial weights; <paramref name="outputScale"/> scales the last layer.</summary>
    public static Network Create(int inputs, int width, int depth, Head head, int seed, double outputScale = 1.0, bool learned = true)
    {
        var rng = new Random(seed);
        var w = new List<double>();
        void Layer(int fanIn, int fanOut, bool bias, double scale)
        {
            double bound = scale / Math.Sqrt(fanIn);
            for (int i = 0; i < fanIn * fanOut; i++) w.Add((2 * rng.NextDouble() - 1) * bound);
            if (bias) for (int i = 0; i < fanOut; i++) w.Add((2 * rng.NextDouble() - 1) * bound);
        }
        Layer(inputs, width, true, 1.0);
        for (int l = 1; l < depth; l++) Layer(width, width, true, 1.0);
        Layer(width, 1, head != Head.Bounded, outputScale);
        return new Network(inputs, width, depth, head, new ParamArray(w.ToImmutableArray(), learned)).Validate();
    }

    /// <summary>Sum of |w_out|: the bound of a bounded head.</summary>
    public double OutputL1
    {
        get
        {
            int start = (Inputs * Width + Width) + (Depth - 1) * (Width * Width + Width);
            return Enumerable.Range(start, Width).Sum(i => Math.Abs(Weights[i]));
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"net({Inputs}-{Width}x{Depth}-1, {Head.ToString().ToLowerInvariant()})";
}
