using System.Text.Json;
using Onsager.Cli;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

public sealed class DataCliTests() : ScratchFolder("onsager-cli-data")
{
    [Fact]
    public void GenerateThenInspectAKnownTruthSet()
    {
        var path = Path.Combine(dir, "heat.h5");
        var (code, output, err) = Run("generate", "heat", "--samples", "4", "--seed", "2", "--out", path, "--frames", "21", "--n", "64");
        Assert.Equal(0, code);
        Assert.Contains("wrote", output);
        Assert.Contains("4 x 21 x 64 x 1", output);
        Assert.Contains("4/4 trajectories", err);
        Assert.Contains("ETA", err);
        (code, output, _) = Run("inspect", path, "--json");
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(new[] { 4L, 21, 64, 1 }, json.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray());
        Assert.Equal(0.01, json.GetProperty("dt").GetDouble(), 12);
        var energy = json.GetProperty("energy");
        Assert.Equal("heat", energy.GetProperty("member").GetString());
        Assert.Equal(0, energy.GetProperty("rises").GetInt32());
        Assert.True(energy.GetProperty("relativeChange").GetDouble() < 0);
        Assert.True(json.GetProperty("maxMassDrift")[0].GetDouble() < 1e-4);
        (code, output, _) = Run("inspect", path);
        Assert.Equal(0, code);
        Assert.Contains("grid: periodic", output);
        Assert.Contains("energy (heat", output);
    }

    [Fact]
    public void WaveIsStoredAsStrainAndMomentumAndConservesNothingButLosesEnergy()
    {
        var path = Path.Combine(dir, "wave.npz");
        Assert.Equal(0, Run("generate", "wave", "--samples", "2", "--seed", "1", "--out", path, "--frames", "11").Code);
        var (code, output, _) = Run("inspect", path, "--json");
        Assert.Equal(0, code);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(new[] { "v", "p" }, json.GetProperty("fields").EnumerateArray().Select(x => x.GetString()).ToArray());
        var energy = json.GetProperty("energy");
        Assert.Equal(0, energy.GetProperty("rises").GetInt32());
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Equal(2, Run("generate", "nope", "--samples", "1", "--out", Path.Combine(dir, "x.h5")).Code);
        Assert.Equal(2, Run("generate", "ac", "--samples", "1").Code);
        Assert.Equal(2, Run("generate", "ac", "--samples", "1", "--out", Path.Combine(dir, "x.h5"), "--n", "100").Code);
        var bad = Path.Combine(dir, "bad.h5");
        File.WriteAllText(bad, "hello");
        var (code, _, err) = Run("inspect", bad);
        Assert.Equal(1, code);
        Assert.Contains("bad.h5", err);
        Assert.Contains("not an HDF5 file", err);
        Assert.Contains("generate DATASET", Run("help").Out);
    }
}
