using System.Collections.Immutable;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

public class BadInputTests
{
    private static readonly Grid G = Grid.Periodic(2 * Math.PI, 16);

    [Fact]
    public void AFieldWithoutAnAnchorIsRefusedWithItsNumber()
    {
        var e = Assert.Throws<ArgumentException>(() => new Model(G, 2, new Energy(new Anchor.Quadratic(1.0, 0)), null, null));
        Assert.Contains("Field 1 has no coercive anchor", e.Message);
        Assert.Throws<ArgumentException>(() => new Energy(ImmutableArray<Anchor>.Empty, ImmutableArray<EnergyTerm>.Empty));
    }

    [Fact]
    public void SignConstraintsAreEnforcedAtConstruction()
    {
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => new Anchor.Quadratic(-1.0)).Message);
        Assert.Throws<ArgumentException>(() => new EnergyTerm.Gradient(-0.1));
        Assert.Throws<ArgumentException>(() => NonNegative.Of(-2));
        Assert.Throws<ArgumentException>(() => new EnergyTerm.Polynomial(ParamArray.Fixed(0, 0, 0, 1)));     // odd degree: unbounded below
        Assert.Throws<ArgumentException>(() => new EnergyTerm.Polynomial(ParamArray.Fixed(0, 0, -1)));       // negative leading coefficient
        Assert.Throws<ArgumentException>(() => new Energy(new Anchor.Quadratic(1.0)).Scale(-1));
        Assert.Throws<ArgumentException>(() => Gauge.Rescale(KnownMembers.Heat(G), 0));
        Assert.Throws<ArgumentException>(() => new Dissipation.Scaled(-1.0, new Dissipation.Mobility(NonNegative.Of(1))));
    }

    [Fact]
    public void GridsAndStencilsThatDoNotFitAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Grid.Periodic(0, 16));
        Assert.Throws<ArgumentException>(() => Grid.Periodic(1, 1));
        Assert.Throws<ArgumentException>(() => Grid.Periodic(double.NaN, 16));
        var e = Assert.Throws<ArgumentException>(() => new Model(Grid.Periodic(1, 6), new Energy(new Anchor.Quadratic(1.0)), null,
            new Conservation.Stencil(ParamArray.Fixed(1, 1, 1), 1)));
        Assert.Contains("points along axis 0", e.Message);
        Assert.Throws<ArgumentException>(() => new Model(G, new Energy(new Anchor.Quadratic(1.0)), new Dissipation.Multiplier(ParamArray.Fixed(1, 2)), null));
        Assert.Throws<ArgumentException>(() => new Model(G, new Energy(new Anchor.Quadratic(1.0)), null, new Conservation.Symplectic(0, 1)));
        Assert.Throws<ArgumentException>(() => new Model(Grid.Periodic(1, 1, 8, 8), new Energy(new Anchor.Quadratic(1.0)).Plus(new EnergyTerm.LowModes(2, Network.Create(4, 4, 1, Head.Bounded, 0))), null, null));
    }

    [Fact]
    public void AStateOfTheWrongShapeIsRefusedWithBothShapes()
    {
        using var c = Dynamics.Compile(KnownMembers.Heat(G));
        var e = Assert.Throws<ArgumentException>(() => c.Rhs(zeros(2, 1, 17, dtype: ScalarType.Float64)));
        Assert.Contains("(batch, 1, 16)", e.Message);
        Assert.Contains("(2, 1, 17)", e.Message);
    }

    [Fact]
    public void UnknownBuiltinsAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => KnownMembers.Get("navier-stokes"));
        Assert.Contains("allen-cahn", e.Message);
    }
}
