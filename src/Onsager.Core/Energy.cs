using System.Collections.Immutable;

namespace Onsager;

/// <summary>How a gradient energy discretises the derivative.</summary>
public enum Derivative
{
    /// <summary>Forward difference D+ = (S - I)/h.</summary>
    Forward,
    /// <summary>Spectral derivative (Nyquist mode dropped).</summary>
    Spectral,
}

/// <summary>
/// A coercive pointwise density on one field: anchor(s) &gt;= c s^2 - C with c &gt; 0. Every energy has one per field,
/// which is what makes global existence hold (memo section 3b: bounded below is not enough).
/// </summary>
public abstract record Anchor
{
    private Anchor() { }

    /// <summary>The field this anchor makes coercive.</summary>
    public int On => this switch
    {
        Quadratic q => q.Field, Quartic q => q.Field, DoubleWell d => d.Field,
        CoerciveNetwork c => c.Field, SineNetwork s => s.Field, _ => throw new InvalidOperationException()
    };

    /// <summary>a/2 s^2, a &gt; 0.</summary>
    public sealed record Quadratic(Param A, int Field = 0) : Anchor
    {
        public Param A { get; init; } = Positive(A, "The quadratic anchor's a");
    }

    /// <summary>a s^4, a &gt; 0.</summary>
    public sealed record Quartic(Param A, int Field = 0) : Anchor
    {
        public Param A { get; init; } = Positive(A, "The quartic anchor's a");
    }

    /// <summary>a (s^2 - w^2)^2, a &gt; 0: the Allen-Cahn and Cahn-Hilliard double well.</summary>
    public sealed record DoubleWell(Param A, Param Well, int Field = 0) : Anchor
    {
        public Param A { get; init; } = Positive(A, "The double well's a");
    }

    /// <summary>a s^4 + c1 s + c2 s^2 + c3 s^3 + G(s), a &gt; 0, G a bounded network: coercive yet fits any double well.</summary>
    public sealed record CoerciveNetwork(Param A, ParamArray Cubic, Network G, int Field = 0) : Anchor
    {
        public Param A { get; init; } = Positive(A, "The coercive network's a");
        public ParamArray Cubic { get; init; } = Cubic.Length == 3 ? Cubic : throw new ArgumentException("The cubic part has 3 coefficients (s, s^2, s^3).");
        public Network G { get; init; } = G.Validate().Head == Head.Bounded && G.Inputs == 1 ? G : throw new ArgumentException("G must be a bounded one-input network.");
    }

    /// <summary>a/2 s^2 + G(s), G bounded (sine head, no output bias): the reference's pointwise energy.</summary>
    public sealed record SineNetwork(Param A, Network G, int Field = 0) : Anchor
    {
        public Param A { get; init; } = Positive(A, "The sine network's a");
        public Network G { get; init; } = G.Validate().Head == Head.Bounded && G.Inputs == 1 ? G : throw new ArgumentException("G must be a bounded one-input network.");
    }

    private static Param Positive(Param p, string what) { Param.RequirePositive(p, what); return p; }

    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>An energy term that need not be coercive alone; it only enters an <see cref="Energy"/> beside the anchors.</summary>
public abstract record EnergyTerm
{
    private EnergyTerm() { }

    /// <summary>a/2 s^2, a &gt;= 0.</summary>
    public sealed record Quadratic(Param A, int Field = 0) : EnergyTerm
    {
        public Param A { get; init; } = NonNeg(A, "a");
    }

    /// <summary>kappa/2 |grad u|^2, kappa &gt;= 0.</summary>
    public sealed record Gradient(Param Kappa, Derivative Derivative = Derivative.Spectral, int Field = 0) : EnergyTerm
    {
        public Param Kappa { get; init; } = NonNeg(Kappa, "kappa");
    }

    /// <summary>sum_j c_j s^j with even degree and positive leading coefficient (bounded below).</summary>
    public sealed record Polynomial(ParamArray Coefficients, int Field = 0) : EnergyTerm
    {
        public ParamArray Coefficients { get; init; } =
            Coefficients.Length >= 1 && (Coefficients.Length - 1) % 2 == 0 && (Coefficients.Length == 1 || Coefficients[^1] > 0)
                ? Coefficients : throw new ArgumentException("A polynomial energy term needs even degree and a positive leading coefficient (bounded below).");
    }

    /// <summary>integral G(u), G a bounded one-input network.</summary>
    public sealed record LocalNetwork(Network G, int Field = 0) : EnergyTerm
    {
        public Network G { get; init; } = G.Validate().Head == Head.Bounded && G.Inputs == 1 ? G : throw new ArgumentException("G must be a bounded one-input network.");
    }

    /// <summary>integral C(u), C an input-convex network (non-negative hidden-to-hidden weights, softplus).</summary>
    public sealed record InputConvex(int Width, int Depth, ParamArray Weights, int Field = 0) : EnergyTerm
    {
        public ParamArray Weights { get; init; } = Weights.Length == Count(Width, Depth) ? Weights : throw new ArgumentException($"An input-convex network {Width}x{Depth} has {Count(Width, Depth)} weights.");

        /// <summary>Layer 0: W0 (w), b0 (w); layers l&gt;0: U_l (w x w, raw, made non-negative), W_l (w), b_l (w); out: u (w, raw, non-negative), w_s, b.</summary>
        public static int Count(int width, int depth) => 2 * width + (depth - 1) * (width * width + 2 * width) + width + 2;

        public static InputConvex Create(int width, int depth, int seed, int field = 0)
        {
            var rng = new Random(seed);
            var w = Enumerable.Range(0, Count(width, depth)).Select(_ => (2 * rng.NextDouble() - 1) / Math.Sqrt(width)).ToImmutableArray();
            return new InputConvex(width, depth, new ParamArray(w, true), field);
        }
    }

    /// <summary>1/2 &lt;u, C u&gt;_h with C circulant and symbol c_k &gt;= 0 (one value per rfft mode).</summary>
    public sealed record Circulant(ParamArray Symbol, int Field = 0) : EnergyTerm
    {
        public ParamArray Symbol { get; init; } = Symbol.Values.All(v => v >= 0) ? Symbol : throw new ArgumentException("A circulant energy needs a non-negative symbol.");
    }

    /// <summary>|Omega| G(normalised Fourier coefficients of the lowest modes), G a bounded network with 2 x Modes inputs (1D).</summary>
    public sealed record LowModes(int Modes, Network G, int Field = 0) : EnergyTerm
    {
        public Network G { get; init; } = G.Validate().Head == Head.Bounded && G.Inputs == 2 * Modes ? G : throw new ArgumentException("G must be bounded with 2 x Modes inputs.");
    }

    /// <summary>|Omega| G(u), G a bounded network of the whole state (fields x sites inputs, flattened as (field, x[, y])):
    /// OnsagerNet's dense energy (Yu et al. 2021), bounded so that an anchor keeps E coercive.</summary>
    public sealed record Dense(Network G) : EnergyTerm
    {
        public Network G { get; init; } = G.Validate().Head == Head.Bounded ? G : throw new ArgumentException("The dense energy's network must be bounded (sine head, no output bias).");
    }

    /// <summary>c E_term, c &gt; 0.</summary>
    public sealed record Scaled(Param C, EnergyTerm Term) : EnergyTerm
    {
        public Param C { get; init; } = Param.RequirePositive(C, "An energy scaling") > 0 ? C : C;
    }

    public sealed record Sum(ImmutableArray<EnergyTerm> Terms) : EnergyTerm
    {
        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        public override int GetHashCode() => Terms.Aggregate(3, (h, t) => h * 31 + t.GetHashCode());
    }

    /// <summary>A user's own term; the laws check its promises.</summary>
    public sealed record Custom(ICustomEnergy Term) : EnergyTerm;

    private static Param NonNeg(Param p, string what) { Param.RequireNonNegative(p, what); return p; }

    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>
/// A coercive energy: E = Factor * (sum of anchors + sum of terms) + sum_f Shift_f * integral u_f + Offset.
/// The anchors (at least one per field, checked by <see cref="Model"/>) carry coercivity; the terms need only be
/// bounded below (coercive + bounded below is coercive, memo L6). Factor, Shift and Offset are the gauge
/// coordinates (memo section 3d: G2, G3, G1).
/// </summary>
public sealed record Energy
{
    public ImmutableArray<Anchor> Anchors { get; init; }
    public ImmutableArray<EnergyTerm> Terms { get; init; }
    public double Factor { get; init; } = 1;
    public ImmutableArray<double> Shift { get; init; } = ImmutableArray<double>.Empty;
    public double Offset { get; init; }

    public Energy(ImmutableArray<Anchor> anchors, ImmutableArray<EnergyTerm> terms)
    {
        if (anchors.IsDefaultOrEmpty) throw new ArgumentException("An energy needs a coercive anchor (a s^2 or a s^4 with a > 0) on every field.");
        Anchors = anchors;
        Terms = terms.IsDefault ? ImmutableArray<EnergyTerm>.Empty : terms;
    }

    public Energy(Anchor anchor, params EnergyTerm[] terms) : this(ImmutableArray.Create(anchor), terms.ToImmutableArray()) { }

    /// <summary>Add a term that is not coercive alone: it can only join an anchored energy.</summary>
    public Energy Plus(EnergyTerm term) => this with { Terms = Terms.Add(term) };

    /// <summary>Sum of two energies (anchors and terms concatenated; both must have the same gauge coordinates).</summary>
    public Energy Plus(Energy other) =>
        Factor == other.Factor ? this with { Anchors = Anchors.AddRange(other.Anchors), Terms = Terms.AddRange(other.Terms), Offset = Offset + other.Offset, Shift = AddShifts(Shift, other.Shift) }
                               : throw new ArgumentException("Add energies with the same factor, or scale the terms instead.");

    /// <summary>lambda E, lambda &gt; 0.</summary>
    public Energy Scale(double lambda) =>
        lambda > 0 && double.IsFinite(lambda) ? this with { Factor = Factor * lambda, Offset = Offset * lambda, Shift = Shift.Select(s => s * lambda).ToImmutableArray() }
                                              : throw new ArgumentException($"An energy can only be scaled by a positive factor, got {lambda}.");

    internal static ImmutableArray<double> AddShifts(ImmutableArray<double> a, ImmutableArray<double> b)
    {
        int n = Math.Max(a.Length, b.Length);
        return Enumerable.Range(0, n).Select(i => (i < a.Length ? a[i] : 0) + (i < b.Length ? b[i] : 0)).ToImmutableArray();
    }

    public bool Equals(Energy? other) =>
        other is not null && Anchors.SequenceEqual(other.Anchors) && Terms.SequenceEqual(other.Terms) &&
        Factor == other.Factor && Shift.SequenceEqual(other.Shift) && Offset == other.Offset;

    public override int GetHashCode() => HashCode.Combine(Anchors.Length, Terms.Length, Factor, Offset);

    public override string ToString() => Formula.Of(this);
}
