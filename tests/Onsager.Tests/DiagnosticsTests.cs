using Onsager.Data;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>Small known-truth datasets generated in-process (once per test run) for the diagnostics and report tests.</summary>
internal static class SmallData
{
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), "onsager-diag-data-" + Environment.ProcessId);
    private static readonly Lazy<string> heat = new(() => Write("heat", new HeatRecipe(FrameCount: 11), 4));
    private static readonly Lazy<string> ac = new(() => Write("ac", new AllenCahnRecipe(FrameCount: 21), 4));
    private static readonly Lazy<string> heat64 = new(() => Write("heat64", new HeatRecipe(Points: 64, FrameCount: 6), 3));

    /// <summary>heat (u_t = 0.1 u_xx), N = 256, 4 trajectories of 11 frames, dt = 1e-2.</summary>
    public static string Heat => heat.Value;
    /// <summary>ac (the reference's Allen-Cahn), N = 256, 4 trajectories of 21 frames, dt = 1e-3.</summary>
    public static string AllenCahn => ac.Value;
    /// <summary>heat on N = 64 (for grid mismatches with the N = 256 builtin).</summary>
    public static string Heat64 => heat64.Value;

    private static string Write(string name, Recipe recipe, int samples)
    {
        Directory.CreateDirectory(Dir);
        var path = Path.Combine(Dir, name + ".npz");
        var block = Generators.Generate(recipe, 7, 0, samples, new GenerationOptions(Threads: 1));
        NpzLayout.Write(path, DatasetContent.From(block));
        return path;
    }

    /// <summary>All trajectories of a dataset in the model's layout, as a float64 tensor (trajectory, frame, field, x).</summary>
    public static (Tensor States, double[] Times) Load(string path, Model model)
    {
        using var reader = DatasetReader.Open(path);
        var t = ModelData.Load(reader, model, Enumerable.Range(0, (int)reader.Dataset.Samples).ToArray());
        return (tensor(t.Values, ScalarType.Float64).reshape(t.Shape.ToArray()), t.Times.ToArray());
    }
}

public class DiagnosticsTests(ITestOutputHelper output)
{
    private static Tensor Frames(Tensor trajectories) => trajectories.flatten(0, 1);

    [Fact]
    public void IdentifiabilityFlagsHeatButNotAllenCahn()
    {
        using var scope = NewDisposeScope();
        var heat = KnownMembers.Get("heat");
        var (hu, _) = SmallData.Load(SmallData.Heat, heat);
        using var hm = Dynamics.Compile(heat);
        var h = Identifiability.Analyse(hm, Frames(hu)[TensorIndex.Slice(0, null, 2)]);
        output.WriteLine("heat: " + h.Summary);
        output.WriteLine("  removed: " + string.Join("; ", h.Removed.Select(r => $"{r.Name} {r.Residual:G2}")));
        output.WriteLine("  weakest factors: " + string.Join(", ", h.WeakestFactors));
        output.WriteLine($"  factors {h.Factors.Length}, dropped {h.Dropped.Length}, modes {string.Join(",", h.Modes)}");

        var ac = KnownMembers.Get("allen-cahn");
        var (au, _) = SmallData.Load(SmallData.AllenCahn, ac);
        using var am = Dynamics.Compile(ac);
        var a = Identifiability.Analyse(am, Frames(au)[TensorIndex.Slice(0, null, 5)]);
        output.WriteLine("ac: " + a.Summary);
        output.WriteLine("  removed: " + string.Join("; ", a.Removed.Select(r => $"{r.Name} {r.Residual:G2}")));
        output.WriteLine("  weakest factors: " + string.Join(", ", a.WeakestFactors));
        output.WriteLine($"  factors {a.Factors.Length}, dropped {a.Dropped.Length}, modes {string.Join(",", a.Modes)}");
        output.WriteLine("  smallest sv: " + string.Join(", ", a.SingularValues.TakeLast(5).Select(x => x.ToString("G3"))));

        Assert.False(h.Identified, h.Summary);
        Assert.True(a.Identified, a.Summary);
        // The heat flag is the real ambiguity: the weakest direction trades a dissipation symbol against an energy symbol.
        Assert.True(h.Weakest.GetValueOrDefault("dissipation symbol") > 0.1, h.Summary);
        Assert.True(h.Weakest.GetValueOrDefault("energy symbol") + h.Weakest.GetValueOrDefault("F'(u)") > 0.1, h.Summary);
    }
}
