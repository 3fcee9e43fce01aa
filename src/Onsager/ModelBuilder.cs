using System.Collections.Immutable;

namespace Onsager;

/// <summary>
/// Immutable builder for members of the class, mirroring the algebra:
/// <code>
/// var model = ModelBuilder.On(Grid.Periodic(2 * Math.PI, 256))
///     .Energy(e => e.DoubleWell(25, 1).Gradient(1))
///     .Dissipation(d => d.Mobility(1))
///     .Conservation(c => c.Multiplier())
///     .Build();
/// </code>
/// Every method returns a new builder; <see cref="Build"/> returns the <see cref="Model"/> value (and refuses a field
/// without a coercive anchor, naming it).
/// </summary>
public sealed record ModelBuilder(Grid Grid, int Fields, EnergyBuilder EnergyParts, Dissipation? DissipationPart, Conservation? ConservationPart)
{
    /// <summary>A builder for a model on the grid with the given number of fields.</summary>
    public static ModelBuilder On(Grid grid, int fields = 1) => new(grid, fields, new EnergyBuilder(grid), null, null);

    /// <summary>Builds the energy.</summary>
    public ModelBuilder Energy(Func<EnergyBuilder, EnergyBuilder> build) => this with { EnergyParts = build(EnergyParts) };

    /// <summary>Builds the dissipation.</summary>
    public ModelBuilder Dissipation(Func<DissipationBuilder, DissipationBuilder> build)
    {
        var d = build(new DissipationBuilder(Grid, Fields)).Build();
        return this with { DissipationPart = d };
    }

    /// <summary>Builds the conservation.</summary>
    public ModelBuilder Conservation(Func<ConservationBuilder, ConservationBuilder> build)
    {
        var c = build(new ConservationBuilder(Grid, Fields)).Build();
        return this with { ConservationPart = c };
    }

    /// <summary>The model.</summary>
    public Model Build() => new(Grid, Fields, EnergyParts.Build(), DissipationPart, ConservationPart);

    /// <summary>The formula of the member built so far.</summary>
    public string Describe() => Build().Describe();
}

/// <summary>Builds an energy: anchors (coercive, one per field at least) and terms (bounded below).</summary>
public sealed record EnergyBuilder(Grid Grid)
{
    /// <summary>The anchors added so far.</summary>
    public ImmutableArray<Anchor> Anchors { get; init; } = [];
    /// <summary>The terms added so far.</summary>
    public ImmutableArray<EnergyTerm> Terms { get; init; } = [];

    private static Param P(double v, bool learned) => learned ? new Param.Learned(v) : new Param.Fixed(v);

    /// <summary>Adds an anchor.</summary>
    public EnergyBuilder Anchor(Anchor a) => this with { Anchors = Anchors.Add(a) };
    /// <summary>Adds a term.</summary>
    public EnergyBuilder Term(EnergyTerm t) => this with { Terms = Terms.Add(t) };

    // anchors
    /// <summary>Anchor a/2 u^2.</summary>
    public EnergyBuilder QuadraticAnchor(double a = 1, int field = 0, bool learned = false) => Anchor(new Anchor.Quadratic(P(a, learned), field));
    /// <summary>Anchor a u^4.</summary>
    public EnergyBuilder QuarticAnchor(double a = 1, int field = 0, bool learned = false) => Anchor(new Anchor.Quartic(P(a, learned), field));
    /// <summary>Anchor a (u^2 - w^2)^2.</summary>
    public EnergyBuilder DoubleWell(double a, double well = 1, int field = 0, bool learned = false) => Anchor(new Anchor.DoubleWell(P(a, learned), P(well, learned), field));
    /// <summary>Anchor a u^4 + cubic(u) + G(u), G a bounded network.</summary>
    public EnergyBuilder CoerciveNetwork(double a = 0.1, int width = 32, int depth = 2, int seed = 0, int field = 0) =>
        Anchor(new Anchor.CoerciveNetwork(new Param.Learned(a), ParamArray.Learn(0, 0, 0), Onsager.Algebra.Network.Create(1, width, depth, Head.Bounded, seed), field));
    /// <summary>The reference's anchor a/2 u^2 + G(u), G bounded (sine head, no output bias).</summary>
    public EnergyBuilder SineNetwork(double a = 1, int width = 64, int depth = 3, int seed = 0, int field = 0) =>
        Anchor(new Anchor.SineNetwork(new Param.Learned(a), Onsager.Algebra.Network.Create(1, width, depth, Head.Bounded, seed), field));

    // terms
    /// <summary>Adds the quadratic term with coefficient a.</summary>
    public EnergyBuilder Quadratic(double a, int field = 0, bool learned = false) => Term(new EnergyTerm.Quadratic(P(a, learned), field));
    /// <summary>Adds the gradient term with coefficient kappa.</summary>
    public EnergyBuilder Gradient(double kappa, Derivative derivative = Derivative.Spectral, int field = 0, bool learned = false) =>
        Term(new EnergyTerm.Gradient(P(kappa, learned), derivative, field));
    /// <summary>Adds the polynomial term with the coefficients.</summary>
    public EnergyBuilder Polynomial(double[] coefficients, int field = 0, bool learned = false) =>
        Term(new EnergyTerm.Polynomial(new ParamArray(coefficients.ToImmutableArray(), learned), field));
    /// <summary>Adds a local network term of the given width and depth.</summary>
    public EnergyBuilder Network(int width = 32, int depth = 2, int seed = 0, int field = 0) =>
        Term(new EnergyTerm.LocalNetwork(Onsager.Algebra.Network.Create(1, width, depth, Head.Bounded, seed), field));
    /// <summary>Adds an input-convex network term of the given width and depth.</summary>
    public EnergyBuilder InputConvex(int width = 16, int depth = 2, int seed = 0, int field = 0) => Term(EnergyTerm.InputConvex.Create(width, depth, seed, field));
    /// <summary>Adds a circulant (Fourier-symbol) term, every symbol entry set to value.</summary>
    public EnergyBuilder Circulant(double value = 0.1, int field = 0, bool learned = true) =>
        Term(new EnergyTerm.Circulant(ParamArray.Filled(Spectral.ModeCount(Grid), value, learned), field));
    /// <summary>Adds a network term on the low Fourier modes.</summary>
    public EnergyBuilder LowModes(int modes = 16, int width = 32, int depth = 2, int seed = 0, int field = 0) =>
        Term(new EnergyTerm.LowModes(modes, Onsager.Algebra.Network.Create(2 * modes, width, depth, Head.Bounded, seed, outputScale: 0.1), field));
    /// <summary>Adds a user-supplied energy term.</summary>
    public EnergyBuilder Custom(ICustomEnergy term) => Term(new EnergyTerm.Custom(term));

    /// <summary>The energy (refused without an anchor).</summary>
    public Energy Build() => new(Anchors.IsEmpty ? throw new ArgumentException("The energy has no coercive anchor: add QuadraticAnchor, QuarticAnchor, DoubleWell, CoerciveNetwork or SineNetwork.") : Anchors, Terms);
}

/// <summary>Builds a dissipation as a sum of primitives (symmetric PSD by construction).</summary>
public sealed record DissipationBuilder(Grid Grid, int Fields)
{
    /// <summary>The primitives summed so far.</summary>
    public ImmutableArray<Dissipation> Parts { get; init; } = [];

    /// <summary>Adds a dissipation.</summary>
    public DissipationBuilder Add(Dissipation d) => this with { Parts = Parts.Add(d) };
    /// <summary>theta_k^2, one learned theta per rfft mode.</summary>
    public DissipationBuilder Multiplier(double theta = 0.1, bool learned = true) => Add(new Dissipation.Multiplier(ParamArray.Filled(Spectral.ModeCount(Grid), theta, learned)));
    /// <summary>Adds the constant mobility m.</summary>
    public DissipationBuilder Mobility(double m) => Add(new Dissipation.Mobility(NonNegative.Of(m)));
    /// <summary>Adds the mobility m(u).</summary>
    public DissipationBuilder Mobility(NonNegative m) => Add(new Dissipation.Mobility(m));
    /// <summary>Adds the divergence-form dissipation with constant mobility m.</summary>
    public DissipationBuilder Divergence(double m) => Add(new Dissipation.Divergence(NonNegative.Of(m)));
    /// <summary>Adds the divergence-form dissipation with mobility m(u).</summary>
    public DissipationBuilder Divergence(NonNegative m) => Add(new Dissipation.Divergence(m));
    /// <summary>Adds a fixed banded dissipation with coefficients b.</summary>
    public DissipationBuilder Banded(double[] b, int axis = 0) => Add(new Dissipation.Banded(ParamArray.Fixed(b), axis));
    /// <summary>Adds a user-supplied symmetric positive semidefinite operator.</summary>
    public DissipationBuilder Custom(ICustomOperator op) => Add(new Dissipation.Custom(op));

    /// <summary>The dissipation: null if none, the primitive if one, else their sum.</summary>
    public Dissipation? Build() => Parts.Length switch { 0 => null, 1 => Parts[0], _ => new Dissipation.Sum(Parts) };
}

/// <summary>Builds a conservation as a sum of primitives (antisymmetric by construction).</summary>
public sealed record ConservationBuilder(Grid Grid, int Fields)
{
    /// <summary>The primitives summed so far.</summary>
    public ImmutableArray<Conservation> Parts { get; init; } = [];

    /// <summary>Adds a conservation.</summary>
    public ConservationBuilder Add(Conservation w) => this with { Parts = Parts.Add(w) };
    /// <summary>i phi_k, one learned phi per rfft mode.</summary>
    public ConservationBuilder Multiplier(double phi = 0.0, bool learned = true) => Add(new Conservation.Multiplier(ParamArray.Filled(Spectral.ModeCount(Grid), phi, learned)));
    /// <summary>Adds a fixed stencil conservation with coefficients c.</summary>
    public ConservationBuilder Stencil(double[] c, int order, int axis = 0) => Add(new Conservation.Stencil(ParamArray.Fixed(c), order, axis));
    /// <summary>c D1 (transport).</summary>
    public ConservationBuilder Transport(double c = 1, int axis = 0) => Stencil([0.5 * c], 1, axis);
    /// <summary>c D3 (Airy).</summary>
    public ConservationBuilder Airy(double c = 1, int axis = 0) => Stencil([-c, 0.5 * c], 3, axis);
    /// <summary>Adds the advection (diag(b(u)) D + D diag(b(u)))/2.</summary>
    public ConservationBuilder Advection(Scalar b, int axis = 0) => Add(new Conservation.Advection(b, axis));
    /// <summary>Adds the symplectic block coupling fields q and p.</summary>
    public ConservationBuilder Symplectic(int q = 0, int p = 1) => Add(new Conservation.Symplectic(q, p));
    /// <summary>Adds the block [[0, D], [D, 0]] on fields a and b.</summary>
    public ConservationBuilder Coupling(int a = 0, int b = 1, DifferenceKind d = DifferenceKind.Central) => Add(new Conservation.Coupling(a, b, d));
    /// <summary>Adds a user-supplied antisymmetric operator.</summary>
    public ConservationBuilder Custom(ICustomOperator op) => Add(new Conservation.Custom(op));

    /// <summary>The conservation: null if none, the primitive if one, else their sum.</summary>
    public Conservation? Build() => Parts.Length switch { 0 => null, 1 => Parts[0], _ => new Conservation.Sum(Parts) };
}
