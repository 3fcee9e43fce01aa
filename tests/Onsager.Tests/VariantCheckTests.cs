using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>The guide's broken variant: M replaced by the upwind difference (I - S)/h, whose quadratic form is
/// non-negative but which is not symmetric.</summary>
public sealed class Upwind : ICustomOperator
{
    public string Formula => "(I - S)/h";
    public Tensor Apply(Tensor u, Tensor g, Grid grid) => -Stencils.Forward(g, grid, 0);
}

/// <summary>Member recipes (the draws of <see cref="RandomMembers"/>) and <see cref="Laws.CheckVariant"/>.</summary>
public class VariantCheckTests(ITestOutputHelper output)
{
    private static string Encoded(Model m) =>
        ModelJson.Encode(m, new ModelMetadata("random")) is var e ? e.Json + Convert.ToHexString(e.Weights.AsSpan()) : "";

    [Theory, InlineData(0), InlineData(37), InlineData(157), InlineData(1234)]
    public void ARecipeFromASeedIsVerifysMemberOfThatSeed(int seed)
    {
        var recipe = MemberRecipe.FromSeed(seed);
        Assert.Equal(Encoded(RandomMembers.Generate(seed)), Encoded(recipe.ToModel()));
        Assert.Equal($"random:{seed}", recipe.ToString());
        Assert.NotEmpty(recipe.Draws);
    }

    [Theory, InlineData(3), InlineData(21)]
    public void EveryShrunkRecipeBuildsAMemberAndShrinkingEnds(int seed)
    {
        // Follow the first candidate down to the end: every candidate builds a valid member (the generator interprets
        // the draws), and the chain ends (each candidate is strictly simpler).
        var recipe = MemberRecipe.FromSeed(seed, RandomMemberOptions.Default with { TwoDimensionalShare = 1, MultiFieldShare = 1 });
        int steps = 0;
        while (recipe.Shrink().FirstOrDefault() is { } next)
        {
            foreach (var c in recipe.Shrink().Take(20)) Assert.NotNull(c.ToModel());
            recipe = next;
            Assert.True(++steps < 10_000);
        }
        var simplest = recipe.ToModel();
        Assert.Equal(1, simplest.Fields);
        Assert.Equal(1, simplest.Grid.Dimensions);
        Assert.Equal(8, simplest.Grid.Sites);
        Assert.Empty(recipe.Draws);
    }

    [Fact]
    public void AVariantOfTheClassPassesEveryLawOnEveryMember()
    {
        var report = Laws.CheckVariant(m => m with { Energy = m.Energy.Scale(2.0) }, members: 8, seed: 100);
        output.WriteLine(report.ToString());
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(8, report.Members);
        Assert.Equal(Laws.Names.Length, report.Laws.Length);
        Assert.True(report.Checks > 8 * 100, $"only {report.Checks} checks");
    }

    [Fact]
    public void ABrokenVariantNamesTheLawTheMembersAndTheSmallestFailingMember()
    {
        var report = Laws.CheckVariant(m => m with { Dissipation = new Dissipation.Custom(new Upwind()) }, members: 6, seed: 0);
        output.WriteLine(report.ToString());
        Assert.False(report.Passed);
        var f = Assert.Single(report.Failures, x => x.Law == "dissipation-symmetric");
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, f.FailingMembers.ToArray());
        Assert.Equal(0, f.First.Seed);
        Assert.True(f.ShrinkSteps > 0);
        // shrunk by its recipe to the generator's simplest member: 8 points, one field, 1D, the upwind M beside a quadratic anchor
        Assert.Equal(8, f.SmallestMember.Grid.Sites);
        Assert.Equal(1, f.SmallestMember.Fields);
        Assert.True(f.SmallestResult.Violations > 0);
        Assert.Contains("dissipation-symmetric fails on 6 member(s), first random:0", report.ToString());
        Assert.Contains("smallest failing member", report.ToString());
    }

    [Fact]
    public void AVariantThatThrowsIsReportedAsACrashOfThatMember()
    {
        var report = Laws.CheckVariant(m => m.Grid.Sites % 2 == 0 ? throw new InvalidOperationException("odd grids only") : m, members: 6, seed: 0);
        var even = Enumerable.Range(0, 6).Where(s => RandomMembers.Generate(s).Grid.Sites % 2 == 0).ToList();
        Assert.NotEmpty(even);
        Assert.False(report.Passed);
        Assert.Equal(even, report.Crashes.Select(c => c.Member));
        Assert.All(report.Crashes, c => Assert.Equal("odd grids only", c.Error));
        Assert.Empty(report.Failures);
    }

    [Fact]
    public void TheGuidesSnippetRunsAsWritten()
    {
        // guide:variant begin
        // Every law on variant(m) for the members random:0 .. random:19 that `onsager verify` checks.
        VariantReport report = Laws.CheckVariant(m => m with { Energy = m.Energy.Scale(2.0) }, members: 20, seed: 0);
        Console.WriteLine(report);                      // a line per law: checks, violations, worst margin
        Assert.True(report.Passed);

        // A broken variant: M replaced by the upwind difference (I - S)/h (non-negative, not symmetric).
        var broken = Laws.CheckVariant(m => m with { Dissipation = new Dissipation.Custom(new Upwind()) }, members: 20, seed: 0);
        VariantFailure f = broken.Failures.First(x => x.Law == "dissipation-symmetric");
        Console.WriteLine($"{f.FailingMembers.Length} members fail; smallest: {f.SmallestMember.Describe()} on {f.SmallestMember.Grid}");
        // guide:variant end
        Assert.Equal(20, f.FailingMembers.Length);
        Assert.Equal(GuideSnippets.Block("variant"), GuideSnippets.Between(GuideSnippets.Source("tests/Onsager.Tests/VariantCheckTests.cs"), "variant"));
    }
}

/// <summary>Reads the code blocks of docs/guide.md and the marked regions of the source files that run them.</summary>
internal static class GuideSnippets
{
    public static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Functional.sln"))) return d.FullName;
        throw new InvalidOperationException("Functional.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Source(string relative) => File.ReadAllText(Path.Combine(Root(), relative));

    /// <summary>The lines between "guide:NAME begin" and "guide:NAME end" comments, unindented.</summary>
    public static string Between(string text, string name)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int a = lines.FindIndex(l => l.Trim().EndsWith($"guide:{name} begin", StringComparison.Ordinal));
        int b = lines.FindIndex(l => l.Trim().EndsWith($"guide:{name} end", StringComparison.Ordinal));
        Assert.True(a >= 0 && b > a, $"no region guide:{name}");
        var body = lines.Skip(a + 1).Take(b - a - 1).ToList();
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", body.Select(l => l.Length >= indent ? l[indent..] : l.Trim()));
    }

    /// <summary>The code block in docs/guide.md that follows the comment "&lt;!-- guide:NAME --&gt;".</summary>
    public static string Block(string name)
    {
        var lines = Source("docs/guide.md").Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int marker = lines.FindIndex(l => l.Trim() == $"<!-- guide:{name} -->");
        Assert.True(marker >= 0, $"docs/guide.md has no <!-- guide:{name} -->");
        int open = lines.FindIndex(marker, l => l.StartsWith("```", StringComparison.Ordinal));
        int close = lines.FindIndex(open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return string.Join("\n", lines.Skip(open + 1).Take(close - open - 1));
    }
}
