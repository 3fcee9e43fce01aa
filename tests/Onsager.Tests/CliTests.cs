using System.Text.Json;
using Onsager.Cli;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

public class CliTests
{
    [Fact]
    public void VerifyPrintsATableAndALastLine()
    {
        var (code, output, _) = Run("verify", "--random", "3", "--seed", "7");
        Assert.Equal(0, code);
        var lines = output.Trim().Split('\n');
        Assert.Matches(@"^violations: 0 of \d+ checks$", lines[^1].Trim());
        Assert.Contains("energy-law", output);
    }

    [Fact]
    public void VerifyJsonListsAtLeastFifteenLaws()
    {
        var (code, output, _) = Run("verify", "--random", "2", "--json", "--no-known");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("checks").GetInt32() > 0);
        Assert.Equal(0, root.GetProperty("violations").GetInt32());
        var laws = root.GetProperty("laws").EnumerateArray().ToList();
        Assert.True(laws.Count >= 15);
        foreach (var l in laws)
        {
            Assert.False(string.IsNullOrEmpty(l.GetProperty("name").GetString()));
            l.GetProperty("checks").GetInt32();
            l.GetProperty("violations").GetInt32();
            l.GetProperty("worstMargin").GetDouble();
        }
    }

    [Fact]
    public void VerifyExitsWithOneWhenALawIsViolated()
    {
        // Explicit Euler at dt = 1 raises the energy of the known members (no discrete energy guarantee): a real violation,
        // found by the real run, is what CI's gate reads as exit code 1.
        var (code, output, _) = Run("verify", "--scheme", "euler", "--dt", "1", "--random", "0");
        Assert.Equal(1, code);
        var last = output.Trim().Split('\n')[^1].Trim();
        var match = System.Text.RegularExpressions.Regex.Match(last, @"^violations: (\d+) of (\d+) checks$");
        Assert.True(match.Success, last);
        Assert.True(int.Parse(match.Groups[1].Value) > 0);
        Assert.Contains("first violation of step-no-energy-rise [euler dt=1]", output);
        (code, output, _) = Run("verify", "--scheme", "euler", "--dt", "1", "--random", "0", "--json");
        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("violations").GetInt32() > 0);
    }

    [Fact]
    public void BadUsageExitsWithTwoAndSaysWhy()
    {
        var (code, _, err) = Run("verify", "--random", "many");
        Assert.Equal(2, code);
        Assert.Contains("--random expects an integer", err);
        (code, _, err) = Run("verify", "--bogus", "1");
        Assert.Equal(2, code);
        Assert.Contains("Unknown option --bogus", err);
        (code, _, err) = Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("Unknown command", err);
    }

    [Fact]
    public void DescribePrintsABuiltinFormula()
    {
        var (code, output, _) = Run("describe", "--model", "builtin:allen-cahn");
        Assert.Equal(0, code);
        Assert.StartsWith("du/dt = -(diag(1)) dE", output);
    }
}
