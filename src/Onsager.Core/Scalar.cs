namespace Onsager;

/// <summary>A pointwise function of the state s = u_i (no sign constraint): advection speeds b(u), shapes of F.</summary>
public abstract record Scalar
{
    private Scalar() { }

    /// <summary>c.</summary>
    public sealed record Constant(Param C) : Scalar;

    /// <summary>sum_j c_j s^j.</summary>
    public sealed record Polynomial(ParamArray Coefficients) : Scalar
    {
        public ParamArray Coefficients { get; init; } = Coefficients.Length > 0 ? Coefficients : throw new ArgumentException("A polynomial needs at least one coefficient.");
    }

    /// <summary>A one-input network.</summary>
    public sealed record Net(Network Network) : Scalar
    {
        public Network Network { get; init; } = Network.Validate().Inputs == 1 ? Network : throw new ArgumentException("A pointwise network has one input.");
    }

    public static Scalar Linear(double slope) => new Polynomial(ParamArray.Fixed(0, slope));

    public sealed override string ToString() => Formula.Of(this, "u");
}

/// <summary>A pointwise function that is non-negative by construction: mobilities m(u), weights s(u).</summary>
public abstract record NonNegative
{
    private NonNegative() { }

    /// <summary>c &gt;= 0.</summary>
    public sealed record Constant(Param C) : NonNegative
    {
        public Param C { get; init; } = Param.RequireNonNegative(C, "A non-negative constant") >= 0 ? C : C;
    }

    /// <summary>softplus(g(s)).</summary>
    public sealed record Softplus(Scalar Inner) : NonNegative;

    /// <summary>g(s)^2.</summary>
    public sealed record Square(Scalar Inner) : NonNegative;

    /// <summary>max(g(s), floor), floor &gt;= 0 (e.g. the degenerate Cahn-Hilliard mobility max(1 - u^2, 0.05)).</summary>
    public sealed record AtLeast(double Floor, Scalar Inner) : NonNegative
    {
        public double Floor { get; init; } = Floor >= 0 && double.IsFinite(Floor) ? Floor : throw new ArgumentException($"The floor must be >= 0, got {Floor}.");
    }

    /// <summary>A one-input network with a positive head.</summary>
    public sealed record Net(Network Network) : NonNegative
    {
        public Network Network { get; init; } = Network.Validate().Inputs == 1 && Network.Head == Head.Positive ? Network
            : throw new ArgumentException("A non-negative network has one input and a positive head.");
    }

    public static NonNegative Of(double c) => new Constant(c);

    public sealed override string ToString() => Formula.Of(this, "u");
}
