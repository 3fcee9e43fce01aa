using Onsager.Data;
using Xunit;

namespace Onsager.Tests;

/// <summary>Generators: recipes' initial conditions, determinism whatever the thread count, rejection, every dataset runs.</summary>
public class DataGeneratorTests
{
    [Fact]
    public void BlocksDoNotDependOnTheThreadCountAndMatchSingleSamples()
    {
        var recipe = Recipes.With(Recipes.Get("ac"), frames: 5, points: 64);
        var one = Generators.Generate(recipe, 9, 3, 4, new GenerationOptions(1));
        var two = Generators.Generate(recipe, 9, 3, 4, new GenerationOptions(2));
        Assert.Equal(one.Values, two.Values);
        var single = Generators.Sample(recipe, 9, 5);
        Assert.Equal(single.Values, one.Values.AsSpan(2 * single.Values.Length, single.Values.Length).ToArray());
        Assert.NotEqual(Generators.Sample(recipe, 10, 5).Values, single.Values);
    }

    [Fact]
    public void AllenCahn2DPairsAreDeterministicAndPlacedByIndex()
    {
        var recipe = new AllenCahn2DRecipe(Points: 16, FrameCount: 3, Substeps: 2);
        var block = Generators.Generate(recipe, 4, 1, 3, new GenerationOptions(2));
        int per = 3 * 16 * 16;
        for (int i = 0; i < 3; i++)
            Assert.Equal(Generators.Sample(recipe, 4, 1 + i).Values, block.Values.AsSpan(i * per, per).ToArray());
        var first = block.Values.AsSpan(0, 256).ToArray();
        Assert.Equal(-1f, first.Min(), 6); Assert.Equal(1f, first.Max(), 6);
    }

    [Fact]
    public void InitialConditionsFollowTheRecipes()
    {
        var ac = Generators.Sample(Recipes.With(Recipes.Get("ac"), frames: 2), 0, 7);
        var u0 = ac.Values.AsSpan(0, 256).ToArray();
        Assert.Equal(-1f, u0.Min(), 6); Assert.Equal(1f, u0.Max(), 6);
        var k = ac.Coefficients[0];
        Assert.Equal(3, k.Distinct().Count());
        Assert.All(k, x => Assert.InRange(x, 1, 10));
        var kdv = Generators.Sample(Recipes.With(Recipes.Get("kdv"), frames: 2), 0, 7);
        var v0 = kdv.Values.AsSpan(0, 256).ToArray();
        double mean = v0.Average(x => (double)x), std = Math.Sqrt(v0.Average(x => (x - mean) * (x - mean)));
        Assert.Equal(1.0, std, 5);
        Assert.All(kdv.Coefficients[0], x => Assert.InRange(x, 1, 6));
    }

    [Theory]
    [InlineData("fput")]
    [InlineData("fene")]
    [InlineData("ch")]
    [InlineData("burgers")]
    [InlineData("kdv-burgers")]
    [InlineData("wave")]
    [InlineData("heat")]
    public void EveryDatasetProducesFiniteTrajectories(string key)
    {
        var recipe = Recipes.With(Recipes.Get(key), frames: 6);
        var t = Generators.Sample(recipe, 1, 0);
        Assert.Equal(6 * recipe.Grid.Sites * recipe.Fields, t.Values.Length);
        Assert.All(t.Values, x => Assert.True(float.IsFinite(x)));
        Assert.True(t.Values.Max(Math.Abs) > 0.1f);
        Assert.Equal(recipe.Coefficients.Length, t.Coefficients.Length);
    }

    [Fact]
    public void ChainsRejectAndRetryDeterministically()
    {
        // a threshold below the field's size forces rejections until a draw passes, or the error after MaxAttempts
        var strict = new FputRecipe(FrameCount: 3, MaxAbs: 0.5);
        Assert.Throws<InvalidOperationException>(() => Generators.Sample(strict, 0, 0));
        var loose = new FputRecipe(FrameCount: 3, MaxAbs: 2.2);
        var t = Generators.Sample(loose, 0, 0);
        Assert.True(t.Values.Max(Math.Abs) <= 2.2f);
        Assert.Equal(t.Values, Generators.Sample(loose, 0, 0).Values);
        Assert.True(t.Coefficients[3][0] >= 1);
    }

    [Fact]
    public void FeneSubstepsKeepTheChainCourantNumberBelowItsBound()
    {
        var r = new FeneRecipe();
        Assert.True(r.LabStep * r.SoundSpeed < ChainRecipe.ChainCourant);
        Assert.True(r.LabStep * r.SoundSpeed * r.VerletPerSlow / (r.VerletPerSlow - 1) >= ChainRecipe.ChainCourant);
        Assert.Equal(50 * r.Epsilon * r.Epsilon, r.R, 12);
    }

    /// <summary>The fene field of the default chain step against twice as many steps, after 1 and 10 frames; and the can-fail
    /// side: at Verlet's stability bound (c dt_chain just under 1, the reference's wording) the same comparison is off by
    /// more than a frame's change.</summary>
    [Fact]
    public void FeneChainStepIsConvergedAtTheFramesTheModelsSee()
    {
        static double Difference(FeneRecipe coarse, int frame)
        {
            var fine = coarse with { VerletPerSlow = 2 * coarse.VerletPerSlow };
            var a = Generators.Sample(coarse with { FrameCount = frame + 1 }, 0, 0).Values.AsSpan(frame * coarse.Points, coarse.Points).ToArray();
            var b = Generators.Sample(fine with { FrameCount = frame + 1 }, 0, 0).Values.AsSpan(frame * coarse.Points, coarse.Points).ToArray();
            return Math.Sqrt(a.Zip(b).Sum(t => (double)(t.First - t.Second) * (t.First - t.Second)) / b.Sum(x => (double)x * x));
        }
        var standard = new FeneRecipe();
        double one = Difference(standard, 1), ten = Difference(standard, 10);
        var atBound = standard with { VerletPerSlow = ChainRecipe.AutoVerletSteps(standard.Sites, standard.FrameDt, standard.SlowSteps, standard.SoundSpeed, courant: 1) };
        double bound = Difference(atBound, 1);
        Assert.True(one < 1e-4 && ten < 1e-3, $"fene with {standard.VerletPerSlow} Verlet steps per slow step against twice as many: {one} after 1 frame, {ten} after 10");
        Assert.True(bound > 1e-3, $"at c dt_chain < 1 ({atBound.VerletPerSlow} steps) the difference after 1 frame is only {bound}");
    }

    [Fact]
    public void DefaultInternalStepsAreConvergedOverTheWholeRun()
    {
        var ac = new AllenCahnRecipe();
        var acIc = Generators.Sample(ac with { FrameCount = 2 }, 3, 0).Values.Take(256).Select(x => (double)x).ToArray();
        var a1 = Solvers.AllenCahn1D(acIc, 2 * Math.PI, 0.1, ac.FrameDt, ac.FrameCount, ac.Substeps);
        var a4 = Solvers.AllenCahn1D(acIc, 2 * Math.PI, 0.1, ac.FrameDt, ac.FrameCount, 4 * ac.Substeps);
        double ea = a1.Zip(a4).Max(t => Math.Abs(t.First - t.Second));
        var kdv = new KdVRecipe();
        var kIc = Generators.Sample(kdv with { FrameCount = 2 }, 3, 0).Values.Take(256).Select(x => (double)x).ToArray();
        var k1 = Solvers.KdV(kIc, 2 * Math.PI, kdv.FrameDt, kdv.FrameCount, kdv.Substeps);
        var k4 = Solvers.KdV(kIc, 2 * Math.PI, kdv.FrameDt, kdv.FrameCount, 4 * kdv.Substeps);
        double ek = k1.Zip(k4).Max(t => Math.Abs(t.First - t.Second));
        Assert.True(ea < 1e-6 && ek < 1e-6, $"time-step error over T = 0.1: ac {ea}, kdv {ek}");
    }

    [Fact]
    public void UnknownDatasetsAndBadSizesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Recipes.Get("nope"));
        Assert.Throws<ArgumentException>(() => Recipes.With(Recipes.Get("ac"), points: 100));
        Assert.Throws<ArgumentException>(() => Recipes.With(Recipes.Get("ac"), frames: 1));
    }
}
