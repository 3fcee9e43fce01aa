using Onsager.Fuzzing;
using Xunit;

namespace Onsager.Tests;

/// <summary>The reader fuzzer at a small seeded count (the 10,000-mutant run is the benchmarks' fuzz command,
/// docs/reliability.md): no mutant crashes or hangs; most are refused with a one-line error.</summary>
public sealed class FuzzTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"onsager-fuzz-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    [Fact]
    public void MutatedFilesGiveAClearErrorOrAreAcceptedNeverACrashOrAHang()
    {
        var report = Fuzzer.Run(150, seed: 16, dir, TimeSpan.FromSeconds(10));
        Assert.True(report.Passed, report + "\n" + string.Join("\n", report.Failures.Select(f => $"case {f.Case} ({f.Base}, {f.Mutation}): {f.Outcome}: {f.Message}")));
        Assert.Equal(150, report.Counts.Values.Sum());
        Assert.True(report.Of(Outcome.ClearError) > 50, report.ToString());
    }
}
