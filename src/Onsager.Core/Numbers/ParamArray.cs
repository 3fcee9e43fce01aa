using System.Collections.Immutable;

namespace Onsager.Numbers;

/// <summary>
/// An array of numbers in a member (Fourier symbols, stencil weights, network weights): fixed or learned as a whole.
/// Every entry is finite with magnitude at most <see cref="Param.MaxMagnitude"/>, checked on construction and by <c>with</c>.
/// </summary>
public sealed record ParamArray(ImmutableArray<double> Values, bool Learned)
{
    /// <summary>The values.</summary>
    public ImmutableArray<double> Values { get; init => field = Check(value); } = Check(Values);

    /// <summary>The number of values.</summary>
    public int Length => Values.Length;
    /// <summary>The i-th value.</summary>
    public double this[int i] => Values[i];

    /// <summary>Fixed values.</summary>
    public static ParamArray Fixed(params double[] values) => new(values.ToImmutableArray(), false);
    /// <summary>Learned values, starting from the given ones.</summary>
    public static ParamArray Learn(params double[] values) => new(values.ToImmutableArray(), true);
    /// <summary>n copies of the value, learned or fixed.</summary>
    public static ParamArray Filled(int n, double value, bool learned) => new(Enumerable.Repeat(value, n).ToImmutableArray(), learned);

    /// <summary>The same array with other values.</summary>
    public ParamArray With(IEnumerable<double> values) => this with { Values = values.ToImmutableArray() };

    /// <summary>The index of the first entry that is not finite or too large, or -1.</summary>
    public static int FirstInvalid(ReadOnlySpan<double> values)
    {
        for (int i = 0; i < values.Length; i++) if (!Checks.Sane(values[i])) return i;
        return -1;
    }

    private static ImmutableArray<double> Check(ImmutableArray<double> values)
    {
        if (values.IsDefault) return ImmutableArray<double>.Empty;
        int i = FirstInvalid(values.AsSpan());
        return i < 0 ? values : throw Checks.Invalid($"values[{i}]",
            $"Entry {i} of an array is {Checks.Show(values[i])}: numbers in a member are finite with magnitude at most {Param.MaxMagnitude:G}.");
    }

    /// <inheritdoc />
    public bool Equals(ParamArray? other) => other is not null && Learned == other.Learned && Values.SequenceEqual(other.Values);
    /// <inheritdoc />
    public override int GetHashCode() => Values.Aggregate(Learned ? 1 : 0, (h, v) => h * 31 + v.GetHashCode());
    /// <inheritdoc />
    public override string ToString() => $"[{Length}{(Learned ? " learned" : "")}]";
}
