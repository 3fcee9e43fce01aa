using static TorchSharp.torch;

namespace Onsager.Numbers;

/// <summary>
/// Checks states given as typed arrays or tensors, [batch, fields, sites...], against a member's fields and grid at the
/// boundary: a wrong shape is a one-line <see cref="ArgumentException"/> naming the expected and the given shape, never
/// a libtorch reshape error.
/// </summary>
public static class StateShape
{
    /// <summary>A shape as text: [2, 1, 128].</summary>
    public static string Show(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The shape states on <paramref name="grid"/> with <paramref name="fields"/> fields must have, as text: [batch, 1, 128].</summary>
    public static string Expected(Grid grid, int fields) => "[batch, " + string.Join(", ", grid.Shape(1, fields).Skip(1)) + "]";

    /// <summary>Checks a shape (batch, fields, sites...) against the grid and fields (and batch at least 1); returns it.</summary>
    /// <param name="grid">The member's grid.</param>
    /// <param name="fields">The member's number of fields.</param>
    /// <param name="shape">The given shape.</param>
    /// <param name="given">What was given, for the message ("a Tensor", "a double[,,]").</param>
    /// <param name="what">What the states are, for the message ("initial states").</param>
    public static long[] Check(Grid grid, int fields, long[] shape, string given, string what = "states")
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(shape);
        var expected = grid.Shape(1, fields);
        bool fits = shape.Length == expected.Length && shape.Skip(1).SequenceEqual(expected.Skip(1));
        string hint = shape.Length == expected.Length || given.StartsWith("a Tensor", StringComparison.Ordinal) ? ""
            : grid.Dimensions == 1 ? " (a double[,,] or a Tensor on a 1-D grid)" : " (a double[,,,] or a Tensor on a 2-D grid)";
        if (!fits)
            throw new ArgumentException($"{Capital(what)}: expected shape {Expected(grid, fields)}{hint}, got {given} of shape {Show(shape)}.");
        if (shape[0] < 1)
            throw new ArgumentException($"{Capital(what)}: expected at least one sample in shape {Expected(grid, fields)}, got {given} of shape {Show(shape)}.");
        return shape;
    }

    /// <summary>Throws naming the expected shape when <paramref name="u"/> is not a batch of states (batch, fields, points...)
    /// of this grid; returns it.</summary>
    /// <param name="grid">The member's grid.</param>
    /// <param name="fields">The member's number of fields.</param>
    /// <param name="u">The states.</param>
    public static Tensor Check(Grid grid, int fields, Tensor u)
    {
        var expected = grid.Shape(1, fields).Skip(1).ToArray();
        if (u.dim() != expected.Length + 1 || !u.shape.Skip(1).SequenceEqual(expected))
            throw new ArgumentException($"Expected a state of shape (batch, {string.Join(", ", expected)}), got ({string.Join(", ", u.shape)}).");
        return u;
    }

    /// <summary>Checks a flat array of <paramref name="length"/> values against <paramref name="batch"/> states (batch, fields,
    /// sites...) on the grid; returns their shape.</summary>
    /// <param name="grid">The member's grid.</param>
    /// <param name="fields">The member's number of fields.</param>
    /// <param name="length">The number of values given.</param>
    /// <param name="batch">The number of states they hold (at least 1).</param>
    /// <param name="what">What the states are, for the message ("initial states").</param>
    public static long[] CheckFlat(Grid grid, int fields, long length, long batch, string what = "states")
    {
        ArgumentNullException.ThrowIfNull(grid);
        var shape = grid.Shape(batch, fields);
        if (batch < 1)
            throw new ArgumentException($"{Capital(what)}: the batch must be at least 1, got {batch}.");
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (length != count)
            throw new ArgumentException($"{Capital(what)}: expected {count} values (shape {Show(shape)}), got {length}.");
        return shape;
    }

    /// <summary>The values (row-major) and shape of states [batch, fields, sites] on a 1-D grid, checked.</summary>
    /// <param name="grid">The member's grid.</param>
    /// <param name="fields">The member's number of fields.</param>
    /// <param name="states">The states.</param>
    /// <param name="what">What the states are, for the message ("initial states").</param>
    public static (double[] Values, long[] Shape) Flatten(Grid grid, int fields, double[,,] states, string what = "states")
    {
        ArgumentNullException.ThrowIfNull(states);
        var shape = Check(grid, fields, [states.GetLongLength(0), states.GetLongLength(1), states.GetLongLength(2)], "a double[,,]", what);
        return (Copy(states), shape);
    }

    /// <summary>The values (row-major) and shape of states [batch, fields, x, y] on a 2-D grid, checked.</summary>
    /// <param name="grid">The member's grid.</param>
    /// <param name="fields">The member's number of fields.</param>
    /// <param name="states">The states.</param>
    /// <param name="what">What the states are, for the message ("initial states").</param>
    public static (double[] Values, long[] Shape) Flatten(Grid grid, int fields, double[,,,] states, string what = "states")
    {
        ArgumentNullException.ThrowIfNull(states);
        var shape = Check(grid, fields, [states.GetLongLength(0), states.GetLongLength(1), states.GetLongLength(2), states.GetLongLength(3)],
                          "a double[,,,]", what);
        return (Copy(states), shape);
    }

    /// <summary>The values (row-major, float64) and shape of states held by a tensor (batch, fields, sites...), checked.</summary>
    /// <param name="grid">The member's grid.</param>
    /// <param name="fields">The member's number of fields.</param>
    /// <param name="states">The states, of any floating dtype, on any device.</param>
    /// <param name="what">What the states are, for the message ("initial states").</param>
    public static (double[] Values, long[] Shape) Flatten(Grid grid, int fields, Tensor states, string what = "states")
    {
        ArgumentNullException.ThrowIfNull(states);
        var shape = Check(grid, fields, states.shape, $"a Tensor ({states.dtype})", what);
        using var scope = NewDisposeScope();
        return (states.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray(), shape);
    }

    private static double[] Copy(Array states)
    {
        var values = new double[states.LongLength];
        Buffer.BlockCopy(states, 0, values, 0, values.Length * sizeof(double));
        return values;
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
