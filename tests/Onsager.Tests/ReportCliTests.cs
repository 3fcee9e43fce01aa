using Onsager.Cli;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

public sealed class ReportCliTests() : ScratchFolder("onsager-report")
{
    private static readonly string[] Pictures =
    [
        "energy.png", "energy-steps.png", "density-F.png", "density-dF.png", "spectrum.png", "mobility.png", "split.png",
        "dissipation-rate.png", "energy-order.png", "identifiability.png", "rollout-error.png",
        "field-prediction.png", "field-truth.png", "field-error.png",
    ];

    [Fact]
    public void ReportOnHeatWritesEveryPictureAndAReportThatFlagsTheAmbiguity()
    {
        var outDir = Path.Combine(dir, "heat");
        var (code, output, err) = Run("report", "--model", "builtin:heat", "--data", SmallData.Heat, "--out", outDir, "--steps", "20");
        Assert.True(code == 0, err);
        Assert.Contains("NOT identified", output);
        foreach (var png in Pictures)
        {
            var path = Path.Combine(outDir, png);
            Assert.True(File.Exists(path), png);
            var head = File.ReadAllBytes(path).Take(8).ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, head);
        }
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        foreach (var png in Pictures) Assert.Contains($"({png})", md);       // every picture is linked
        Assert.Contains("**not identified**", md);
        Assert.Contains("dissipation symbol", md);
        Assert.Contains("| G2 scale |", md);
    }

    [Fact]
    public void ReportOnAllenCahnSaysIdentifiedAndMatchesTheTruth()
    {
        var outDir = Path.Combine(dir, "ac");
        var (code, output, err) = Run("report", "--model", "builtin:allen-cahn", "--data", SmallData.AllenCahn, "--out", outDir,
                                      "--scheme", "dg", "--steps", "10", "--trajectories", "1");
        Assert.True(code == 0, err);
        Assert.Contains("(identified", output);
        Assert.Contains("energy rises: data 0, rollout 0", output);
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("Truth: `du/dt = -(diag(1)) dE", md);
    }

    [Fact]
    public void ExportWritesTheFactorTables()
    {
        var outDir = Path.Combine(dir, "export");
        var (code, output, err) = Run("export", "--model", "builtin:allen-cahn", "--out", outDir, "--data", SmallData.AllenCahn, "--points", "21");
        Assert.True(code == 0, err);
        Assert.Contains("density.csv", output);
        var density = File.ReadAllLines(Path.Combine(outDir, "density.csv"));
        Assert.Equal("field,u,F,dF", density[0]);
        Assert.Equal(22, density.Length);
        var row = density[1].Split(',').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(100 * row[1] * (row[1] * row[1] - 1), row[3], 1e-8);      // F' = (u^3 - u)/eps^2
        var symbols = File.ReadAllLines(Path.Combine(outDir, "symbols.csv"));
        Assert.Equal("k,K_M,K_W,E2,growth", symbols[0]);
        Assert.Equal(1 + 129, symbols.Length);                                 // modes 0..N/2
        Assert.Equal("u,m,b", File.ReadAllLines(Path.Combine(outDir, "mobility.csv"))[0]);
        var formula = File.ReadAllText(Path.Combine(outDir, "formula.txt"));
        Assert.Contains("25 (u^2 - 1)^2", formula);
    }

    [Fact]
    public void AGridMismatchIsAClearErrorForReportAndExport()
    {
        var (code, _, err) = Run("report", "--model", "builtin:heat", "--data", SmallData.Heat64, "--out", Path.Combine(dir, "bad"));
        Assert.Equal(2, code);
        Assert.Contains("Grid mismatch", err);
        Assert.Contains("N = 64", err);
        Assert.False(Directory.Exists(Path.Combine(dir, "bad")));             // nothing written
        (code, _, err) = Run("export", "--model", "builtin:heat", "--data", SmallData.Heat64, "--out", Path.Combine(dir, "bad2"));
        Assert.Equal(2, code);
        Assert.Contains("Grid mismatch", err);
    }

    [Fact]
    public void MissingOptionsAndFilesAreReported()
    {
        var (code, _, err) = Run("report", "--model", "builtin:heat", "--out", dir);
        Assert.Equal(2, code);
        Assert.Contains("report needs --data FILE", err);
        (code, _, err) = Run("report", "--model", "builtin:heat", "--data", Path.Combine(dir, "nope.h5"), "--out", dir);
        Assert.Equal(1, code);
        Assert.Contains("not found", err);
        (code, _, err) = Run("export", "--model", "builtin:nosuch", "--out", dir);
        Assert.Equal(2, code);
        Assert.Contains("No known member 'nosuch'", err);
        Assert.Contains("report --model", CliApp.Usage);
        Assert.Contains("export --model", CliApp.Usage);
    }
}
