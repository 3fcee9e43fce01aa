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
    public static ModelBuilder On(Grid grid, int fields = 1) => new(grid, fields, new EnergyBuilder(grid), null, null);

    public ModelBuilder Energy(Func<EnergyBuilder, EnergyBuilder> build) => this with { EnergyParts = build(EnergyParts) };

    public ModelBuilder Dissipation(Func<DissipationBuilder, DissipationBuilder> build)
    {
        var d = build(new DissipationBuilder(Grid, Fields)).Build();
        return this with { DissipationPart = d };
    }

    public ModelBuilder Conservation(Func<ConservationBuilder, ConservationBuilder> build)
    {
        var c = build(new ConservationBuilder(Grid, Fields)).Build();
        return this with { ConservationPart = c };
    }

    public Model Build() => new(Grid, Fields, EnergyParts.Build(), DissipationPart, ConservationPart);

    /// <summary>The formula of the member built so far.</summary>
    public string Describe() => Build().Describe();
}

/// <summary>Builds an energy: anchors (coercive, one per field at least) and terms (bounded below).</summary>
public sealed record EnergyBuilder(Grid Grid)
{
    public ImmutableArray<Anchor> Anchors { get; init; } = [];
    public ImmutableArray<EnergyTerm> Terms { get; init; } = [];

    private static Param P(double v, bool learned) => learned ? new Param.Learned(v) : new Param.Fixed(v);

    public EnergyBuilder Anchor(Anchor a) => this with { Anchors = Anchors.Add(a) };
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
        Anchor(new Anchor.CoerciveNetwork(new Param.Learned(a), ParamArray.Learn(0, 0, 0), Onsager.Network.Create(1, width, depth, Head.Bounded, seed), field));
    /// <summary>The reference's anchor a/2 u^2 + G(u), G bounded (sine head, no output bias).</summary>
    public EnergyBuilder SineNetwork(double a = 1, int width = 64, int depth = 3, int seed = 0, int field = 0) =>
        Anchor(new Anchor.SineNetwork(new Param.Learned(a), Onsager.Network.Create(1, width, depth, Head.Bounded, seed), field));

    // terms
    public EnergyBuilder Quadratic(double a, int field = 0, bool learned = false) => Term(new EnergyTerm.Quadratic(P(a, learned), field));
    public EnergyBuilder Gradient(double kappa, Derivative derivative = Derivative.Spectral, int field = 0, bool learned = false) =>
        Term(new EnergyTerm.Gradient(P(kappa, learned), derivative, field));
    public EnergyBuilder Polynomial(double[] coefficients, int field = 0, bool learned = false) =>
        Term(new EnergyTerm.Polynomial(new ParamArray(coefficients.ToImmutableArray(), learned), field));
    public EnergyBuilder Network(int width = 32, int depth = 2, int seed = 0, int field = 0) =>
        Term(new EnergyTerm.LocalNetwork(Onsager.Network.Create(1, width, depth, Head.Bounded, seed), field));
    public EnergyBuilder InputConvex(int width = 16, int depth = 2, int seed = 0, int field = 0) => Term(EnergyTerm.InputConvex.Create(width, depth, seed, field));
    public EnergyBuilder Circulant(double value = 0.1, int field = 0, bool learned = true) =>
        Term(new EnergyTerm.Circulant(ParamArray.Filled(Spectral.ModeCount(Grid), value, learned), field));
    public EnergyBuilder LowModes(int modes = 16, int width = 32, int depth = 2, int seed = 0, int field = 0) =>
        Term(new EnergyTerm.LowModes(modes, Onsager.Network.Create(2 * modes, width, depth, Head.Bounded, seed, outputScale: 0.1), field));
    public EnergyBuilder Custom(ICustomEnergy term) => Term(new EnergyTerm.Custom(term));

    public Energy Build() => new(Anchors.IsEmpty ? throw new ArgumentException("The energy has no coercive anchor: add QuadraticAnchor, QuarticAnchor, DoubleWell, CoerciveNetwork or SineNetwork.") : Anchors, Terms);
}

/// <summary>Builds a dissipation as a sum of primitives (symmetric PSD by construction).</summary>
public sealed record DissipationBuilder(Grid Grid, int Fields)
{
    public ImmutableArray<Dissipation> Parts { get; init; } = [];

    public DissipationBuilder Add(Dissipation d) => this with { Parts = Parts.Add(d) };
    /// <summary>theta_k^2, one learned theta per rfft mode.</summary>
    public DissipationBuilder Multiplier(double theta = 0.1, bool learned = true) => Add(new Dissipation.Multiplier(ParamArray.Filled(Spectral.ModeCount(Grid), theta, learned)));
    public DissipationBuilder Mobility(double m) => Add(new Dissipation.Mobility(NonNegative.Of(m)));
    public DissipationBuilder Mobility(NonNegative m) => Add(new Dissipation.Mobility(m));
    public DissipationBuilder Divergence(double m) => Add(new Dissipation.Divergence(NonNegative.Of(m)));
    public DissipationBuilder Divergence(NonNegative m) => Add(new Dissipation.Divergence(m));
    public DissipationBuilder Banded(double[] b, int axis = 0) => Add(new Dissipation.Banded(ParamArray.Fixed(b), axis));
    public DissipationBuilder Custom(ICustomOperator op) => Add(new Dissipation.Custom(op));

    public Dissipation? Build() => Parts.Length switch { 0 => null, 1 => Parts[0], _ => new Dissipation.Sum(Parts) };
}

/// <summary>Builds a conservation as a sum of primitives (antisymmetric by construction).</summary>
public sealed record ConservationBuilder(Grid Grid, int Fields)
{
    public ImmutableArray<Conservation> Parts { get; init; } = [];

    public ConservationBuilder Add(Conservation w) => this with { Parts = Parts.Add(w) };
    /// <summary>i phi_k, one learned phi per rfft mode.</summary>
    public ConservationBuilder Multiplier(double phi = 0.0, bool learned = true) => Add(new Conservation.Multiplier(ParamArray.Filled(Spectral.ModeCount(Grid), phi, learned)));
    public ConservationBuilder Stencil(double[] c, int order, int axis = 0) => Add(new Conservation.Stencil(ParamArray.Fixed(c), order, axis));
    /// <summary>c D1 (transport).</summary>
    public ConservationBuilder Transport(double c = 1, int axis = 0) => Stencil([0.5 * c], 1, axis);
    /// <summary>c D3 (Airy).</summary>
    public ConservationBuilder Airy(double c = 1, int axis = 0) => Stencil([-c, 0.5 * c], 3, axis);
    public ConservationBuilder Advection(Scalar b, int axis = 0) => Add(new Conservation.Advection(b, axis));
    public ConservationBuilder Symplectic(int q = 0, int p = 1) => Add(new Conservation.Symplectic(q, p));
    public ConservationBuilder Coupling(int a = 0, int b = 1, DifferenceKind d = DifferenceKind.Central) => Add(new Conservation.Coupling(a, b, d));
    public ConservationBuilder Custom(ICustomOperator op) => Add(new Conservation.Custom(op));

    public Conservation? Build() => Parts.Length switch { 0 => null, 1 => Parts[0], _ => new Conservation.Sum(Parts) };
}
