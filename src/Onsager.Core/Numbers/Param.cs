using System.Collections.Immutable;
using System.Globalization;

namespace Onsager.Numbers;

/// <summary>A number in a member of the class: fixed, or learned (its current value).</summary>
public abstract record Param
{
    /// <summary>
    /// The largest magnitude of any number in a member (parameters, arrays, gauge coordinates, domain lengths): products
    /// of a few such numbers with a state and its derivatives must stay finite in float64, or the laws cannot hold.
    /// </summary>
    public const double MaxMagnitude = 1e100;

    /// <summary>The parameter's value.</summary>
    public abstract double Value { get; }

    private Param() { }

    /// <summary>A number the data cannot change (finite, |V| &lt;= <see cref="MaxMagnitude"/>).</summary>
    public sealed record Fixed(double V) : Param
    {
        /// <summary>The fixed value.</summary>
        public double V { get; init => field = Checks.Number(value, "A parameter"); } = Checks.Number(V, "A parameter");
        /// <inheritdoc />
        public override double Value => V;
        /// <inheritdoc />
        public override string ToString() => V.ToString("G4");
    }

    /// <summary>A learnable number; <see cref="V"/> is its current (initial or trained) value (finite, |V| &lt;= <see cref="MaxMagnitude"/>).</summary>
    public sealed record Learned(double V) : Param
    {
        /// <summary>The current value (the initial value until trained).</summary>
        public double V { get; init => field = Checks.Number(value, "A parameter"); } = Checks.Number(V, "A parameter");
        /// <inheritdoc />
        public override double Value => V;
        /// <inheritdoc />
        public override string ToString() => V.ToString("G4") + "*";
    }

    /// <summary>A fixed parameter.</summary>
    public static Param Of(double value) => new Fixed(value);
    /// <summary>A learned parameter with the initial value.</summary>
    public static Param Learn(double init) => new Learned(init);

    /// <summary>The same kind of parameter with another value (used by snapshots and gauges).</summary>
    public Param With(double value) => this switch
    {
        Fixed => new Fixed(value),
        Learned => new Learned(value),
        _ => throw new InvalidOperationException()
    };

    /// <summary>Whether the parameter is learned.</summary>
    public bool IsLearned => this is Learned;

    /// <summary>A fixed parameter.</summary>
    public static implicit operator Param(double value) => new Fixed(value);

    internal static double RequirePositive(Param p, string what, string? field = null) =>
        p is null ? throw new ArgumentNullException(field ?? what)
        : p.Value > 0 ? p.Value : throw Checks.Invalid(field, $"{what} must be positive, got {Checks.Show(p.Value)}.");

    internal static double RequireNonNegative(Param p, string what, string? field = null) =>
        p is null ? throw new ArgumentNullException(field ?? what)
        : p.Value >= 0 ? p.Value : throw Checks.Invalid(field, $"{what} must be non-negative, got {Checks.Show(p.Value)}.");
}

/// <summary>
/// The checks every record of the algebra runs in its constructor and in its init accessors (so that neither an object
/// initializer nor <c>with</c> can make an invalid value). A failed check is an <see cref="ArgumentException"/>; where it
/// concerns one field, <see cref="FieldKey"/> in its <see cref="Exception.Data"/> names that field as a path relative to
/// the record (the model-file reader appends it to the JSON path it is reading).
/// </summary>
public static class Checks
{
    /// <summary>The key of <see cref="Exception.Data"/> holding the relative path of the offending field (e.g. "factor", "values[3]").</summary>
    public const string FieldKey = "Onsager.Field";

    /// <summary>The relative path of the offending field recorded in a check's exception, or null.</summary>
    public static string? FieldOf(Exception e) => e.Data[FieldKey] as string;

    internal static ArgumentException Invalid(string? field, string message)
    {
        var e = new ArgumentException(message);
        if (field is not null) e.Data[FieldKey] = field;
        return e;
    }

    internal static string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    internal static bool Sane(double v) => double.IsFinite(v) && Math.Abs(v) <= Param.MaxMagnitude;

    /// <summary>A number of a member: finite, magnitude at most <see cref="Param.MaxMagnitude"/>.</summary>
    internal static double Number(double v, string what, string? field = null) =>
        Sane(v) ? v : throw Invalid(field, $"{what} must be finite with magnitude at most {Param.MaxMagnitude:G}, got {Show(v)}.");

    /// <summary>A count or index that must be at least <paramref name="min"/>.</summary>
    internal static int AtLeast(int v, int min, string what, string field) =>
        v >= min ? v : throw Invalid(field, $"{what} must be at least {min}, got {v}.");

    internal static T Defined<T>(T v, string what, string field) where T : struct, Enum =>
        Enum.IsDefined(v) ? v : throw Invalid(field, $"{what} {v} is not one of {string.Join(", ", Enum.GetNames<T>())}.");

    internal static T NotNull<T>(T? v, string field) where T : class => v ?? throw Invalid(field, $"{field} must not be null.");

    internal static ImmutableArray<T> Elements<T>(ImmutableArray<T> items, string field = "terms") where T : class
    {
        if (items.IsDefault) return ImmutableArray<T>.Empty;
        for (int i = 0; i < items.Length; i++) if (items[i] is null) throw Invalid($"{field}[{i}]", $"{field}[{i}] is null.");
        return items;
    }

    /// <summary>A weight count computed in 64 bits: refused when it does not fit an array.</summary>
    internal static int Count(Int128 n, string what, string field) =>
        n >= 0 && n <= Array.MaxLength ? (int)n : throw Invalid(field, $"{what} would need {n} numbers, more than an array holds ({Array.MaxLength}).");
}
