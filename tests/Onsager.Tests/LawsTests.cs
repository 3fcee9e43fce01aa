using Xunit;

namespace Onsager.Tests;

/// <summary>Every law passes on honest members and is shown to fail, every time, on a primitive that breaks it.</summary>
public class LawsTests
{
    public static readonly TheoryData<int> Grids = new() { 8, 17, 64 };

    private static LawResult Law(IEnumerable<LawResult> results, string name) => results.Single(r => r.Name == name);

    private static void Caught(IEnumerable<LawResult> results, string law)
    {
        var r = Law(results, law);
        Assert.True(r.Violations > 0, $"{law} did not catch the broken primitive ({r.Checks} checks, worst margin {r.WorstMargin})");
    }

    private static IEnumerable<LawOptions> Seeds => Enumerable.Range(0, 3).Select(s => LawOptions.Default with { Seed = s });

    [Theory, MemberData(nameof(Grids)), BreaksLaw("dissipation-psd-probes"), BreaksLaw("dissipation-psd-spectrum"), BreaksLaw("operator-split-psd")]
    public void NegativeMobilityAtAFewSitesIsAlwaysCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckDissipation(new Broken.NegativeAtFewSites(o.Seed + n), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "dissipation-psd-probes");
            Caught(r, "dissipation-psd-spectrum");
            Caught(r, "operator-split-psd");
        }
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("dissipation-symmetric")]
    public void NonSymmetricDissipationIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckDissipation(new Broken.ForwardDifference(), Grid.Periodic(3.0, n), 1, o), "dissipation-symmetric");
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("closure-sum"), BreaksLaw("closure-scaling"), BreaksLaw("closure-congruence")]
    public void PlainProductsLeaveTheClassAndEveryClosureLawSaysSo(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckDissipation(new Broken.Product(), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "closure-sum");
            Caught(r, "closure-scaling");
            Caught(r, "closure-congruence");
        }
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("conservation-antisymmetric"), BreaksLaw("energy-conserved-without-dissipation")]
    public void SymmetricConservationIsCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckConservation(new Broken.Identity(1.0), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "conservation-antisymmetric");
            Caught(r, "energy-conserved-without-dissipation");
        }
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("energy-law")]
    public void AntiDissipationRaisesTheEnergyAndIsCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckDissipation(new Broken.Identity(-1.0), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "energy-law");
        }
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("mass-conservation")]
    public void FalseMassPromiseIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckDissipation(new Broken.Identity(1.0, claimsMass: true), Grid.Periodic(2 * Math.PI, n), 1, o), "mass-conservation");
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("variational-derivative-fd"), BreaksLaw("variational-derivative-closed-form")]
    public void WrongClosedFormDerivativeIsCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckEnergyTerm(new Broken.PowerTerm(0.3, 4, 0, derivativeFactor: 1.5), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "variational-derivative-fd");
            Caught(r, "variational-derivative-closed-form");
        }
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("energy-coercive")]
    public void NonCoerciveTermIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckEnergyTerm(new Broken.PowerTerm(-1.0, 4, 0), Grid.Periodic(2 * Math.PI, n), 1, o), "energy-coercive");
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("energy-lower-bound")]
    public void FalseLowerBoundIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckEnergyTerm(new Broken.PowerTerm(-0.1, 2, 0), Grid.Periodic(2 * Math.PI, n), 1, o), "energy-lower-bound");
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("shift-equivariance")]
    public void PositionDependenceIsCaughtByShiftEquivariance(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckDissipation(new Broken.PositionDependent(), Grid.Periodic(2 * Math.PI, n), 1, o), "shift-equivariance");
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("gauge-invariance")]
    public void BrokenGaugeIsCaught(int n)
    {
        var model = KnownMembers.AllenCahn(Grid.Periodic(2 * Math.PI, n));
        var broken = new List<(string, Func<Model, Model>)> { ("lambda E without K / lambda", m => m with { Energy = m.Energy.Scale(2) }) };
        foreach (var o in Seeds) Assert.True(Laws.GaugeInvariance(model, broken, o).Violations > 0);
    }

    // ------------------------------------------------------------------ broken combinators (what the closure laws are for)

    private static readonly Dissipation OtherM = new Dissipation.Mobility(NonNegative.Of(0.5));
    private static readonly Conservation OtherW = new Conservation.Stencil(ParamArray.Fixed(0.5), 1);

    /// <summary>The closure law passes with the library's combinator and fails with the broken one, on an M-only and a W-only member.</summary>
    private static void ClosureCatches(string law, int n, Func<Model, Dissipation, Dissipation> honestM, Func<Model, Dissipation, Dissipation> brokenM,
                                       Func<Model, Conservation, Conservation>? honestW = null, Func<Model, Conservation, Conservation>? brokenW = null)
    {
        var g = Grid.Periodic(2 * Math.PI, n);
        var heat = KnownMembers.Heat(g);      // M = D+^T nu D+, no W
        var kdv = KnownMembers.KdV(g);        // W only
        foreach (var o in Seeds)
        {
            var honest = Laws.Closure(law, heat, m => honestM(heat, m), w => w, o);
            Assert.True(honest.Passed, $"{law} failed the library's combinator: {honest.FirstViolation}");
            Caught([Laws.Closure(law, heat, m => brokenM(heat, m), w => w, o)], law);
            if (honestW is null || brokenW is null) continue;
            honest = Laws.Closure(law, kdv, m => m, w => honestW(kdv, w), o);
            Assert.True(honest.Passed, $"{law} failed the library's combinator on W: {honest.FirstViolation}");
            Caught([Laws.Closure(law, kdv, m => m, w => brokenW(kdv, w), o)], law);
        }
    }

    [Theory, MemberData(nameof(Grids)), BreaksLaw("closure-sum")]
    public void ASumWithAnOffByOneIsCaughtByClosureSum(int n) =>
        ClosureCatches("closure-sum", n, (_, m) => m + OtherM, (like, m) => new Dissipation.Custom(new BrokenCombinator.ShiftedSum(like, m, OtherM)),
                       (_, w) => w + OtherW, (like, w) => new Conservation.Custom(new BrokenCombinator.ShiftedSum(like, w, OtherW)));

    [Theory, MemberData(nameof(Grids)), BreaksLaw("closure-scaling")]
    public void ANegativeFactorPastValidationIsCaughtByClosureScaling(int n) =>
        ClosureCatches("closure-scaling", n, (_, m) => new Dissipation.Scaled(2.0, m), (like, m) => new Dissipation.Custom(new BrokenCombinator.NegativeScaled(-2.0, like, m)));

    [Theory, MemberData(nameof(Grids)), BreaksLaw("closure-scaling")]
    public void AOneSidedWeightIsCaughtByClosureScaling(int n) =>
        ClosureCatches("closure-scaling", n, (_, m) => new Dissipation.Weighted(NonNegative.Of(1.5), m), (like, m) => new Dissipation.Custom(new BrokenCombinator.OneSidedWeight(like, m)));

    [Theory, MemberData(nameof(Grids)), BreaksLaw("closure-congruence")]
    public void ACongruenceWithoutItsTransposeIsCaught(int n) =>
        ClosureCatches("closure-congruence", n, (_, m) => new Dissipation.Congruence(Linear.Forward(), m), (like, m) => new Dissipation.Custom(new BrokenCombinator.UntransposedCongruence(like, m)),
                       (_, w) => new Conservation.Congruence(Linear.Forward(), w), (like, w) => new Conservation.Custom(new BrokenCombinator.UntransposedCongruence(like, w)));

    [Fact]
    public void ClosureRefusesANameThatIsNotAClosureLaw() =>
        Assert.Throws<ArgumentException>(() => Laws.Closure("energy-law", KnownMembers.Heat(Grid.Periodic(1.0, 8)), m => m, w => w));

    [Fact]
    public void RandomMembersPassEveryLaw()
    {
        var report = Verification.Run(new VerificationOptions(RandomMembers: 40, Seed: 1000, KnownMembers: false));
        Assert.True(report.Passed, string.Join("\n", report.Laws.Where(l => !l.Passed).Select(l => $"{l.Name}: {l.FirstViolation}")));
        // Every law checked something on these members (none vacuous), and the run made its usual number of checks.
        Assert.Equal(Laws.Names.Order(), report.Laws.Select(l => l.Name).Order());
        Assert.All(report.Laws, l => Assert.True(l.Checks >= 40, $"{l.Name}: only {l.Checks} checks on 40 members"));
        Assert.True(report.Checks > 20_000, $"{report.Checks} checks");           // 26,914 on these 40 members
    }

    [Fact]
    public void RandomMembersAreDeterministicForASeed()
    {
        Assert.Equal(RandomMembers.Generate(42).Describe(), RandomMembers.Generate(42).Describe());
        Assert.NotEqual(RandomMembers.Generate(42).Describe(), RandomMembers.Generate(43).Describe());
    }
}
