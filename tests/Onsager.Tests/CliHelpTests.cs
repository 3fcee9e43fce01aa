using Onsager.Cli;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>The command line on System.CommandLine: --help on every command, suggestions for typos, the usual exit codes.</summary>
public sealed class CliHelpTests
{
    [Fact]
    public void EveryCommandHasHelpListingItsOptions()
    {
        Assert.Equal(12, CliApp.Commands.Count);
        foreach (var command in CliApp.Commands)
        {
            var (code, output, err) = Run(command.Name, "--help");
            Assert.True(code == 0, $"{command.Name} --help: exit {code}: {err}");
            Assert.Contains("onsager " + command.Name, output);
            Assert.Contains("Options:", output);
            foreach (var option in command.Options) Assert.Contains("--" + option, output);
            Assert.Equal(0, Run(command.Name, "-h").Code);
        }
    }

    [Fact]
    public void TyposGetASuggestionAndExitCode2()
    {
        var r = Run("tran", "--data", "x.h5");
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: Unknown command 'tran'. Did you mean 'train'?", r.Err);
        r = Run("train", "--data", "x.h5", "--epoch", "3", "--out", "y");
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: Unknown option --epoch for 'train'. Did you mean --epochs?", r.Err);
        r = Run("simulate", "--modle", "builtin:heat");
        Assert.Contains("Did you mean --model?", r.Err.Split('\n')[0]);
        r = Run("describe", "--model", "builtin:heat", "--zzzzzz");
        Assert.Equal(2, r.Code);
        Assert.DoesNotContain("Did you mean", r.Err.Split('\n')[0]);
        // values of the wrong kind and unexpected positional values are usage errors too
        Assert.Equal(2, Run("verify", "--random", "many").Code);
        Assert.Equal(2, Run("describe", "stray", "--model", "builtin:heat").Code);
        Assert.Equal(0, Run("help").Code);
        Assert.Equal(0, Run().Code);
    }

    [Fact]
    public void ValuesMayFollowAnEqualsSignOrBeNegative()
    {
        var (code, output, err) = Run("describe", "--model=builtin:heat");
        Assert.True(code == 0, err);
        Assert.Contains("E = integral", output);
        Assert.Equal(0, Run("verify", "--random", "0", "--no-known", "--seed", "-3").Code);
    }
}
