using System.Collections.Immutable;
using System.Text.Json;
using Onsager.Cli;
using Onsager.Data;
using PureHDF;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>Data shaped as users bring it: an offset grid, float32 coordinates, one trajectory (split in time), and the
/// equation read back from a field.</summary>
public sealed class OwnDataTests() : ScratchFolder("onsager-own-data")
{
    // ---- grids as the data give them ----

    [Theory]
    [InlineData("heat.h5")]
    [InlineData("heat.npz")]
    public void AnOffsetGridRoundTripsThroughTheWritersWithItsOriginLengthAndFrameSpacing(string name)
    {
        var recipe = Recipes.With(Recipes.Get("heat"), frames: 11, points: 16, length: 16, origin: -8, dt: 0.1);
        DatasetWriter.Generate(recipe, 1, 4, P(name));
        var d = Dataset.Open(P(name));
        Assert.Equal(-8, d.Origins[0], 12);
        Assert.Equal(16, d.Lengths[0], 12);
        Assert.Equal(0.1, d.Dt, 12);
        Assert.Equal(Enumerable.Range(0, 16).Select(j => -8 + j * 1.0), d.Coordinates[0]);
        Assert.Equal(Grid.Periodic(16, 16), d.Grid);
        Assert.Contains("[-8, 8)", d.GridText);
    }

    [Fact]
    public void AGridThatStartsAnywhereOpensAndFloat32CoordinatesAreAccepted()
    {
        // (0, L] as some solvers write it, and [-30, 30) stored as float32
        var shifted = Enumerable.Range(1, 8).Select(j => j * 0.5).ToArray();
        var f32 = Enumerable.Range(0, 512).Select(j => (double)(float)(-30 + j * 60.0 / 512)).ToArray();
        foreach (var (x, origin, length) in new[] { (shifted, 0.5, 4.0), (f32, -30.0, 60.0) })
        {
            var file = new H5File
            {
                ["u_sol_all"] = new H5Dataset(new float[2 * 3 * x.Length], fileDims: [2, 3, (ulong)x.Length, 1]),
                ["t_coord"] = new[] { 0f, 0.1f, 0.2f },
                ["x_coord"] = x,
            };
            var path = P($"grid-{x.Length}.h5");
            file.Write(path);
            var d = Dataset.Open(path);
            Assert.Equal(origin, d.Origins[0], 5);
            Assert.Equal(length, d.Lengths[0], 4);
            Assert.Equal(0.1, d.Dt, 6);
        }
    }

    [Fact]
    public void ANonUniformGridIsStillRefusedWithTheNumbers()
    {
        var x = Enumerable.Range(0, 8).Select(j => -1 + j * 0.5 + (j == 5 ? 0.01 : 0)).ToArray();
        var file = new H5File
        {
            ["u_sol_all"] = new H5Dataset(new float[1 * 3 * 8], fileDims: [1, 3, 8, 1]),
            ["t_coord"] = new[] { 0.0, 0.1, 0.2 },
            ["x_coord"] = x,
        };
        file.Write(P("bad.h5"));
        var e = Assert.Throws<DatasetException>(() => Dataset.Open(P("bad.h5")));
        Assert.Contains("bad.h5", e.Message);
        Assert.Contains("x_5 = 1.51", e.Message);
        Assert.Contains("expected 1.5", e.Message);
    }

    [Fact]
    public void GenerateTakesTheShapeOfAUsersDataAndRefusesAChainOfAnotherLength()
    {
        var (code, output, err) = Run("generate", "burgers", "--samples", "1", "--seed", "1", "--out", P("b.h5"), "--n", "64", "--frames", "21",
                                      "--length", "16", "--origin", "-8", "--dt", "0.1");
        Assert.True(code == 0, err);
        Assert.Contains("[-8, 8) with 64 points", output);
        var d = Dataset.Open(P("b.h5"));
        Assert.Equal(0.1, d.Dt, 12);
        // the solver's own step stays the recipe's (1e-3): 100 substeps per frame
        Assert.Equal(1e-3, d.Scalars["internal_dt"], 12);
        (code, _, err) = Run("generate", "fput", "--samples", "1", "--seed", "1", "--out", P("f.h5"), "--length", "16");
        Assert.Equal(2, code);
        Assert.Contains("chain", err);
        (code, _, err) = Run("inspect", P("b.h5"));
        Assert.Equal(0, code);
    }

    [Fact]
    public void KuramotoSivashinskyIsChaoticAndKeepsItsMean()
    {
        var recipe = Recipes.With(Recipes.Get("ks"), frames: 41, points: 128);
        var t = Generators.Sample(recipe, 1, 0).Values;
        int n = 128;
        double Mean(int f) => Enumerable.Range(0, n).Average(j => (double)t[f * n + j]);
        double Rms(int f) => Math.Sqrt(Enumerable.Range(0, n).Average(j => (double)t[f * n + j] * t[f * n + j]));
        Assert.InRange(Math.Abs(Mean(40) - Mean(0)), 0, 1e-5);
        // on the attractor: order-one amplitude that neither decays nor blows up
        Assert.All(Enumerable.Range(0, 41), f => Assert.InRange(Rms(f), 0.5, 5));
        Assert.Equal(32 * Math.PI, recipe.Length, 12);
    }

    // ---- one trajectory: the split in time ----

    [Fact]
    public void OneTrajectoryIsSplitInTimeSeventyTwentyTenAndManyByTrajectory()
    {
        DatasetWriter.Generate(Recipes.With(Recipes.Get("heat"), frames: 101, points: 16), 1, 1, P("one.h5"));
        var d = Dataset.Open(P("one.h5"));
        Assert.Equal(SplitKind.Time, d.DefaultSplit);
        var s = d.SplitBy();
        Assert.Equal("time", s.Name);
        Assert.Equal((0, 71), (s.TrainFrames!.Start, s.TrainFrames.End));
        Assert.Equal((71, 91), (s.ValidationFrames!.Start, s.ValidationFrames.End));
        Assert.Equal((91, 101), (s.TestFrames!.Start, s.TestFrames.End));
        Assert.Equal([0], s.Test.ToArray());
        // a file of 12 trajectories is split by trajectory unless asked otherwise
        DatasetWriter.Generate(Recipes.With(Recipes.Get("heat"), frames: 21, points: 16), 12, 1, P("twelve.h5"));
        var twelve = Dataset.Open(P("twelve.h5"));
        Assert.Equal(SplitKind.Trajectories, twelve.DefaultSplit);
        Assert.Equal(twelve.ReferenceSplit().Test.ToArray(), twelve.SplitBy().Test.ToArray());
        Assert.Equal(SplitKind.Time, twelve.SplitBy(SplitKind.Time).Kind);
        // too few frames for three parts: an error that names the file and the count
        DatasetWriter.Generate(Recipes.With(Recipes.Get("heat"), frames: 6, points: 16), 1, 1, P("short.h5"));
        var e = Assert.Throws<DatasetException>(() => Dataset.Open(P("short.h5")).SplitInTime());
        Assert.Contains("6 frames", e.Message);
    }

    [Fact]
    public void TrainingWindowsOfASplitInTimeNeverReachTheFramesSetApart()
    {
        DatasetWriter.Generate(Recipes.With(Recipes.Get("heat"), frames: 101, points: 16), 1, 1, P("one.h5"));
        using var reader = DatasetReader.Open(P("one.h5"));
        var s = reader.Dataset.SplitInTime();
        var train = new TrainingWindows(reader, s.Train, 11, frames: s.TrainFrames);
        var validation = new TrainingWindows(reader, s.Validation, 11, frames: s.ValidationFrames);
        var rng = new Random(1);
        Assert.All(train.Draw(rng, 2000), w => Assert.InRange(w.Start, 0, 71 - 11));
        Assert.All(validation.Draw(rng, 2000), w => Assert.InRange(w.Start, 71, 91 - 11));
        Assert.Equal(61, train.Draw(rng, 5000).Select(w => w.Start).Distinct().Count());
        // the values are the file's frames at those starts
        var w0 = validation.Draw(new Random(2), 1);
        Assert.Equal(reader.ReadWindow(0, w0[0].Start, 11), validation.Read(w0));
        Assert.Throws<ArgumentException>(() => new TrainingWindows(reader, s.Test, 11, frames: s.TestFrames));
    }

    [Fact]
    public void TrainAndEvaluateOnOneTrajectorySayAndRecordTheSplitInTime()
    {
        Assert.Equal(0, Run("generate", "ac", "--samples", "1", "--seed", "2", "--out", P("ac.h5"), "--n", "32", "--frames", "41").Code);
        var (code, output, err) = Run("train", "--data", P("ac.h5"), "--kind", "spectral", "--out", P("m"), "--epochs", "2", "--steps-per-epoch", "3",
                                      "--width", "8", "--depth", "1", "--window", "4", "--horizon", "2");
        Assert.True(code == 0, err);
        Assert.Contains("1 trajectory (fewer than 10): split in time", err);
        Assert.Equal("time", JsonDocument.Parse(File.ReadAllText(P("m/run.json"))).RootElement.GetProperty("split").GetString());
        (code, output, err) = Run("evaluate", "--model", P("m"), "--data", P("ac.h5"), "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("time", json.GetProperty("split").GetString());
        Assert.Equal(1, json.GetProperty("testTrajectories").GetInt32());
        Assert.Equal(37, json.GetProperty("firstTestFrame").GetInt32());
        Assert.Equal(3, json.GetProperty("rollout50Steps").GetInt32());              // test frames 37..40
        (code, output, _) = Run("evaluate", "--model", P("m"), "--data", P("ac.h5"));
        Assert.Equal(0, code);
        Assert.Contains("1 test trajectory, split in time", output);
        Assert.DoesNotContain("reference protocol", output);
        Assert.Equal(2, Run("train", "--data", P("ac.h5"), "--kind", "spectral", "--out", P("n"), "--split", "weeks").Code);
    }

    [Fact]
    public void TheDefaultWindowFitsAShortSplitInTimeAndAGivenOneIsUsedAsGiven()
    {
        Assert.Equal(0, Run("generate", "ac", "--samples", "1", "--seed", "2", "--out", P("ac.h5"), "--n", "32", "--frames", "41").Code);
        var data = Dataset.Open(P("ac.h5"));
        Assert.Equal(8, new TrainingOptions().WindowOn(data.SplitInTime(), data.Frames));               // validation frames 29..36
        Assert.Equal(4, new TrainingOptions { WindowLength = 4 }.WindowOn(data.SplitInTime(), data.Frames));
        Assert.Equal(TrainingOptions.ReferenceWindow, new TrainingOptions().WindowOn(Dataset.Split(10), 41));
        var (code, _, err) = Run("train", "--data", P("ac.h5"), "--kind", "spectral", "--out", P("m"), "--epochs", "1", "--steps-per-epoch", "2",
                                 "--width", "8", "--depth", "1", "--horizon", "2");
        Assert.True(code == 0, err);
        Assert.Contains("windows of 8 frames", err);
        Assert.Equal(8, JsonDocument.Parse(File.ReadAllText(P("m/run.json"))).RootElement.GetProperty("window").GetInt32());
        (code, _, err) = Run("train", "--data", P("ac.h5"), "--kind", "spectral", "--out", P("n"), "--epochs", "1", "--window", "11");
        Assert.Equal(2, code);                                                                           // an option the data cannot honour
        Assert.Contains("windows of 11 frames do not fit in frames 29..36", err);
        Assert.False(File.Exists(P("n/model.json")));
    }

    // ---- the equation read back ----

    [Fact]
    public void SparseRegressionRecoversAKnownCombinationAndDropsWhatContributesLittle()
    {
        var rng = new Random(3);
        int m = 400;
        var u = Enumerable.Range(0, m).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var d = new Derivatives([.. u], [.. u.Select(x => Math.Cos(3 * x))], [.. u.Select(x => Math.Sin(5 * x))], [.. u.Select(x => x * x * x - x)],
                                [.. u.Select(x => Math.Exp(x))]);
        var names = TermLibrary.Names;
        var cols = TermLibrary.Columns(names, d);
        // f = 0.1 u_xx - 6 u*u_x + 1e-4 u (the last below 1 % of |f|)
        var f = Enumerable.Range(0, m).Select(i => 0.1 * d.Uxx[i] - 6 * d.U[i] * d.Ux[i] + 1e-4 * d.U[i]).ToArray();
        var eq = SparseRegression.Fit(names, cols, f);
        Assert.Equal(["u_xx", "u*u_x"], eq.Terms.Select(t => t.Name).ToArray());
        Assert.Equal(0.1, eq.Coefficient("u_xx"), 3);
        Assert.Equal(-6, eq.Coefficient("u*u_x"), 3);
        Assert.InRange(eq.Unexplained, 0, 1e-3);
        Assert.Equal("u_t = 0.1 u_xx - 6 u*u_x", eq.Format(3));
        // with no threshold the small term stays, exactly
        var all = SparseRegression.Fit(names, cols, f, 0);
        Assert.Equal(1e-4, all.Coefficient("u"), 9);
        Assert.InRange(all.Unexplained, 0, 1e-9);
        Assert.Throws<ArgumentException>(() => TermLibrary.Parse("u,u_y"));
    }

    [Fact]
    public void TheEquationOfAKnownSpectralMemberIsItsPdeOnAnOffsetGrid()
    {
        // heat with a spectral Laplacian: u_t = 0.1 u_xx exactly; Allen-Cahn: u_t = u_xx + 100 u - 100 u^3
        DatasetWriter.Generate(Recipes.With(Recipes.Get("heat"), frames: 11, points: 64, length: 16, origin: -8), 2, 1, P("heat.h5"));
        using var heat = DatasetReader.Open(P("heat.h5"));
        var spectralHeat = new Model(heat.Dataset.Grid, new Energy(new Anchor.Quadratic(1.0)),
                                     new Dissipation.Multiplier(ParamArray.Fixed(Onsager.Numbers.Spectral.WavenumbersOfModes(heat.Dataset.Grid, 0, dropNyquist: false)
                                         .Select(k => Math.Sqrt(0.1) * Math.Abs(k)).ToArray())));           // K_M = theta_k^2 = 0.1 k^2
        var h = Equations.Read(spectralHeat, heat);
        Assert.Equal(["u_xx"], h.Learned.Terms.Select(t => t.Name).ToArray());
        Assert.Equal(0.1, h.Learned.Coefficient("u_xx"), 6);
        Assert.InRange(h.Learned.Unexplained, 0, 1e-6);

        DatasetWriter.Generate(Recipes.With(Recipes.Get("ac"), frames: 11, points: 128), 2, 1, P("ac.h5"));
        using var ac = DatasetReader.Open(P("ac.h5"));
        var r = Equations.Read(KnownMembers.AllenCahn(ac.Dataset.Grid, 0.1, spectral: true), ac);
        Assert.Equal(["u", "u^3", "u_xx"], r.Learned.Terms.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(100, r.Learned.Coefficient("u"), 4);
        Assert.Equal(-100, r.Learned.Coefficient("u^3"), 4);
        Assert.Equal(1, r.Learned.Coefficient("u_xx"), 6);
        Assert.Equal("allen-cahn", r.TruthMember);
        Assert.Equal(1, r.Truth!.Coefficient("u_xx"), 6);
    }

    [Fact]
    public void TheEquationCommandPrintsTheTermsAndTheirJson()
    {
        Assert.Equal(0, Run("generate", "ac", "--samples", "1", "--seed", "2", "--out", P("ac.h5"), "--n", "64", "--frames", "6").Code);
        var (code, output, err) = Run("equation", "--model", "builtin:allen-cahn", "--data", P("ac.h5"), "--json");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(output).RootElement;
        var terms = json.GetProperty("terms").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("coefficient").GetDouble());
        Assert.Equal(100, terms["u"], 3);
        Assert.Equal(-100, terms["u^3"], 3);
        Assert.True(json.GetProperty("unexplained").GetDouble() < 1e-6);
        Assert.Equal("allen-cahn", json.GetProperty("truth").GetProperty("member").GetString());
        (code, output, _) = Run("equation", "--model", "builtin:allen-cahn", "--data", P("ac.h5"));
        Assert.Equal(0, code);
        Assert.Contains("u_t = 100 u - 100 u^3 + u_xx", output);
        Assert.Equal(2, Run("equation", "--model", "builtin:allen-cahn", "--data", P("ac.h5"), "--terms", "u,u_yy").Code);
    }

    // ---- a verdict on the hypothesis ----

    /// <summary>Fixed step counts (not wall-clock budgets), so the verdicts do not depend on the machine's load.</summary>
    private static ClassCheckOptions Counted(int seed = 0) => new()
    {
        Budget = TimeSpan.FromMinutes(10), Seed = seed,
        Training = new TrainingOptions { MaxEpochs = 8, StepsPerEpoch = 40, ValidationWindows = 32 },
    };

    [Fact]
    public void AllenCahnIsConsistentWithTheClass()
    {
        DatasetWriter.Generate(Recipes.With(Recipes.Get("ac"), frames: 31, points: 32), 12, 1, P("ac.h5"));
        using var reader = DatasetReader.Open(P("ac.h5"));
        var r = ClassCheck.Run(reader, Counted());
        Assert.True(r.Consistent, r.Verdict);
        Assert.InRange(r.EnergyRiseShare, 0, 0.05);
        Assert.Equal("trajectories", r.Split);
        Assert.Equal(2, r.Reasons.Length);
        Assert.True(r.ToJson()["consistent"]!.GetValue<bool>());
    }

    [Fact]
    public void ChaoticKuramotoSivashinskyIsNotAndTheFittedEnergySaysWhy()
    {
        DatasetWriter.Generate(Recipes.With(Recipes.Get("ks"), frames: 101, points: 64, length: 16 * Math.PI), 1, 1, P("ks.h5"));
        using var reader = DatasetReader.Open(P("ks.h5"));
        var r = ClassCheck.Run(reader, Counted());
        Assert.False(r.Consistent, r.Verdict);
        Assert.True(r.EnergyRiseShare > 0.15, r.Verdict);
        Assert.Equal("time", r.Split);
        Assert.StartsWith("not consistent", r.Verdict);
    }

    [Fact]
    public void CheckClassPrintsOneVerdictLineAndRefusesABaselineInsideTheClass()
    {
        Assert.Equal(2, Run("check-class", "--data", P("none.h5"), "--baseline", "spectral").Code);
        Assert.Equal(2, Run("check-class", "--data", P("none.h5"), "--kind", "fno").Code);
        Assert.Equal(1, Run("check-class", "--data", P("none.h5")).Code);
    }
}
