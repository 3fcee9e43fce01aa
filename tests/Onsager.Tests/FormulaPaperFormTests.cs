using System.Text.RegularExpressions;
using Xunit;

namespace Onsager.Tests;

// Issue 15 item 5: Describe() reads like a paper: no coefficient 1 ("1 u^2"), no "1^2", no exponent 1 ("/h^1"), no "+ -".
public class FormulaPaperFormTests
{
    private static readonly Grid G = Grid.Periodic(2 * Math.PI, 16);

    // A standalone 1 before a variable or a power, an exponent 1, a plus followed by a minus.
    private static readonly Regex[] NotPaperForm =
    [
        new(@"(^|[ (])1 u"),
        new(@"(^|[^0-9.*A-Za-z_])1\^"),                          // not P1^T: a name ending in 1
        new(@"\^1(?![0-9.])"),
        new(@"\+ -"),
    ];

    private static void AssertPaperForm(string formula, string who)
    {
        foreach (var r in NotPaperForm)
            Assert.False(r.IsMatch(formula), $"{who}: '{formula}' matches {r}");
    }

    public static TheoryData<string, string> Pieces() => new()
    {
        { new Anchor.Quartic(1.0).ToString(), "u^4" },
        { new Anchor.Quartic(Param.Learn(1.0)).ToString(), "1* u^4" },                 // a learned number keeps its value and mark
        { new Anchor.DoubleWell(1.0, 1.0).ToString(), "(u^2 - 1)^2" },
        { new Anchor.DoubleWell(2.0, 0.5).ToString(), "2 (u^2 - 0.5^2)^2" },
        { new EnergyTerm.Polynomial(ParamArray.Fixed(0, 1, -1, 0, 1)).ToString(), "(u - u^2 + u^4)" },
        { new EnergyTerm.Polynomial(ParamArray.Fixed(-1, -1, 0, 0, 2)).ToString(), "(-1 - u + 2 u^4)" },
        { new EnergyTerm.Polynomial(ParamArray.Fixed(0, -0.5, 0.25)).ToString(), "(-0.5 u + 0.25 u^2)" },
        { new EnergyTerm.Scaled(1.0, new EnergyTerm.Gradient(0.5)).ToString(), "(0.5/2 |grad u|^2)" },
        { Scalar.Linear(1).ToString(), "u" },
        { Scalar.Linear(-1).ToString(), "-u" },
        { new NonNegative.Softplus(Scalar.Linear(1)).ToString(), "softplus(u)" },
        { new NonNegative.Softplus(new Scalar.Polynomial(ParamArray.Fixed(1, -1))).ToString(), "softplus(1 - u)" },
        { new Conservation.Stencil(ParamArray.Fixed(0.3), 1).ToString(), "sum c_j (S^j - S^-j)/h" },
        { new Conservation.Stencil(ParamArray.Fixed(1, 1), 3).ToString(), "sum c_j (S^j - S^-j)/h^3" },
        { new Conservation.Advection(Scalar.Linear(1)).ToString(), "(b D1 + D1 b)/2 [b = u]" },
        { new Dissipation.Scaled(1.0, new Dissipation.Mobility(NonNegative.Of(2.0))).ToString(), "(diag(2))" },
        { new Dissipation.Mobility(new NonNegative.Softplus(new Scalar.Polynomial(ParamArray.Fixed(0, 1, 0, -1)))).ToString(), "diag(softplus(u - u^3))" },
        { new Model(G, new Energy(new Anchor.Quartic(1.0)) { Shift = [-0.5], Offset = -3 }).Describe(), "du/dt = -(0) dE,  E = integral u^4 - 0.5 integral u - 3" },
        { new Model(G, new Energy(new Anchor.Quartic(1.0)) { Shift = [1], Offset = 2 }).Describe(), "du/dt = -(0) dE,  E = integral u^4 + integral u + 2" },
    };

    [Theory]
    [MemberData(nameof(Pieces))]
    public void UnitCoefficientsAndExponentsPrintAsInAPaper(string printed, string expected)
    {
        Assert.Equal(expected, printed);
        AssertPaperForm(printed, expected);
    }

    [Fact]
    public void KnownAndRandomMembersDescribeThemselvesInPaperForm()
    {
        int described = 0;
        foreach (var name in KnownMembers.Names)
            foreach (var spectral in new[] { false, true })
            {
                AssertPaperForm(KnownMembers.Get(name, Grid.Periodic(2 * Math.PI, 32), spectral).Describe(), $"builtin:{name}");
                described++;
            }
        for (int seed = 0; seed < 300; seed++)
        {
            AssertPaperForm(RandomMembers.Generate(seed).Describe(), $"random:{seed}");
            described++;
        }
        Assert.Equal(2 * KnownMembers.Names.Length + 300, described);
    }

    [Fact]
    public void ThePatternsCatchTheOldForms()
    {
        // The checks above can fail: each old form is caught, and no paper form is.
        foreach (var old in new[] { "1 u^2", "softplus(1 u)", "(u^2 - 1^2)^2", "S^-j)/h^1", "integral u^4 + -0.5 integral u" })
            Assert.Contains(NotPaperForm, r => r.IsMatch(old));
        foreach (var paper in new[] { "0.1 u^2", "(u^2 - 0.1^2)^2", "1* u^4", "1*^2", "/h^1.5", "1/2 u^2", "u - 1" })
            Assert.DoesNotContain(NotPaperForm, r => r.IsMatch(paper));
    }
}
