using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

public class KnownMembersTests
{
    private static double[] Rhs(Model m, double[] u)
    {
        using var c = Dynamics.Compile(m);
        return c.Rhs(Dynamics.State(m, u)).data<double>().ToArray();
    }

    private static void Close(double[] expected, double[] actual)
    {
        double scale = expected.Max(Math.Abs) + 1;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"site {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(32, 2 * Math.PI)]
    [InlineData(33, 5.0)]
    public void AllenCahnMatchesItsPde(int n, double length)
    {
        var u = Pde.Smooth(n, length, 1);
        double h = length / n, eps = 0.1;
        var lap = Pde.Laplacian(u, h);
        Close(Pde.Map(n, i => lap[i] + (u[i] - Math.Pow(u[i], 3)) / (eps * eps)), Rhs(KnownMembers.AllenCahn(Grid.Periodic(length, n), eps), u));
        var spec = Pde.SpectralSecond(u, length);
        Close(Pde.Map(n, i => spec[i] + (u[i] - Math.Pow(u[i], 3)) / (eps * eps)), Rhs(KnownMembers.AllenCahn(Grid.Periodic(length, n), eps, spectral: true), u));
    }

    [Fact]
    public void CahnHilliardMatchesItsPde()
    {
        int n = 32; double length = 2 * Math.PI, h = length / n, eps = 0.1;
        var u = Pde.Smooth(n, length, 2);
        var lap = Pde.Laplacian(u, h);
        var mu = Pde.Map(n, i => Math.Pow(u[i], 3) - u[i] - eps * eps * lap[i]);
        Close(Pde.Laplacian(mu, h), Rhs(KnownMembers.CahnHilliard(Grid.Periodic(length, n), eps), u));
        // degenerate mobility m = max(1 - u^2, 0.05) at half points: u_t = (m+ (mu+ - mu) - m- (mu - mu-)) / h^2
        double M(double s) => Math.Max(1 - s * s, 0.05);
        var expected = Pde.Map(n, i =>
            (M((u[i] + Pde.At(u, i + 1)) / 2) * (Pde.At(mu, i + 1) - mu[i]) - M((Pde.At(u, i - 1) + u[i]) / 2) * (mu[i] - Pde.At(mu, i - 1))) / (h * h));
        Close(expected, Rhs(KnownMembers.CahnHilliard(Grid.Periodic(length, n), eps, degenerate: true), u));
    }

    [Fact]
    public void HeatMatchesItsPde()
    {
        int n = 40; double length = 3.0, h = length / n;
        var u = Pde.Smooth(n, length, 3);
        var lap = Pde.Laplacian(u, h);
        Close(Pde.Map(n, i => 0.1 * lap[i]), Rhs(KnownMembers.Heat(Grid.Periodic(length, n), 0.1), u));
    }

    [Fact]
    public void KdVMatchesItsPde()
    {
        int n = 64; double length = 2 * Math.PI, h = length / n;
        var u = Pde.Smooth(n, length, 4);
        var d1 = Pde.Central(u, h); var d3 = Pde.Third(u, h); var d1sq = Pde.Central(Pde.Map(n, i => u[i] * u[i]), h);
        // -(D3 u + 2 u D1 u + 2 D1 u^2): the skew-symmetric discretisation of -(u_xxx + 6 u u_x)
        Close(Pde.Map(n, i => -(d3[i] + 2 * u[i] * d1[i] + 2 * d1sq[i])), Rhs(KnownMembers.KdV(Grid.Periodic(length, n)), u));
    }

    [Fact]
    public void BurgersAndKdVBurgersMatchTheirPdes()
    {
        int n = 48; double length = 2 * Math.PI, h = length / n;
        var u = Pde.Smooth(n, length, 5);
        var d1 = Pde.Central(u, h); var d1sq = Pde.Central(Pde.Map(n, i => u[i] * u[i]), h); var lap = Pde.Laplacian(u, h); var d3 = Pde.Third(u, h);
        Close(Pde.Map(n, i => -(u[i] * d1[i] + d1sq[i]) / 3 + 0.1 * lap[i]), Rhs(KnownMembers.Burgers(Grid.Periodic(length, n), 0.1), u));
        Close(Pde.Map(n, i => -(d3[i] + 2 * u[i] * d1[i] + 2 * d1sq[i]) + 0.05 * lap[i]), Rhs(KnownMembers.KdVBurgers(Grid.Periodic(length, n), 0.05), u));
    }

    [Fact]
    public void DampedWaveMatchesItsPde()
    {
        int n = 32; double length = 2 * Math.PI, h = length / n, gamma = 0.1;
        var v = Pde.Smooth(n, length, 6); var p = Pde.Smooth(n, length, 7);
        var dp = Pde.Central(p, h); var dv = Pde.Central(v, h);
        var expected = dp.Concat(Pde.Map(n, i => dv[i] - gamma * p[i])).ToArray();
        var model = KnownMembers.DampedWave(Grid.Periodic(length, n), gamma);
        Close(expected, Rhs(model, v.Concat(p).ToArray()));
    }

    [Fact]
    public void EveryKnownMemberPassesEveryLaw()
    {
        foreach (var name in KnownMembers.Names)
        {
            var results = Laws.Check(KnownMembers.Get(name, Grid.Periodic(2 * Math.PI, 24)));
            Assert.All(results, r => Assert.True(r.Passed, $"{name}: {r.Name}: {r.FirstViolation}"));
        }
    }

    [Fact]
    public void DescribePrintsTheFormula()
    {
        var ac = KnownMembers.AllenCahn(Grid.Periodic(2 * Math.PI, 64));
        Assert.Equal("du/dt = -(diag(1)) dE,  E = integral 25 (u^2 - 1)^2 + 1/2 |D+ u|^2", ac.Describe());
        var kdv = KnownMembers.KdV(Grid.Periodic(2 * Math.PI, 64));
        Assert.Equal("du/dt = -(D3 + (b D1 + D1 b)/2 [b = 4 u]) dE,  E = integral 1/2 u^2", kdv.Describe());
    }
}
