using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static TorchSharp.torch;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>Issue 14 (your own data): the fast spectrum, the full class-check verdict in the report, and what identifiability
/// claims for members whose operators depend on the state.</summary>
public sealed class OneTrajectoryTests() : ScratchFolder("onsager-one")
{
    public static TheoryData<string> Members => ["kdv", "burgers", "cahn-hilliard-degenerate", "spectral", "polynomial", "local"];

    private static Model Member(string name)
    {
        var grid = Grid.Periodic(2 * Math.PI, 32);
        return name switch
        {
            "spectral" or "local" => (Model)Families.Create(name, grid, seed: 3),
            "polynomial" => PolynomialFamily.Build(grid, [0.1, 0.01, 0.2, 0.3, 0.5, 0.05, 0.7, 0.2]),
            _ => KnownMembers.Get(name, grid),
        };
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void TheImpulseSpectrumEqualsTheModeByModeProbes(string name)
    {
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(Member(name));
        foreach (double state in new[] { 0.0, 0.4 })
        {
            Assert.NotNull(Diagnose.ImpulseProbe(m, state, 0, 16));              // the fast path is taken
            var fast = Diagnose.Spectrum(m, state);
            var slow = Diagnose.ProbedSpectrum(m, state);
            Assert.Equal(slow.Wavenumbers.Length, fast.Wavenumbers.Length);
            Same(fast.Wavenumbers, slow.Wavenumbers, "k");
            void Same(IReadOnlyList<double> a, IReadOnlyList<double> b, string what)
            {
                double scale = Math.Max(b.Max(Math.Abs), 1e-300);
                for (int j = 0; j < a.Count; j++)
                    Assert.True(Math.Abs(a[j] - b[j]) <= 1e-10 * scale, $"{name} s={state} {what} k={j}: {a[j]:R} vs {b[j]:R}");
            }
            Same(fast.M, slow.M, "K_M"); Same(fast.W, slow.W, "K_W"); Same(fast.EnergySymbol, slow.EnergySymbol, "E''");
        }
    }

    [Fact]
    public void ReportPrintsTheFullVerdictWhenTheClassCheckIsSaved()
    {
        var check = Path.Combine(dir, "class-check.json");
        File.WriteAllText(check, """
            {"consistent": false, "energyRiseShare": 0.4, "inClassError": 0.9, "outOfClassError": 0.01,
             "reasons": ["the fitted energy (polynomial) rises along the data in 40.0% of frame steps (more than 5%)",
                         "one-step test error 9.00E-001 in the class against 1.00E-002 outside it (90.00x, more than 10x)"],
             "inClassKind": "polynomial", "outOfClassKind": "unconstrained", "data": "elsewhere.h5"}
            """);
        var outDir = Path.Combine(dir, "ac");
        var (code, output, err) = Run("report", "--model", "builtin:allen-cahn", "--data", SmallData.AllenCahn, "--out", outDir,
                                      "--steps", "4", "--trajectories", "1", "--class-check", check);
        Assert.True(code == 0, err);
        const string verdict = "Class check: not consistent with the Onsager class: the fitted energy (polynomial) rises along the data in 40.0% of frame steps (more than 5%); " +
                               "one-step test error 9.00E-001 in the class against 1.00E-002 outside it (90.00x, more than 10x)";
        Assert.Contains(verdict, output);
        var md = File.ReadAllLines(Path.Combine(outDir, "report.md"));
        Assert.StartsWith("**" + verdict + "**", md[2]);                       // at the top, under the title
        Assert.Contains("other data", md[2]);                                   // the check was made on other data
        Assert.Contains("report: figures", err);                                // progress lines

        var half = Run("report", "--model", "builtin:allen-cahn", "--data", SmallData.AllenCahn, "--out", Path.Combine(dir, "half"),
                       "--steps", "4", "--trajectories", "1");
        Assert.True(half.Code == 0, half.Err);
        Assert.Contains("Class check (energy)", half.Out);
        Assert.Contains("this is half of the verdict", half.Out);

        File.WriteAllText(check, """{"consistent": true}""");
        var bad = Run("report", "--model", "builtin:allen-cahn", "--data", SmallData.AllenCahn, "--out", Path.Combine(dir, "bad"), "--class-check", check);
        Assert.Equal(1, bad.Code);
        Assert.Contains("not check-class's JSON", bad.Err);
    }

    [Fact]
    public void ReportFindsTheClassCheckInTheModelFolder()
    {
        var model = Path.Combine(dir, "model");
        ModelDirectory.Save(model, KnownMembers.Get("allen-cahn"), new ModelMetadata("classical"));
        File.WriteAllText(Path.Combine(model, ClassCheckVerdict.FileName),
            $$"""{"consistent": true, "reasons": ["evidence one", "evidence two"], "data": {{System.Text.Json.JsonSerializer.Serialize(SmallData.AllenCahn)}}}""");
        var (code, output, err) = Run("report", "--model", model, "--data", SmallData.AllenCahn, "--out", Path.Combine(dir, "r"),
                                      "--steps", "4", "--trajectories", "1");
        Assert.True(code == 0, err);
        Assert.Contains("Class check: consistent with the Onsager class: evidence one; evidence two (check-class on", output);
        Assert.DoesNotContain("other data", output);
    }

    [Fact]
    public void LocateTakesTheGivenPathElseTheModelFoldersFileElseNone()
    {
        var model = Path.Combine(dir, "locate");
        Directory.CreateDirectory(model);
        Assert.Null(ClassCheckVerdict.Locate(null, model));                                   // a folder without the file
        Assert.Null(ClassCheckVerdict.Locate(null, "builtin:allen-cahn"));                    // a builtin model has no folder
        var inFolder = Path.Combine(model, ClassCheckVerdict.FileName);
        File.WriteAllText(inFolder, "{}");
        Assert.Equal(inFolder, ClassCheckVerdict.Locate(null, model));
        var given = Path.Combine(dir, "elsewhere.json");                                      // given: wins, even when missing
        Assert.Equal(given, ClassCheckVerdict.Locate(given, model));
        Assert.Equal(given, ClassCheckVerdict.Locate(given, "builtin:allen-cahn"));
    }

    [Theory]
    [InlineData("burgers")]
    [InlineData("kdv")]
    [InlineData("cahn-hilliard-degenerate")]
    [InlineData("polynomial")]
    public void AStateDependentMemberIsNotCalledIdentified(string name)
    {
        using var scope = NewDisposeScope();
        var model = Member(name);
        using var m = Dynamics.Compile(model);
        var r = Identifiability.Analyse(m, RandomMembers.States(new Random(5), model.Grid, 1, 8, 0.8), new IdentifiabilityOptions(Nodes: 8, MaxModes: 12));
        Assert.True(r.StateDependentM || r.StateDependentW, r.Summary);
        Assert.False(r.Identified, r.Summary);
        Assert.Contains("the energy E", r.NotIdentified);
        Assert.Contains(r.StateDependentW ? "the state-dependent W (b(u))" : "the state-dependent M (m(u))", r.NotIdentified);
        Assert.StartsWith("factors NOT identified: the energy E", r.Summary);
        Assert.Contains("onsager equation", r.Summary);
    }

    [Fact]
    public void AConstantOperatorMemberKeepsItsVerdict()
    {
        using var scope = NewDisposeScope();
        var model = KnownMembers.Get("allen-cahn", Grid.Periodic(2 * Math.PI, 32));
        using var m = Dynamics.Compile(model);
        var r = Identifiability.Analyse(m, RandomMembers.States(new Random(5), model.Grid, 1, 8, 0.8), new IdentifiabilityOptions(Nodes: 8, MaxModes: 12));
        Assert.False(r.StateDependentM || r.StateDependentW);
        Assert.True(r.NotIdentified.IsEmpty);
        Assert.Equal(r.Ratio >= r.Threshold, r.Identified);
    }

    [Fact]
    public void IdentifiabilityPerturbsWithTheMembersOwnDerivative()
    {
        var poly = Member("polynomial");
        Assert.Equal(DifferenceKind.Spectral, Identifiability.AdvectionDerivative(poly.Conservation));
        Assert.Equal(new Identifiability.MobilityForm(DifferenceKind.Spectral, false, 0), Identifiability.MobilityDerivative(poly.Dissipation, true));
        var burgers = KnownMembers.Get("burgers");
        Assert.Equal(DifferenceKind.Central, Identifiability.AdvectionDerivative(burgers.Conservation));
        Assert.Equal(new Identifiability.MobilityForm(DifferenceKind.Forward, true, -1), Identifiability.MobilityDerivative(burgers.Dissipation, true));
        var ac = KnownMembers.Get("allen-cahn");
        Assert.Equal(new Identifiability.MobilityForm(null, false, -1), Identifiability.MobilityDerivative(ac.Dissipation, false));
    }
}
