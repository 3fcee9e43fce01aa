using Onsager.Data;
using Xunit;

namespace Onsager.Tests;

/// <summary>The reference split's small-n branches (at least one test and one validation trajectory, validation cut
/// back when it would leave no training), and that a test trajectory never reaches training or validation.</summary>
public class SmallSplitTests
{
    [Theory, InlineData(0), InlineData(1), InlineData(2)]
    public void FewerThanThreeTrajectoriesAreRefused(int samples) =>
        Assert.Contains("at least 3 trajectories", Assert.Throws<ArgumentException>(() => Dataset.Split(samples)).Message);

    [Fact]
    public void EverySmallSplitIsAPartitionWithTheLastTrajectoriesAsTest()
    {
        for (int n = 3; n <= 40; n++)
            for (int seed = 0; seed < 4; seed++)
            {
                var s = Dataset.Split(n, seed);
                int test = Math.Max(1, n / 10);
                Assert.Equal(Enumerable.Range(n - test, test).ToArray(), s.Test.ToArray());
                Assert.True(s.Train.Length >= 1 && s.Validation.Length >= 1, $"n = {n}: {s.Train.Length} train, {s.Validation.Length} validation");
                Assert.Equal(Math.Min((int)Math.Round(0.2 * n) is var v && v >= 1 ? v : 1, n - test - 1), s.Validation.Length);
                Assert.Empty(s.Test.Intersect(s.Train.Concat(s.Validation)));
                Assert.Empty(s.Train.Intersect(s.Validation));
                Assert.Equal(Enumerable.Range(0, n), s.Train.Concat(s.Validation).Concat(s.Test).Order());
            }
    }

    [Fact]
    public void ThreeTrajectoriesGiveOneOfEach()
    {
        var s = Dataset.Split(3, 0);
        Assert.Equal([2], s.Test.ToArray());
        Assert.Single(s.Train);
        Assert.Single(s.Validation);
    }
}
