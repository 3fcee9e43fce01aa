using Onsager.Cli;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>Every command's exit codes: 1 on a failure of its work (a missing or broken input, an unwritable output, a
/// violated law for verify), 2 on bad usage, each with a one-line error; a guard keeps the table complete as commands are added.</summary>
public sealed class CliExitCodeTests() : ScratchFolder("onsager-exit")
{
    private const string Missing = "{dir}/missing.h5";
    private const string Broken = "{dir}/broken-model";            // model.json that is not JSON, no weights.bin
    private const string Unwritable = "/proc/onsager-no-such-place/out";

    /// <summary>Per command: arguments that make its work fail, and a part of the one-line error.</summary>
    public static readonly TheoryData<string, string[], string> Failures = new()
    {
        { "describe", ["--model", Broken], "weights.bin: missing" },
        { "simulate", ["--model", "builtin:heat", "--init", Missing, "--steps", "2", "--dt", "1e-3", "--out", "{dir}/s.h5"], "not found" },
        { "generate", ["heat", "--samples", "2", "--seed", "0", "--out", Unwritable + ".h5"], "cannot write" },
        { "inspect", [Missing], "not found" },
        { "train", ["--data", Missing, "--kind", "spectral", "--out", "{dir}/t"], "not found" },
        { "evaluate", ["--model", "builtin:heat", "--data", Missing], "not found" },
        { "reproduce", ["ac", "--quick", "--out", Unwritable], "cannot write" },
        { "report", ["--model", "builtin:heat", "--data", Missing, "--out", "{dir}/r"], "not found" },
        { "export", ["--model", Broken, "--out", "{dir}/e"], "weights.bin: missing" },
        { "equation", ["--model", "builtin:heat", "--data", Missing], "not found" },
        { "check-class", ["--data", Missing], "not found" },
    };

    [Theory, MemberData(nameof(Failures))]
    public void AFailedRunExitsWithOneAndAOneLineError(string command, string[] args, string part)
    {
        Directory.CreateDirectory(Path.Combine(dir, "broken-model"));
        File.WriteAllText(Path.Combine(dir, "broken-model", "model.json"), "{ not json");
        var r = Run([command, .. args.Select(a => a.Replace("{dir}", dir))]);
        Assert.True(r.Code == 1, $"{command}: exit {r.Code}: {r.Err}");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(part, lines[0]);
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Fact]
    public void VerifyExitsWithOneOnAViolatedLawAndZeroWithout()
    {
        // explicit Euler at dt = 1 raises the known members' energy: what CI's gate reads as exit 1
        var bad = Run("verify", "--scheme", "euler", "--dt", "1", "--random", "0");
        Assert.Equal(1, bad.Code);
        Assert.Matches(@"violations: [1-9]\d* of \d+ checks", bad.Out);
        var good = Run("verify", "--scheme", "dg", "--dt", "0.01", "--random", "0");
        Assert.True(good.Code == 0, good.Out + good.Err);
        Assert.Matches(@"violations: 0 of \d+ checks", good.Out);
    }

    public static TheoryData<string> Commands() => new(CliApp.Commands.Select(c => c.Name).Where(n => n != "help"));

    [Theory, MemberData(nameof(Commands))]
    public void AnUnknownOptionExitsWithTwo(string command)
    {
        var r = Run(command, "--no-such-option", "1");
        Assert.True(r.Code == 2, $"{command}: exit {r.Code}: {r.Err}");
        Assert.StartsWith($"error: Unknown option --no-such-option for '{command}'", r.Err);   // then the usage
        Assert.DoesNotContain("Exception", r.Err);
    }

    [Fact]
    public void EveryCommandHasAFailurePathAbove()
    {
        var covered = Failures.Select(row => (string)row[0]).Append("verify").Order();
        Assert.Equal(CliApp.Commands.Select(c => c.Name).Where(n => n != "help").Order(), covered);
    }
}
