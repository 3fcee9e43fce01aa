using System.Collections.Immutable;

namespace Onsager.Algebra;

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
/// which is what makes global existence hold (docs/theory.md, section 3.4: bounded below is not enough).
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
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The quadratic anchor's a"); } = Positive(A, "The quadratic anchor's a");
    }

    /// <summary>a s^4, a &gt; 0.</summary>
    public sealed record Quartic(Param A, int Field = 0) : Anchor
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The quartic anchor's a"); } = Positive(A, "The quartic anchor's a");
    }

    /// <summary>a (s^2 - w^2)^2, a &gt; 0: the Allen-Cahn and Cahn-Hilliard double well.</summary>
    public sealed record DoubleWell(Param A, Param Well, int Field = 0) : Anchor
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The double well's a"); } = Positive(A, "The double well's a");
        /// <summary>The well position.</summary>
        public Param Well { get; init => field = Checks.NotNull(value, "well"); } = Checks.NotNull(Well, "well");
    }

    /// <summary>a s^4 + c1 s + c2 s^2 + c3 s^3 + G(s), a &gt; 0, G a bounded network: coercive yet fits any double well.</summary>
    public sealed record CoerciveNetwork(Param A, ParamArray Cubic, Network G, int Field = 0) : Anchor
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The coercive network's a"); } = Positive(A, "The coercive network's a");
        /// <summary>The cubic part's coefficients.</summary>
        public ParamArray Cubic { get; init => field = CubicPart(value); } = CubicPart(Cubic);
        /// <summary>The bounded one-input network g.</summary>
        public Network G { get; init => field = BoundedOneInput(value); } = BoundedOneInput(G);

        private static ParamArray CubicPart(ParamArray c) =>
            Checks.NotNull(c, "cubic").Length == 3 ? c : throw Checks.Invalid("cubic", $"The cubic part has 3 coefficients (s, s^2, s^3), got {c.Length}.");
    }

    /// <summary>a/2 s^2 + G(s), G bounded (sine head, no output bias): the reference's pointwise energy.</summary>
    public sealed record SineNetwork(Param A, Network G, int Field = 0) : Anchor
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The sine network's a"); } = Positive(A, "The sine network's a");
        /// <summary>The bounded one-input network g.</summary>
        public Network G { get; init => field = BoundedOneInput(value); } = BoundedOneInput(G);
    }

    private static Param Positive(Param p, string what) { Param.RequirePositive(p, what, "a"); return p; }

    internal static Network BoundedOneInput(Network g, string field = "g") =>
        Checks.NotNull(g, field).Head == Head.Bounded && g.Inputs == 1 ? g
            : throw Checks.Invalid(field, $"G must be a bounded one-input network, got {g}.");

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>An energy term that need not be coercive alone; it only enters an <see cref="Energy"/> beside the anchors.</summary>
public abstract record EnergyTerm
{
    private EnergyTerm() { }

    /// <summary>a/2 s^2, a &gt;= 0.</summary>
    public sealed record Quadratic(Param A, int Field = 0) : EnergyTerm
    {
        /// <summary>The nonnegative coefficient a.</summary>
        public Param A { get; init => field = NonNeg(value, "A quadratic term's a", "a"); } = NonNeg(A, "A quadratic term's a", "a");
    }

    /// <summary>kappa/2 |grad u|^2, kappa &gt;= 0.</summary>
    public sealed record Gradient(Param Kappa, Derivative Derivative = Derivative.Spectral, int Field = 0) : EnergyTerm
    {
        /// <summary>The nonnegative gradient coefficient kappa.</summary>
        public Param Kappa { get; init => field = NonNeg(value, "A gradient term's kappa", "kappa"); } = NonNeg(Kappa, "A gradient term's kappa", "kappa");
        /// <summary>The finite difference used for the gradient.</summary>
        public Derivative Derivative { get; init => field = Checks.Defined(value, "The derivative", "derivative"); } = Checks.Defined(Derivative, "The derivative", "derivative");
    }

    /// <summary>sum_j c_j s^j with even degree and positive leading coefficient (bounded below).</summary>
    public sealed record Polynomial(ParamArray Coefficients, int Field = 0) : EnergyTerm
    {
        /// <summary>The polynomial's coefficients (bounded below).</summary>
        public ParamArray Coefficients { get; init => field = BoundedBelow(value); } = BoundedBelow(Coefficients);

        private static ParamArray BoundedBelow(ParamArray c) =>
            Checks.NotNull(c, "coefficients").Length >= 1 && (c.Length - 1) % 2 == 0 && (c.Length == 1 || c[^1] > 0) ? c
                : throw Checks.Invalid("coefficients", "A polynomial energy term needs even degree and a positive leading coefficient (bounded below).");
    }

    /// <summary>integral G(u), G a bounded one-input network.</summary>
    public sealed record LocalNetwork(Network G, int Field = 0) : EnergyTerm
    {
        /// <summary>The bounded one-input network g.</summary>
        public Network G { get; init => field = Anchor.BoundedOneInput(value); } = Anchor.BoundedOneInput(G);
    }

    /// <summary>integral C(u), C an input-convex network (non-negative hidden-to-hidden weights, softplus).</summary>
    public sealed record InputConvex(int Width, int Depth, ParamArray Weights, int Field = 0) : EnergyTerm
    {
        /// <summary>Units per layer (&gt;= 1); fixed at construction, as it fixes the weight count.</summary>
        public int Width { get; } = Checks.AtLeast(Width, 1, "An input-convex network's width", "width");
        /// <summary>Layers (&gt;= 1); fixed at construction.</summary>
        public int Depth { get; } = Checks.AtLeast(Depth, 1, "An input-convex network's depth", "depth");
        /// <summary>The network weights.</summary>
        public ParamArray Weights { get; init => field = Counted(value, this.Width, this.Depth); } = Counted(Weights, Width, Depth);

        private static ParamArray Counted(ParamArray w, int width, int depth) =>
            Checks.NotNull(w, "weights").Length == Count(width, depth) ? w
                : throw Checks.Invalid("weights", $"An input-convex network {width}x{depth} has {Count(width, depth)} weights, got {w.Length}.");

        /// <summary>Layer 0: W0 (w), b0 (w); layers l&gt;0: U_l (w x w, raw, made non-negative), W_l (w), b_l (w); out: u (w, raw, non-negative), w_s, b.</summary>
        public static int Count(int width, int depth) =>
            Checks.Count((Int128)2 * width + (depth - (Int128)1) * ((Int128)width * width + (Int128)2 * width) + width + 2, $"An input-convex network {width}x{depth}", "width");

        /// <summary>An input-convex term of the given width and depth, weights initialised from the seed.</summary>
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
        /// <summary>The nonnegative Fourier symbol.</summary>
        public ParamArray Symbol { get; init => field = NonNegativeSymbol(value); } = NonNegativeSymbol(Symbol);

        private static ParamArray NonNegativeSymbol(ParamArray s) =>
            Checks.NotNull(s, "symbol").Values.All(v => v >= 0) ? s : throw Checks.Invalid("symbol", "A circulant energy needs a non-negative symbol.");
    }

    /// <summary>|Omega| G(normalised Fourier coefficients of the lowest modes), G a bounded network with 2 x Modes inputs (1D).</summary>
    public sealed record LowModes(int Modes, Network G, int Field = 0) : EnergyTerm
    {
        /// <summary>The number of modes (&gt;= 1); fixed at construction, as it fixes the network's inputs.</summary>
        public int Modes { get; } = Checks.AtLeast(Modes, 1, "The low-mode energy's modes", "modes");
        /// <summary>The network g on the low modes.</summary>
        public Network G { get; init => field = Fits(value, this.Modes); } = Fits(G, Modes);

        private static Network Fits(Network g, int modes) =>
            Checks.NotNull(g, "g").Head == Head.Bounded && (long)g.Inputs == 2L * modes ? g
                : throw Checks.Invalid("g", $"G must be bounded with 2 x {modes} modes = {2L * modes} inputs, got {g}.");
    }

    /// <summary>|Omega| G(u), G a bounded network of the whole state (fields x sites inputs, flattened as (field, x[, y])):
    /// OnsagerNet's dense energy (Yu et al. 2021), bounded so that an anchor keeps E coercive.</summary>
    public sealed record Dense(Network G) : EnergyTerm
    {
        /// <summary>The bounded network g.</summary>
        public Network G { get; init => field = Bounded(value); } = Bounded(G);

        private static Network Bounded(Network g) =>
            Checks.NotNull(g, "g").Head == Head.Bounded ? g : throw Checks.Invalid("g", "The dense energy's network must be bounded (sine head, no output bias).");
    }

    /// <summary>c E_term, c &gt; 0.</summary>
    public sealed record Scaled(Param C, EnergyTerm Term) : EnergyTerm
    {
        /// <summary>The positive scale c.</summary>
        public Param C { get; init => field = Positive(value); } = Positive(C);
        /// <summary>The scaled term.</summary>
        public EnergyTerm Term { get; init => field = Checks.NotNull(value, "term"); } = Checks.NotNull(Term, "term");

        private static Param Positive(Param c) { Param.RequirePositive(c, "An energy scaling", "c"); return c; }
    }

    /// <summary>A sum of energy terms.</summary>
    /// <param name="Terms">The summed terms.</param>
    public sealed record Sum(ImmutableArray<EnergyTerm> Terms) : EnergyTerm
    {
        /// <summary>The summed terms.</summary>
        public ImmutableArray<EnergyTerm> Terms { get; init => field = Elements(value); } = Elements(Terms);

        /// <inheritdoc />
        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        /// <inheritdoc />
        public override int GetHashCode() => Terms.Aggregate(3, (h, t) => h * 31 + t.GetHashCode());
    }

    /// <summary>A user's own term; the laws check its promises.</summary>
    public sealed record Custom(ICustomEnergy Term) : EnergyTerm
    {
        /// <summary>The user-supplied energy term.</summary>
        public ICustomEnergy Term { get; init => field = Checks.NotNull(value, "term"); } = Checks.NotNull(Term, "term");
    }

    private static Param NonNeg(Param p, string what, string field) { Param.RequireNonNegative(p, what, field); return p; }

    internal static ImmutableArray<EnergyTerm> Elements(ImmutableArray<EnergyTerm> terms)
    {
        if (terms.IsDefault) return ImmutableArray<EnergyTerm>.Empty;
        for (int i = 0; i < terms.Length; i++) if (terms[i] is null) throw Checks.Invalid($"terms[{i}]", $"Energy term {i} is null.");
        return terms;
    }

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>
/// A coercive energy: E = Factor * (sum of anchors + sum of terms) + sum_f Shift_f * integral u_f + Offset.
/// The anchors (at least one per field, checked by <see cref="Model"/>) carry coercivity; the terms need only be
/// bounded below (coercive + bounded below is coercive, L6 of docs/theory.md, section 3.7). Factor, Shift and Offset are the gauge
/// coordinates (docs/theory.md, section 3.6: G2, G3, G1).
/// </summary>
public sealed record Energy
{
    /// <summary>At least one anchor (one per field, checked by <see cref="Model"/>).</summary>
    public ImmutableArray<Anchor> Anchors
    {
        get;
        init
        {
            if (value.IsDefaultOrEmpty) throw Checks.Invalid("anchors", "An energy needs a coercive anchor (a s^2 or a s^4 with a > 0) on every field.");
            for (int i = 0; i < value.Length; i++) if (value[i] is null) throw Checks.Invalid($"anchors[{i}]", $"Anchor {i} is null.");
            field = value;
        }
    }

    /// <summary>The energy's terms beyond its anchors.</summary>
    public ImmutableArray<EnergyTerm> Terms { get; init => field = EnergyTerm.Elements(value); }

    /// <summary>The gauge factor G2: positive (a non-positive factor would make E unbounded below or zero).</summary>
    public double Factor
    {
        get;
        init => field = Checks.Number(value, "The energy's factor", "factor") > 0 ? value
            : throw Checks.Invalid("factor", $"The energy's factor must be positive, got {Checks.Show(value)}.");
    } = 1;

    /// <summary>The Casimir shifts G3, one per field at most (any finite numbers).</summary>
    public ImmutableArray<double> Shift
    {
        get;
        init
        {
            if (value.IsDefault) { field = ImmutableArray<double>.Empty; return; }
            for (int i = 0; i < value.Length; i++) Checks.Number(value[i], $"The energy's shift {i}", $"shift[{i}]");
            field = value;
        }
    } = ImmutableArray<double>.Empty;

    /// <summary>The additive constant G1 (any finite number).</summary>
    public double Offset { get; init => field = Checks.Number(value, "The energy's offset", "offset"); }

    /// <summary>An energy with the given anchors and terms.</summary>
    public Energy(ImmutableArray<Anchor> anchors, ImmutableArray<EnergyTerm> terms)
    {
        Anchors = anchors;
        Terms = terms;
    }

    /// <summary>An energy with one anchor and the given terms.</summary>
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

    /// <inheritdoc />
    public bool Equals(Energy? other) =>
        other is not null && Anchors.SequenceEqual(other.Anchors) && Terms.SequenceEqual(other.Terms) &&
        Factor == other.Factor && Shift.SequenceEqual(other.Shift) && Offset == other.Offset;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Anchors.Length, Terms.Length, Factor, Offset);

    /// <inheritdoc />
    public override string ToString() => Formula.Of(this);
}
