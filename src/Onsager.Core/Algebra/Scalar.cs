namespace Onsager.Algebra;

/// <summary>A pointwise function of the state s = u_i (no sign constraint): advection speeds b(u), shapes of F.</summary>
public abstract record Scalar
{
    private Scalar() { }

    /// <summary>c.</summary>
    public sealed record Constant(Param C) : Scalar
    {
        /// <summary>The constant c.</summary>
        public Param C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");
    }

    /// <summary>sum_j c_j s^j.</summary>
    public sealed record Polynomial(ParamArray Coefficients) : Scalar
    {
        /// <summary>The polynomial's coefficients.</summary>
        public ParamArray Coefficients { get; init => field = NotEmpty(value); } = NotEmpty(Coefficients);

        private static ParamArray NotEmpty(ParamArray c) =>
            Checks.NotNull(c, "coefficients").Length > 0 ? c : throw Checks.Invalid("coefficients", "A polynomial needs at least one coefficient.");
    }

    /// <summary>A one-input network.</summary>
    public sealed record Net(Network Network) : Scalar
    {
        /// <summary>The one-input network.</summary>
        public Network Network { get; init => field = OneInput(value); } = OneInput(Network);

        private static Network OneInput(Network n) =>
            Checks.NotNull(n, "network").Inputs == 1 ? n : throw Checks.Invalid("network", $"A pointwise network has one input, got {n}.");
    }

    /// <summary>The linear scalar slope * v.</summary>
    public static Scalar Linear(double slope) => new Polynomial(ParamArray.Fixed(0, slope));

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this, "u");
}

/// <summary>A pointwise function that is non-negative by construction: mobilities m(u), weights s(u).</summary>
public abstract record NonNegative
{
    private NonNegative() { }

    /// <summary>c &gt;= 0.</summary>
    public sealed record Constant(Param C) : NonNegative
    {
        /// <summary>The nonnegative constant c.</summary>
        public Param C { get; init => field = NonNeg(value); } = NonNeg(C);

        private static Param NonNeg(Param c) { Param.RequireNonNegative(c, "A non-negative constant", "c"); return c; }
    }

    /// <summary>softplus(g(s)).</summary>
    public sealed record Softplus(Scalar Inner) : NonNegative
    {
        /// <summary>The scalar passed through softplus.</summary>
        public Scalar Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>g(s)^2.</summary>
    public sealed record Square(Scalar Inner) : NonNegative
    {
        /// <summary>The scalar that is squared.</summary>
        public Scalar Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>max(g(s), floor), floor &gt;= 0 (e.g. the degenerate Cahn-Hilliard mobility max(1 - u^2, 0.05)).</summary>
    public sealed record AtLeast(double Floor, Scalar Inner) : NonNegative
    {
        /// <summary>The nonnegative floor.</summary>
        public double Floor { get; init => field = NonNegativeFloor(value); } = NonNegativeFloor(Floor);
        /// <summary>The scalar kept at least the floor.</summary>
        public Scalar Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        private static double NonNegativeFloor(double f) =>
            Checks.Number(f, "The floor", "floor") >= 0 ? f : throw Checks.Invalid("floor", $"The floor must be >= 0, got {Checks.Show(f)}.");
    }

    /// <summary>A one-input network with a positive head.</summary>
    public sealed record Net(Network Network) : NonNegative
    {
        /// <summary>The network with a positive head.</summary>
        public Network Network { get; init => field = PositiveHead(value); } = PositiveHead(Network);

        private static Network PositiveHead(Network n) => Checks.NotNull(n, "network").Inputs == 1 && n.Head == Head.Positive ? n
            : throw Checks.Invalid("network", $"A non-negative network has one input and a positive head, got {n}.");
    }

    /// <summary>The nonnegative constant c.</summary>
    public static NonNegative Of(double c) => new Constant(c);

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this, "u");
}
