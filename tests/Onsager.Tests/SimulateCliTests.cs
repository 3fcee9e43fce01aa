using System.Collections.Immutable;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

public sealed class SimulateCliTests() : ScratchFolder("onsager-cli-simulate")
{
    /// <summary>A reference-layout file of <paramref name="samples"/> one-frame trajectories on a periodic grid of N points.</summary>
    private string InitFile(string name, int points, double length, Func<int, double> value, int samples = 2)
    {
        var grid = Grid.Periodic(length, points);
        var values = Enumerable.Range(0, samples * points).Select(i => (float)value(i % points)).ToArray();
        var content = new DatasetContent(values, [samples, 1, points, 1], [0.0], [grid.Coordinates(0).ToArray()],
            ImmutableSortedDictionary.Create<string, double[,]>(StringComparer.Ordinal),
            ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal),
            ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal));
        var path = Path.Combine(dir, name);
        if (path.EndsWith(".npz")) NpzLayout.Write(path, content); else Hdf5.Write(path, content);
        return path;
    }

    [Fact]
    public void SimulateWritesTheReferenceLayoutWithTracesAndReadsItsOwnFileBack()
    {
        var h5 = Path.Combine(dir, "ac.h5");
        var (code, output, err) = Run("simulate", "--model", "builtin:allen-cahn", "--init", "random", "--batch", "2", "--seed", "3",
                                      "--steps", "4", "--dt", "1e-2", "--save-every", "2", "--out", h5);
        Assert.True(code == 0, err);
        Assert.Contains("wrote", output);
        Assert.Contains("simulate: step 4/4", err);
        var d = Dataset.Open(h5);
        Assert.Equal(new long[] { 2, 3, 256, 1 }, d.Shape.ToArray());
        Assert.Equal(0.02, d.Dt, 12);
        Assert.Equal("dg", d.Notes["scheme"]);
        Assert.Equal(4, d.Scalars["steps"]);
        Assert.True(d.Scalars["solver_iterations"] > 0);
        Assert.Equal(KnownMembers.DefaultGrid("allen-cahn").Points.ToArray(), d.Points.ToArray());
        Assert.Equal(2 * Math.PI, d.DomainLength, 9);

        // frame 0 of every trajectory of that file starts a second run (.npz by extension): same initial frame
        var npz = Path.Combine(dir, "again.npz");
        (code, _, err) = Run("simulate", "--model", "builtin:allen-cahn", "--init", h5, "--steps", "2", "--dt", "1e-3", "--scheme", "sbdf1", "--out", npz);
        Assert.True(code == 0, err);
        using var first = new DatasetReader(d);
        using var second = DatasetReader.Open(npz);
        Assert.Equal(new long[] { 2, 3, 256, 1 }, second.Dataset.Shape.ToArray());
        Assert.Equal(first.ReadFrames(1, 0, 1), second.ReadFrames(1, 0, 1));
        var arrays = Npy.ReadNpz(npz);
        var energy = arrays["diagnostics/energy"];
        Assert.Equal(new long[] { 2, 3 }, energy.Shape);
        Assert.Equal(new long[] { 2, 3 }, arrays["diagnostics/dissipation_rate"].Shape);
        Assert.Equal(new long[] { 2, 3, 1 }, arrays["diagnostics/mass"].Shape);
        var e = energy.AsDoubles();
        Assert.True(e[1] <= e[0] && e[2] <= e[1], "Allen-Cahn energy fell along the run");
        Assert.Equal("sbdf1", ((string[])arrays["pde_info/scheme"].Data)[0]);
    }

    [Fact]
    public void AnInitFileOnAnotherGridIsAClearError()
    {
        var path = InitFile("small.h5", 16, 2 * Math.PI, i => Math.Sin(2 * Math.PI * i / 16));
        var (code, _, err) = Run("simulate", "--model", "builtin:heat", "--init", path, "--steps", "2", "--dt", "1e-3", "--out", Path.Combine(dir, "o.h5"));
        Assert.Equal(1, code);
        Assert.Contains("does not match the model's grid", err);
        Assert.False(File.Exists(Path.Combine(dir, "o.h5")));
    }

    [Fact]
    public void NaNInitialStatesAndUnknownSchemesAreRefused()
    {
        var path = InitFile("nan.npz", 256, 2 * Math.PI, i => i == 7 ? double.NaN : 0.1);
        var outPath = Path.Combine(dir, "o.npz");
        var (code, _, err) = Run("simulate", "--model", "builtin:heat", "--init", path, "--steps", "2", "--dt", "1e-3", "--out", outPath);
        Assert.Equal(1, code);
        Assert.Contains("NaN", err);
        (code, _, err) = Run("simulate", "--model", "builtin:heat", "--init", "random", "--steps", "2", "--dt", "1e-3", "--scheme", "leapfrog", "--out", outPath);
        Assert.Equal(2, code);
        Assert.Contains("Unknown scheme 'leapfrog'", err);
        (code, _, err) = Run("simulate", "--model", "builtin:heat", "--init", "random", "--steps", "3", "--dt", "1e-3", "--save-every", "2", "--out", outPath);
        Assert.Equal(2, code);
        Assert.Contains("must divide", err);
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void AFailedStepIsAnErrorWithItsStepAndResidualAndWritesNothing()
    {
        // explicit Euler at dt = 1e3 on Allen-Cahn overflows within a few steps: the rollout stops with the step number
        // (the DG solver's own failure, StepFailedException with its residual, is tested in SteppersTests)
        var outPath = Path.Combine(dir, "failed.h5");
        var (code, _, err) = Run("simulate", "--model", "builtin:allen-cahn", "--init", "random", "--batch", "1", "--steps", "20", "--dt", "1e3",
                                 "--scheme", "euler", "--out", outPath);
        Assert.Equal(1, code);
        Assert.Matches(@"Step \d+: ", err);
        Assert.Contains("the explicit euler rollout blew up", err);                // issue 16.5: says so and suggests dg
        Assert.Contains("--scheme dg", err);
        Assert.Contains("Nothing was written", err);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
