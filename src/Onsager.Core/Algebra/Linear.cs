namespace Onsager.Algebra;

/// <summary>Linear maps used in congruences L^T K L and in the derivative-coupling block.</summary>
public abstract record Linear
{
    private Linear() { }

    /// <summary>A finite-difference or spectral derivative along an axis.</summary>
    public sealed record Difference(DifferenceKind Kind, int Axis = 0) : Linear
    {
        /// <summary>The finite difference kind.</summary>
        public DifferenceKind Kind { get; init => field = Checks.Defined(value, "The difference kind", "kind"); } = Checks.Defined(Kind, "The difference kind", "kind");
    }

    /// <summary>Picks one field out of <paramref name="Fields"/>; its transpose embeds it back.</summary>
    public sealed record Select(int Field, int Fields) : Linear
    {
        /// <summary>The number of fields selected from (&gt;= 1); fixed at construction, as is <see cref="Field"/>.</summary>
        public int Fields { get; } = Checks.AtLeast(Fields, 1, "A selection's number of fields", "fields");
        /// <summary>The selected field.</summary>
        public int Field { get; } = Field >= 0 && Field < Fields ? Field : throw Checks.Invalid("field", $"Field {Field} is not one of {Fields}.");
    }

    /// <summary>Outer after Inner.</summary>
    public sealed record Compose(Linear Outer, Linear Inner) : Linear
    {
        /// <summary>The operator applied second.</summary>
        public Linear Outer { get; init => field = Checks.NotNull(value, "outer"); } = Checks.NotNull(Outer, "outer");
        /// <summary>The operator applied first.</summary>
        public Linear Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>The forward difference along the axis.</summary>
    public static Linear Forward(int axis = 0) => new Difference(DifferenceKind.Forward, axis);
    /// <summary>The central difference along the axis.</summary>
    public static Linear Central(int axis = 0) => new Difference(DifferenceKind.Central, axis);

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}
