using System.Collections.Immutable;

namespace Onsager;

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
/// (per layer: W row-major, then b; the last layer has no bias when the head is bounded).
/// </summary>
public sealed record Network(int Inputs, int Width, int Depth, Head Head, ParamArray Weights)
{
    public Network Validate()
    {
        if (Inputs < 1 || Width < 1 || Depth < 1) throw new ArgumentException("A network needs at least one input, unit and layer.");
        if (Weights.Length != Count(Inputs, Width, Depth, Head))
            throw new ArgumentException($"A network {Inputs}-{Width}x{Depth}-1 ({Head}) needs {Count(Inputs, Width, Depth, Head)} weights, got {Weights.Length}.");
        return this;
    }

    /// <summary>Number of weights of such a network.</summary>
    public static int Count(int inputs, int width, int depth, Head head) =>
        (inputs * width + width) + (depth - 1) * (width * width + width) + width + (head == Head.Bounded ? 0 : 1);

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

    public override string ToString() => $"net({Inputs}-{Width}x{Depth}-1, {Head.ToString().ToLowerInvariant()})";
}
