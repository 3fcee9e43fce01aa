using System.Collections.Immutable;

namespace Onsager;

/// <summary>An array of numbers in a member (Fourier symbols, stencil weights, network weights): fixed or learned as a whole.</summary>
public sealed record ParamArray(ImmutableArray<double> Values, bool Learned)
{
    public int Length => Values.Length;
    public double this[int i] => Values[i];

    public static ParamArray Fixed(params double[] values) => new(values.ToImmutableArray(), false);
    public static ParamArray Learn(params double[] values) => new(values.ToImmutableArray(), true);
    public static ParamArray Filled(int n, double value, bool learned) => new(Enumerable.Repeat(value, n).ToImmutableArray(), learned);

    public ParamArray With(IEnumerable<double> values) => this with { Values = values.ToImmutableArray() };

    public bool Equals(ParamArray? other) => other is not null && Learned == other.Learned && Values.SequenceEqual(other.Values);
    public override int GetHashCode() => Values.Aggregate(Learned ? 1 : 0, (h, v) => h * 31 + v.GetHashCode());
    public override string ToString() => $"[{Length}{(Learned ? " learned" : "")}]";
}
