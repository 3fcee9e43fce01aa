namespace Onsager;

/// <summary>A number in a member of the class: fixed, or learned (its current value).</summary>
public abstract record Param
{
    public abstract double Value { get; }

    private Param() { }

    /// <summary>A number the data cannot change.</summary>
    public sealed record Fixed(double V) : Param
    {
        public override double Value => V;
        public override string ToString() => V.ToString("G4");
    }

    /// <summary>A learnable number; <see cref="V"/> is its current (initial or trained) value.</summary>
    public sealed record Learned(double V) : Param
    {
        public override double Value => V;
        public override string ToString() => V.ToString("G4") + "*";
    }

    public static Param Of(double value) => new Fixed(value);
    public static Param Learn(double init) => new Learned(init);

    /// <summary>The same kind of parameter with another value (used by snapshots and gauges).</summary>
    public Param With(double value) => this switch
    {
        Fixed => new Fixed(value),
        Learned => new Learned(value),
        _ => throw new InvalidOperationException()
    };

    public bool IsLearned => this is Learned;

    public static implicit operator Param(double value) => new Fixed(value);

    internal static double RequirePositive(Param p, string what) =>
        p.Value > 0 && double.IsFinite(p.Value) ? p.Value : throw new ArgumentException($"{what} must be positive and finite, got {p.Value}.");

    internal static double RequireNonNegative(Param p, string what) =>
        p.Value >= 0 && double.IsFinite(p.Value) ? p.Value : throw new ArgumentException($"{what} must be non-negative and finite, got {p.Value}.");
}
