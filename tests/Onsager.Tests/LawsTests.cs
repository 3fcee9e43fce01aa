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

    [Theory, MemberData(nameof(Grids))]
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

    [Theory, MemberData(nameof(Grids))]
    public void NonSymmetricDissipationIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckDissipation(new Broken.ForwardDifference(), Grid.Periodic(3.0, n), 1, o), "dissipation-symmetric");
    }

    [Theory, MemberData(nameof(Grids))]
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

    [Theory, MemberData(nameof(Grids))]
    public void SymmetricConservationIsCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckConservation(new Broken.Identity(1.0), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "conservation-antisymmetric");
            Caught(r, "energy-conserved-without-dissipation");
        }
    }

    [Theory, MemberData(nameof(Grids))]
    public void AntiDissipationRaisesTheEnergyAndIsCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckDissipation(new Broken.Identity(-1.0), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "energy-law");
        }
    }

    [Theory, MemberData(nameof(Grids))]
    public void FalseMassPromiseIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckDissipation(new Broken.Identity(1.0, claimsMass: true), Grid.Periodic(2 * Math.PI, n), 1, o), "mass-conservation");
    }

    [Theory, MemberData(nameof(Grids))]
    public void WrongClosedFormDerivativeIsCaught(int n)
    {
        foreach (var o in Seeds)
        {
            var r = Laws.CheckEnergyTerm(new Broken.PowerTerm(0.3, 4, 0, derivativeFactor: 1.5), Grid.Periodic(2 * Math.PI, n), 1, o);
            Caught(r, "variational-derivative-fd");
            Caught(r, "variational-derivative-closed-form");
        }
    }

    [Theory, MemberData(nameof(Grids))]
    public void NonCoerciveTermIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckEnergyTerm(new Broken.PowerTerm(-1.0, 4, 0), Grid.Periodic(2 * Math.PI, n), 1, o), "energy-coercive");
    }

    [Theory, MemberData(nameof(Grids))]
    public void FalseLowerBoundIsCaught(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckEnergyTerm(new Broken.PowerTerm(-0.1, 2, 0), Grid.Periodic(2 * Math.PI, n), 1, o), "energy-lower-bound");
    }

    [Theory, MemberData(nameof(Grids))]
    public void PositionDependenceIsCaughtByShiftEquivariance(int n)
    {
        foreach (var o in Seeds) Caught(Laws.CheckDissipation(new Broken.PositionDependent(), Grid.Periodic(2 * Math.PI, n), 1, o), "shift-equivariance");
    }

    [Theory, MemberData(nameof(Grids))]
    public void BrokenGaugeIsCaught(int n)
    {
        var model = KnownMembers.AllenCahn(Grid.Periodic(2 * Math.PI, n));
        var broken = new List<(string, Func<Model, Model>)> { ("lambda E without K / lambda", m => m with { Energy = m.Energy.Scale(2) }) };
        foreach (var o in Seeds) Assert.True(Laws.GaugeInvariance(model, broken, o).Violations > 0);
    }

    [Fact]
    public void AtLeastFifteenLawsAndEachHasACanFailTestAbove()
    {
        Assert.True(Laws.Names.Length >= 15);
        var covered = new[]
        {
            "dissipation-symmetric", "dissipation-psd-probes", "dissipation-psd-spectrum", "conservation-antisymmetric",
            "operator-split-psd", "closure-sum", "closure-scaling", "closure-congruence", "energy-law",
            "energy-conserved-without-dissipation", "mass-conservation", "variational-derivative-fd",
            "variational-derivative-closed-form", "energy-coercive", "energy-lower-bound", "shift-equivariance", "gauge-invariance",
        };
        Assert.Equal(covered.OrderBy(x => x), Laws.Names.OrderBy(x => x));
    }

    [Fact]
    public void RandomMembersPassEveryLaw()
    {
        var report = Verification.Run(new VerificationOptions(RandomMembers: 40, Seed: 1000, KnownMembers: false));
        Assert.True(report.Passed, string.Join("\n", report.Laws.Where(l => !l.Passed).Select(l => $"{l.Name}: {l.FirstViolation}")));
        Assert.True(report.Checks > 1000);
    }

    [Fact]
    public void RandomMembersAreDeterministicForASeed()
    {
        Assert.Equal(RandomMembers.Generate(42).Describe(), RandomMembers.Generate(42).Describe());
        Assert.NotEqual(RandomMembers.Generate(42).Describe(), RandomMembers.Generate(43).Describe());
    }
}
