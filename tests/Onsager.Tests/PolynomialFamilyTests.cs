using System.Text.Json;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static TorchSharp.torch;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>The polynomial family (E = u^2/2, M and W polynomial in u and spectral derivatives), its weak-form fit on
/// one coarse trajectory of an offset grid, with and without noise, the etdrk4 rollout, and mass conservation as a choice.</summary>
public sealed class PolynomialFamilyTests() : ScratchFolder("onsager-polynomial")
{
    private static double[] SmoothState(int n, double length, int seed)
    {
        var rng = new Random(seed);
        var (a, b, c) = (rng.NextDouble(), rng.NextDouble(), rng.NextDouble());
        return Enumerable.Range(0, n).Select(i => { double x = 2 * Math.PI * i / n; return a * Math.Sin(x) + b * Math.Cos(2 * x + c) + 0.3 * Math.Sin(3 * x); }).ToArray();
    }

    [Fact]
    public void ABuiltMemberHasExactlyTheFieldOfItsFeatures()
    {
        var grid = Grid.Periodic(10.0, 64);
        double[] c = [0.3, 0.01, 0.2, 0.05, -0.7, 0.4, 1.5, -0.25];
        var model = PolynomialFamily.Build(grid, c);
        var u = SmoothState(64, 10.0, 3);
        var features = PolynomialFamily.Features(u, x => Solvers.Derivative(x, 10.0));
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(model);
        var f = m.Rhs(tensor(u, [1, 1, 64], ScalarType.Float64)).data<double>().ToArray();
        double scale = f.Max(Math.Abs);
        for (int i = 0; i < 64; i++)
            Assert.Equal(c.Select((cj, j) => cj * features[j][i]).Sum(), f[i], 1e-10 * scale);
        var laws = Laws.Check(model);
        Assert.True(laws.All(r => r.Passed), string.Join("; ", laws.Where(r => !r.Passed)));
    }

    [Fact]
    public void ANegativeDissipationCoefficientIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => PolynomialFamily.Build(Grid.Periodic(1.0, 16), [-0.1, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Contains("diffusion", e.Message);
        Assert.Throws<ArgumentException>(() => PolynomialFamily.Build(Grid.Periodic(1.0, 16), [0.1, 0]));
    }

    [Fact]
    public void AnAdvectionWithASpectralDerivativeRoundTripsAndAForwardOneIsRefused()
    {
        var model = PolynomialFamily.Build(Grid.Periodic(6.0, 32), [0.1, 0, 0, 0, 0, 0, 2.0 / 3, 0]);
        var encoded = ModelJson.Encode(model, new ModelMetadata("polynomial"));
        var back = ModelJson.Decode(encoded.Json, encoded.Weights.AsSpan());
        Assert.Equal(model.Describe(), back.Field.Describe());
        Assert.Contains("\"derivative\"", encoded.Json);
        Assert.DoesNotContain("\"derivative\"", ModelJson.Encode(KnownMembers.Get("burgers", Grid.Periodic(6.0, 32)), new ModelMetadata("classical")).Json);
        Assert.Throws<ArgumentException>(() => new Conservation.Advection(Scalar.Linear(1), 0, DifferenceKind.Forward));
    }

    [Fact]
    public void TheWeakFormRecoversBurgersFromOneCoarseTrajectoryOnAnOffsetGridCleanAndAtOnePercentNoise()
    {
        var recipe = Recipes.With(Recipes.Get("burgers"), frames: 61, points: 128, length: 16, origin: -8, dt: 0.1);
        DatasetWriter.Generate(recipe, 1, 1, P("burgers.h5"));
        DatasetWriter.Generate(recipe with { MeasurementNoise = 0.01 }, 1, 1, P("noisy.h5"));
        using var clean = DatasetReader.Open(P("burgers.h5"));
        var fit = PolynomialFitting.Fit(clean);
        Assert.Equal("time", fit.Split.Name);
        Assert.True(fit.ConservesMass, fit.MassReason);
        Assert.Equal(0.1, fit.Coefficient("diffusion"), 0.002);                 // within 2 %
        Assert.Equal(2.0 / 3, fit.Coefficient("advection"), 2.0 / 3 * 0.02);
        Assert.Equal(0, fit.Coefficient("dispersion"));
        using var noisy = DatasetReader.Open(P("noisy.h5"));
        var n = PolynomialFitting.Fit(noisy);
        Assert.Equal(0.1, n.Coefficient("diffusion"), 0.005);                   // within 5 %
        Assert.Equal(2.0 / 3, n.Coefficient("advection"), 2.0 / 3 * 0.05);
        // the strong form (finite-difference u_t of the noisy frames) does not get there: the weak form is the default for a reason
        var strong = PolynomialFitting.Fit(noisy, new PolynomialFitOptions { Form = FitForm.Strong });
        Assert.True(Math.Abs(strong.Coefficient("advection") - 2.0 / 3) > 2.0 / 3 * 0.05, strong.Describe());
    }

    [Fact]
    public void TrainKindPolynomialThenEquationReadsKdvBackWithinTwoPercent()
    {
        Assert.Equal(0, Run("generate", "kdv", "--samples", "1", "--seed", "1", "--out", P("kdv.h5"), "--length", "40", "--origin", "-20",
                            "--n", "256", "--frames", "61", "--dt", "0.1").Code);
        var (code, output, err) = Run("train", "--data", P("kdv.h5"), "--kind", "polynomial", "--out", P("kdv-model"));
        Assert.True(code == 0, err);
        Assert.Contains("mass-conserving terms only", err);
        Assert.Contains("polynomial fitted", output);
        var run = JsonDocument.Parse(File.ReadAllText(P("kdv-model/run.json"))).RootElement;
        Assert.Equal("etdrk4", run.GetProperty("scheme").GetString());
        Assert.Equal("time", run.GetProperty("split").GetString());
        (code, output, err) = Run("equation", "--model", P("kdv-model"), "--data", P("kdv.h5"), "--json");
        Assert.True(code == 0, err);
        var terms = JsonDocument.Parse(output).RootElement.GetProperty("terms").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("coefficient").GetDouble());
        Assert.Equal(-6, terms["u*u_x"], 6 * 0.02);
        Assert.Equal(-1, terms["u_xxx"], 0.02);
        (code, output, err) = Run("evaluate", "--model", P("kdv-model"), "--data", P("kdv.h5"), "--json");
        Assert.True(code == 0, err);
        var evaluation = JsonDocument.Parse(output).RootElement;
        Assert.Equal("etdrk4", evaluation.GetProperty("scheme").GetString());
        Assert.True(evaluation.GetProperty("steps")[0].GetProperty("mean").GetDouble() < 5e-3, output);
        Assert.Equal(2, Run("train", "--data", P("kdv.h5"), "--kind", "polynomial", "--out", P("x"), "--fit", "sideways").Code);
        Assert.Equal(2, Run("train", "--data", P("kdv.h5"), "--kind", "spectral", "--out", P("y"), "--fit", "weak").Code);
    }

    [Fact]
    public void TheReportOpensWithTheEnergyHalfOfTheClassVerdictAndFewFramesStillFit()
    {
        Assert.Equal(0, Run("generate", "burgers", "--samples", "1", "--seed", "2", "--out", P("b.h5"), "--n", "64", "--frames", "21", "--length", "16", "--origin", "-8", "--dt", "0.1").Code);
        Assert.Equal(0, Run("generate", "ks", "--samples", "1", "--seed", "2", "--out", P("ks.h5"), "--n", "64", "--frames", "41", "--length", "50").Code);
        foreach (var (data, verdict) in new[] { ("b", "Class check (energy): consistent"), ("ks", "Class check (energy): not consistent") })
        {
            var (code, output, err) = Run("train", "--data", P(data + ".h5"), "--kind", "polynomial", "--out", P(data + "-model"));
            Assert.True(code == 0, err);                                     // 15 training frames: the time window shrinks to fit
            (code, output, err) = Run("report", "--model", P(data + "-model"), "--data", P(data + ".h5"), "--out", P(data + "-report"));
            Assert.True(code == 0, err);
            Assert.Contains(verdict, output);
            Assert.Contains("**" + verdict, File.ReadAllLines(P(data + "-report/report.md"))[2]);
        }
    }

    [Fact]
    public void Etdrk4StepsTheTrueKdvMemberAcrossACoarseFrameToTheDatasFloor()
    {
        var recipe = Recipes.With(Recipes.Get("kdv"), frames: 3, points: 256, length: 40, origin: -20, dt: 0.1);
        DatasetWriter.Generate(recipe, 1, 1, P("kdv.h5"));
        using var reader = DatasetReader.Open(P("kdv.h5"));
        var frames = reader.ReadTrajectory(0).Select(x => (double)x).ToArray();
        var member = PolynomialFamily.Build(reader.Dataset.Grid, [0, 0, 0, 0, 0, 1, 4, 0]);
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(member);
        var u0 = tensor(frames[..256], [1, 1, 256], ScalarType.Float64);
        var u1 = tensor(frames[256..512], [1, 1, 256], ScalarType.Float64);
        var v = Steppers.Step(m, new Stepper.Rk4Adaptive(AdaptiveOptions.Etdrk4), u0, 0.1).State;
        double relative = (v - u1).norm().item<double>() / u1.norm().item<double>();
        Assert.True(relative < 1e-4, $"etdrk4 one-frame error {relative:G3}");
        var rk4 = Steppers.Step(m, new Stepper.Rk4(), u0, 0.1).State;
        Assert.False((rk4 - u1).norm().item<double>() / u1.norm().item<double>() < 1e-2, "one plain rk4 step should not resolve this frame");
    }

    [Fact]
    public void ConserveMassBuildsSpectralMembersWhoseFieldKeepsTheMeanAndLocalOnesWithoutThePointwiseMobility()
    {
        var grid = Grid.Periodic(2 * Math.PI, 32);
        var u = tensor(SmoothState(32, 2 * Math.PI, 5).Select(x => x + 0.7).ToArray(), [1, 1, 32], ScalarType.Float64);
        Assert.DoesNotContain("Mobility", FormulaTypes((Model)Families.Create("local", grid, conserveMass: true)));
        Assert.Contains("Mobility", FormulaTypes((Model)Families.Create("local", grid)));
        foreach (var kind in new[] { "spectral" })
        {
            var member = (Model)Families.Create(kind, grid, conserveMass: true);
            using var scope = NewDisposeScope();
            using var m = Dynamics.Compile(member);
            var f = m.Rhs(u);
            Assert.True(Math.Abs(f.sum().item<double>()) < 1e-9 * f.abs().sum().item<double>(), $"{kind}: the field changes the mass");
        }
        var plain = (Model)Families.Create("spectral", grid);
        using (var m = Dynamics.Compile(plain))
            Assert.False(Math.Abs(m.Rhs(u).sum().item<double>()) < 1e-9 * m.Rhs(u).abs().sum().item<double>(), "the plain spectral member should not conserve mass");
        Assert.Throws<ArgumentException>(() => Families.Create("fno", grid, conserveMass: true));
    }

    private static string FormulaTypes(Model m) => m.Dissipation switch
    {
        Dissipation.Sum s => string.Join(",", s.Terms.Select(t => t.GetType().Name)),
        { } d => d.GetType().Name,
        null => "",
    };
}
