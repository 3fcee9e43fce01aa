using System.Collections.Immutable;

namespace Onsager;

/// <summary>
/// The dissipative operator M(u): symmetric positive semi-definite by construction. No constructor here can leave
/// the cone (memo L1, L2): sums, positive scalings, S M S with S diagonal and congruences L^T M L only.
/// </summary>
public abstract record Dissipation
{
    private Dissipation() { }

    /// <summary>Fourier multiplier theta_k^2, one theta per rfft mode (same on every field).</summary>
    public sealed record Multiplier(ParamArray Theta) : Dissipation
    {
        public ParamArray Theta { get; init => field = Checks.NotNull(value, "theta"); } = Checks.NotNull(Theta, "theta");
    }

    /// <summary>L2 mobility diag(m(u_i)), m &gt;= 0 (Allen-Cahn type relaxation; not mass conserving).</summary>
    public sealed record Mobility(NonNegative M) : Dissipation
    {
        public NonNegative M { get; init => field = Checks.NotNull(value, "m"); } = Checks.NotNull(M, "m");
    }

    /// <summary>sum over axes of D+^T diag(m(u at half points)) D+: H^-1 type, conserves mass (Cahn-Hilliard).</summary>
    public sealed record Divergence(NonNegative M) : Dissipation
    {
        public NonNegative M { get; init => field = Checks.NotNull(value, "m"); } = Checks.NotNull(M, "m");
    }

    /// <summary>B B^T with B = sum_j b_j S^j (j = 0..) along an axis, constant coefficients.</summary>
    public sealed record Banded(ParamArray B, int Axis = 0) : Dissipation
    {
        public ParamArray B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");
    }

    /// <summary>
    /// beta I + B B^T with B a dense n x Rank matrix (n = fields x sites, row-major, the state flattened as (field, x[, y])),
    /// beta &gt;= 0: the dissipation of OnsagerNet (Yu, Tian, E and Li, "OnsagerNet", Phys. Rev. Fluids 6, 114402, 2021) with
    /// constant factors. Non-local: it couples every site with every other.
    /// </summary>
    public sealed record LowRank(Param Beta, int Rank, ParamArray B) : Dissipation
    {
        public Param Beta { get; init => field = NonNegativeBeta(value); } = NonNegativeBeta(Beta);
        /// <summary>The number of columns of B (&gt;= 1); fixed at construction (the member checks B's size against it).</summary>
        public int Rank { get; } = Checks.AtLeast(Rank, 1, "A low-rank operator's rank", "rank");
        public ParamArray B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");

        private static Param NonNegativeBeta(Param b) { Param.RequireNonNegative(b, "The low-rank dissipation's beta", "beta"); return b; }
    }

    public sealed record Sum(ImmutableArray<Dissipation> Terms) : Dissipation
    {
        public ImmutableArray<Dissipation> Terms { get; init => field = Checks.Elements(value); } = Checks.Elements(Terms);

        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        public override int GetHashCode() => Terms.Aggregate(5, (h, t) => h * 31 + t.GetHashCode());
    }

    /// <summary>c M, c &gt; 0.</summary>
    public sealed record Scaled(Param C, Dissipation Inner) : Dissipation
    {
        public Param C { get; init => field = Positive(value); } = Positive(C);
        public Dissipation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        private static Param Positive(Param c) { Param.RequirePositive(c, "A dissipation scaling", "c"); return c; }
    }

    /// <summary>S M S with S = diag(s(u_i)), s &gt;= 0 (memo L2: positive scaling that keeps symmetry).</summary>
    public sealed record Weighted(NonNegative S, Dissipation Inner) : Dissipation
    {
        public NonNegative S { get; init => field = Checks.NotNull(value, "s"); } = Checks.NotNull(S, "s");
        public Dissipation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>L^T M L (the inner operator sees the state mapped by a field selection, else the state itself).</summary>
    public sealed record Congruence(Linear L, Dissipation Inner) : Dissipation
    {
        public Linear L { get; init => field = Checks.NotNull(value, "l"); } = Checks.NotNull(L, "l");
        public Dissipation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>A user's own operator promised symmetric PSD: the laws check it.</summary>
    public sealed record Custom(ICustomOperator Operator) : Dissipation
    {
        public ICustomOperator Operator { get; init => field = Checks.NotNull(value, "operator"); } = Checks.NotNull(Operator, "operator");
    }

    public static Dissipation operator +(Dissipation a, Dissipation b) => new Sum(Flatten(a).Concat(Flatten(b)).ToImmutableArray());

    private static IEnumerable<Dissipation> Flatten(Dissipation d) => d is Sum s ? s.Terms : [d];

    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>
/// The conservative operator W(u): antisymmetric by construction (memo L1, L2): sums, real scalings, congruences.
/// </summary>
public abstract record Conservation
{
    private Conservation() { }

    /// <summary>Fourier multiplier i phi_k with an odd symbol, one phi per rfft mode (same on every field).</summary>
    public sealed record Multiplier(ParamArray Phi) : Conservation
    {
        public ParamArray Phi { get; init => field = Checks.NotNull(value, "phi"); } = Checks.NotNull(Phi, "phi");
    }

    /// <summary>sum_j c_j (S^j - S^-j) / h^Order along an axis (transport, Airy: D1 = [1/2] order 1, D3 = [-1, 1/2] order 3).</summary>
    public sealed record Stencil(ParamArray C, int Order, int Axis = 0) : Conservation
    {
        public ParamArray C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");
        /// <summary>The power of 1/h, 0 to <see cref="MaxOrder"/> (a higher power overflows on fine grids).</summary>
        public int Order { get; init => field = Ordered(value); } = Ordered(Order);

        /// <summary>The highest power of 1/h a stencil may carry.</summary>
        public const int MaxOrder = 8;

        private static int Ordered(int order) =>
            order is >= 0 and <= MaxOrder ? order : throw Checks.Invalid("order", $"A stencil's order (the power of 1/h) is 0 to {MaxOrder}, got {order}.");
    }

    /// <summary>(diag(b(u)) D + D diag(b(u)))/2: state-dependent transport (Burgers b = 2u/3, KdV b = 4u). D is the
    /// central difference D1 (the default) or the spectral derivative; either is antisymmetric, so the sum is.</summary>
    public sealed record Advection(Scalar B, int Axis = 0, DifferenceKind Derivative = DifferenceKind.Central) : Conservation
    {
        public Scalar B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");
        public DifferenceKind Derivative { get; init => field = FirstDerivative(value); } = FirstDerivative(Derivative);

        private static DifferenceKind FirstDerivative(DifferenceKind d) =>
            Checks.Defined(d, "The advection's derivative", "derivative") is DifferenceKind.Central or DifferenceKind.Spectral ? d
                : throw Checks.Invalid("derivative", $"An advection's derivative is central or spectral (antisymmetric first derivatives), got {d}.");
    }

    /// <summary>A - A^T with A = sum_j a_j S^j (j = 1..) along an axis.</summary>
    public sealed record Banded(ParamArray A, int Axis = 0) : Conservation
    {
        public ParamArray A { get; init => field = Checks.NotNull(value, "a"); } = Checks.NotNull(A, "a");
    }

    /// <summary>The block [[0, -I], [I, 0]] on fields (Q, P): q_t = dE/dp, p_t = -dE/dq.</summary>
    public sealed record Symplectic(int Q, int P) : Conservation
    {
        /// <summary>The position field (&gt;= 0; below the member's field count, checked by <see cref="Model"/>); fixed at construction, as is <see cref="P"/>.</summary>
        public int Q { get; } = Checks.AtLeast(Q, 0, "The symplectic block's q", "q");
        /// <summary>The momentum field, another than <see cref="Q"/>.</summary>
        public int P { get; } = P >= 0 && P != Q ? P : throw Checks.Invalid("p", $"The symplectic block needs two different fields >= 0, got q = {Q}, p = {P}.");
    }

    /// <summary>The block [[0, D], [D, 0]] on fields (A, B) with D antisymmetric (central or spectral derivative).</summary>
    public sealed record Coupling(int A, int B, DifferenceKind D = DifferenceKind.Central, int Axis = 0) : Conservation
    {
        /// <summary>The first field (&gt;= 0; below the member's field count, checked by <see cref="Model"/>); fixed at construction, as is <see cref="B"/>.</summary>
        public int A { get; } = Checks.AtLeast(A, 0, "The coupling block's a", "a");
        /// <summary>The second field, another than <see cref="A"/>.</summary>
        public int B { get; } = B >= 0 && B != A ? B : throw Checks.Invalid("b", $"The coupling block needs two different fields >= 0, got a = {A}, b = {B}.");
        public DifferenceKind D { get; init => field = Antisymmetric(value); } = Antisymmetric(D);

        private static DifferenceKind Antisymmetric(DifferenceKind d) => d is DifferenceKind.Central or DifferenceKind.Spectral or DifferenceKind.Third
            ? d : throw Checks.Invalid("d", $"The coupling block needs an antisymmetric derivative (central, third or spectral), got {d}.");
    }

    /// <summary>B C^T - C B^T with B and C dense n x Rank matrices (n = fields x sites, row-major): the conservation of
    /// OnsagerNet (Yu et al. 2021) with constant factors.</summary>
    public sealed record LowRank(int Rank, ParamArray B, ParamArray C) : Conservation
    {
        /// <summary>The number of columns of B and C (&gt;= 1); fixed at construction (the member checks their sizes against it).</summary>
        public int Rank { get; } = Checks.AtLeast(Rank, 1, "A low-rank operator's rank", "rank");
        public ParamArray B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");
        public ParamArray C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");
    }

    public sealed record Sum(ImmutableArray<Conservation> Terms) : Conservation
    {
        public ImmutableArray<Conservation> Terms { get; init => field = Checks.Elements(value); } = Checks.Elements(Terms);

        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        public override int GetHashCode() => Terms.Aggregate(7, (h, t) => h * 31 + t.GetHashCode());
    }

    /// <summary>c W, any real c.</summary>
    public sealed record Scaled(Param C, Conservation Inner) : Conservation
    {
        public Param C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");
        public Conservation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>L^T W L.</summary>
    public sealed record Congruence(Linear L, Conservation Inner) : Conservation
    {
        public Linear L { get; init => field = Checks.NotNull(value, "l"); } = Checks.NotNull(L, "l");
        public Conservation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");
    }

    /// <summary>A user's own operator promised antisymmetric: the laws check it.</summary>
    public sealed record Custom(ICustomOperator Operator) : Conservation
    {
        public ICustomOperator Operator { get; init => field = Checks.NotNull(value, "operator"); } = Checks.NotNull(Operator, "operator");
    }

    public static Conservation operator +(Conservation a, Conservation b) => new Sum(Flatten(a).Concat(Flatten(b)).ToImmutableArray());

    private static IEnumerable<Conservation> Flatten(Conservation c) => c is Sum s ? s.Terms : [c];

    public sealed override string ToString() => Formula.Of(this);
}
