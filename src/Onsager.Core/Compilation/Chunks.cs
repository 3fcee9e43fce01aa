using static TorchSharp.torch;

namespace Onsager.Compilation;

/// <summary>
/// Evaluation of a member on many states in slices of the batch. A member's networks hold (states x sites x width)
/// activations, which for a batch of states on a 2D grid exceed the machine's memory unsliced (docs/benchmarks.md,
/// "Reproduce (quick)", the ac2d memory check).
/// </summary>
public static class Chunks
{
    /// <summary>Sites evaluated at once: 2^16 (a batch of 256 states of a 256-point line, 4 of a 128 x 128 grid). A 32 x 2
    /// density network in float64 holds about 5 kB of temporaries a site.</summary>
    public const long Sites = 1L << 16;

    /// <summary>How many states of <paramref name="grid"/> one slice holds: at least 1, at most <paramref name="max"/>.</summary>
    public static int States(Grid grid, int max = int.MaxValue) => (int)Math.Clamp(Sites / Math.Max(grid.Sites, 1), 1, Math.Max(max, 1));

    /// <summary>f over slices [start, start + length) of <paramref name="count"/> states, concatenated along dimension 0.</summary>
    public static Tensor Map(Grid grid, long count, Func<long, long, Tensor> f)
    {
        long size = States(grid);
        if (count <= size) return f(0, count);
        var parts = new List<Tensor>();
        for (long start = 0; start < count; start += size)
        {
            // Each slice's temporaries die with it; only its result stays (else the slices' activations add up).
            using var scope = NewDisposeScope();
            parts.Add(f(start, Math.Min(size, count - start)).MoveToOuterDisposeScope());
        }
        return cat(parts, 0);
    }

    /// <summary>f applied to slices of the batch dimension of u, concatenated.</summary>
    public static Tensor Map(Grid grid, Tensor u, Func<Tensor, Tensor> f) =>
        Map(grid, u.shape[0], (start, length) => f(u.narrow(0, start, length)));
}
