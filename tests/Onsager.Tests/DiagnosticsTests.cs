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
        // one null direction per excited mode (K(k) E''(k) is a product per mode), less the one G2 already removed
        Assert.Equal(h.Modes.Length - 1, h.NearNull);
        // Control: without a per-mode energy symbol the energy can change only through F'(u), and then heat is identified
        // (up to G2): so the flag above comes from the product ambiguity, not from the method.
        var control = Identifiability.Analyse(hm, Frames(hu)[TensorIndex.Slice(0, null, 2)], new IdentifiabilityOptions(EnergySymbols: false));
        output.WriteLine("heat without energy symbols: " + control.Summary);
        Assert.True(control.Identified, control.Summary);
    }
}

public class DiagnosticsOnKnownMembersTests
{
    [Fact]
    public void EnergyFallsAlongAllenCahnDataAndAlongTheDiscreteGradientRollout()
    {
        using var scope = NewDisposeScope();
        var ac = KnownMembers.Get("allen-cahn");
        var (u, times) = SmallData.Load(SmallData.AllenCahn, ac);
        using var m = Dynamics.Compile(ac);
        var data = Diagnose.Energy(m, u, times);
        Assert.Equal(0, data.RiseShare);
        Assert.True(data.Mean[^1] < data.Mean[0]);
        var roll = Rollout.Run(m, new Stepper.DiscreteGradient(), u[TensorIndex.Colon, 0], 1e-3, 10);
        var trace = Diagnose.Trace(roll.Energy, roll.Times);
        Assert.Equal(0, trace.RiseShare);
        Assert.True(trace.MaxStep > 0 && trace.MedianStep <= trace.MaxStep);
        var scaling = Diagnose.StepScaling(data, 1e-3);
        Assert.Equal(4, scaling.Dts.Length);
        Assert.InRange(scaling.MedianSlope, 0.5, 1.5);                          // a smooth E(t): |dE| ~ dt
    }

    [Fact]
    public void AllenCahnDensityIsTheDoubleWell()
    {
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(KnownMembers.Get("allen-cahn"));
        var d = Diagnose.Density(m, -1.5, 1.5, 61);
        for (int i = 0; i < d.U.Length; i++)
        {
            double s = d.U[i];
            Assert.Equal(100 * s * (s * s - 1), d.DF[i], 1e-9);                 // F' = (u^3 - u)/eps^2
            Assert.Equal(25 * Math.Pow(s * s - 1, 2) - 25, d.F[i], 1e-9);      // gauge F(0) = 0
        }
        // modulo the G2 gauge: a rescaled member has the same density up to the fitted scale
        using var scaled = Dynamics.Compile(Gauge.Rescale(KnownMembers.Get("allen-cahn"), 3));
        var c = Diagnose.Compare(Diagnose.Density(scaled, -1.5, 1.5, 61), d);
        Assert.Equal(1.0 / 3, c.Scale, 1e-10);
        Assert.True(c.RelativeErrorDF < 1e-10 && c.RelativeErrorF < 1e-10);
    }

    [Fact]
    public void HeatSymbolsMobilityOrderAndDrift()
    {
        using var scope = NewDisposeScope();
        var heat = KnownMembers.Get("heat");
        using var m = Dynamics.Compile(heat);
        var s = Diagnose.Spectrum(m);
        double h = heat.Grid.Spacing(0);
        for (int j = 0; j < s.Wavenumbers.Length; j++)
        {
            double lap = Math.Pow(2 / h * Math.Sin(s.Wavenumbers[j] * h / 2), 2);
            Assert.Equal(0.1 * lap, s.M[j], 1e-9 * Math.Max(1, lap));          // M = 0.1 D+^T D+
            Assert.Equal(1.0, s.EnergySymbol[j], 1e-6);                         // E = 1/2 integral u^2
            Assert.Equal(0.0, s.W[j], 1e-12);
        }
        var mob = Diagnose.Mobility(m, -1, 1);
        Assert.True(mob.DivergenceForm && !mob.StateDependentM && !mob.StateDependentW);
        Assert.All(mob.M, x => Assert.Equal(0.1, x, 1e-10));

        var (u, times) = SmallData.Load(SmallData.Heat, heat);
        var order = Diagnose.Order(m, u[TensorIndex.Colon, 0]);
        Assert.Equal(2.0, order.Order, 1e-9);
        var split = Diagnose.Split(m, u, times);
        Assert.Equal(1.0, split.DissipativeShare, 12);
        Assert.All(split.DissipationRate, r => Assert.True(r > 0));
        var roll = Rollout.Run(m, new Stepper.DiscreteGradient(), u[TensorIndex.Colon, 0], 1e-2, 50, saveEvery: 10);
        var drift = Diagnose.Drift(heat, roll, 1e-2);
        Assert.True(drift.ConservesMass && !drift.Conservative);
        Assert.True(drift.MaxMassDrift[0] < 1e-12, $"mass drift {drift.MaxMassDrift[0]}");
        var err = Diagnose.Error(u, u, times);
        Assert.All(err.Relative, e => Assert.Equal(0, e));
        Assert.Null(err.TimeToTenPercent);
    }

    [Fact]
    public void RolloutErrorIsTheMeanRelativeL2ErrorPerFrame()
    {
        // (trajectory, frame, field, x): 2 trajectories, 3 frames at t = 0, 0.5, 1, one field, 2 points. Per frame the
        // relative errors |p - u| / |u| are (0, 1/4, 1/4) and (1/8, 0, 1/sqrt 2); their means (1/16, 1/8, (1/4 + 1/sqrt 2)/2).
        var truth = tensor(new double[] { 3, 4, 4, 0, 0, 2, /**/ 0, 1, 2, 0, 1, 1 }, [2, 3, 1, 2]);
        var predicted = tensor(new double[] { 3, 4, 4, 1, 0, 2.5, /**/ 0, 1.125, 2, 0, 2, 1 }, [2, 3, 1, 2]);
        double[] times = [0, 0.5, 1.0];
        var err = Diagnose.Error(predicted, truth, times);
        Assert.Equal(times, err.Times);
        Assert.Equal(3, err.Relative.Length);
        Assert.Equal(1.0 / 16, err.Relative[0], 15);
        Assert.Equal(1.0 / 8, err.Relative[1], 15);
        Assert.Equal((0.25 + 1 / Math.Sqrt(2)) / 2, err.Relative[2], 15);
        Assert.Equal(0.5, err.TimeToTenPercent);                                   // first frame above 0.1: 1/8 at t = 0.5
        Assert.Equal(1.0, Diagnose.Error(predicted, truth, times, threshold: 0.2).TimeToTenPercent);
        Assert.Null(Diagnose.Error(predicted, truth, times, threshold: 0.5).TimeToTenPercent);
        // the error is relative to the truth, not symmetric: swapping the arguments changes it
        Assert.NotEqual(err.Relative[1], Diagnose.Error(truth, predicted, times).Relative[1]);
        Assert.Throws<ArgumentException>(() => Diagnose.Error(predicted, truth.narrow(1, 0, 2), times));
    }

    [Fact]
    public void KdVIsConservativeWithAStateDependentTransport()
    {
        using var scope = NewDisposeScope();
        var kdv = KnownMembers.Get("kdv", Grid.Periodic(2 * Math.PI, 64));
        using var m = Dynamics.Compile(kdv);
        var mob = Diagnose.Mobility(m, -1, 1, 5);
        Assert.True(mob.StateDependentW && !mob.StateDependentM);
        Assert.Equal(4.0, (mob.B[^1] - mob.B[0]) / (mob.U[^1] - mob.U[0]), 1e-9);   // b = 4u (plus D3's constant part at k1)
        var u0 = RandomMembers.States(new Random(1), kdv.Grid, 1, 2, 0.5);
        var roll = Rollout.Run(m, new Stepper.DiscreteGradient(DgOptions.Laws), u0, 1e-3, 20, saveEvery: 5);
        var drift = Diagnose.Drift(kdv, roll, 1e-3);
        Assert.True(drift.Conservative);
        Assert.True(drift.MaxRelativeEnergyDrift < 1e-10, $"energy drift {drift.MaxRelativeEnergyDrift}");
    }

    [Fact]
    public void AGridMismatchBetweenModelAndDataIsAClearError()
    {
        using var reader = DatasetReader.Open(SmallData.Heat64);
        var e = Assert.Throws<ArgumentException>(() => ModelData.CheckCompatible(KnownMembers.Get("heat"), reader.Dataset));
        Assert.Contains("Grid mismatch", e.Message);
        Assert.Contains("N = 256", e.Message);
        Assert.Contains("N = 64", e.Message);
        var w = Assert.Throws<ArgumentException>(() => ModelData.CheckCompatible(KnownMembers.Get("wave", Grid.Periodic(2 * Math.PI, 64)), reader.Dataset));
        Assert.Contains("2 field(s)", w.Message);
    }
}

public class DiagnosticsOnAnyMemberTests
{
    [Fact]
    public void EveryDiagnosticRunsOnRandomMembersWithLearnedNetworks()
    {
        for (int seed = 0; seed < 6; seed++)
        {
            using var scope = NewDisposeScope();
            var model = RandomMembers.Generate(seed);
            using var m = Dynamics.Compile(model);
            var states = RandomMembers.States(new Random(seed), model.Grid, model.Fields, 6, 0.8);
            string what = $"seed {seed}: {model.Describe()}";
            var d = Diagnose.Density(m, -1, 1, 11);
            Assert.True(d.DF.All(double.IsFinite), what);
            var s = Diagnose.Spectrum(m, 0, 0, 8);
            Assert.True(s.M.All(x => x >= -1e-9 * Math.Max(1, s.M.Max(Math.Abs))), what);   // M is PSD: its symbol is >= 0
            var mob = Diagnose.Mobility(m, -1, 1, 5);
            Assert.True(mob.M.All(double.IsFinite) && mob.B.All(double.IsFinite), what);
            var r = Identifiability.Analyse(m, states, new IdentifiabilityOptions(Nodes: 6, MaxModes: 8));
            Assert.True(r.SingularValues.Length > 0 && double.IsFinite(r.Ratio), what);
            var order = Diagnose.Order(m, states);
            Assert.True(double.IsFinite(order.Order), what);
        }
    }

    [Fact]
    public void StateDependentOperatorsBringMobilityAndTransportFactors()
    {
        using var scope = NewDisposeScope();
        var ch = KnownMembers.Get("cahn-hilliard-degenerate");
        using var chm = Dynamics.Compile(ch);
        var r = Identifiability.Analyse(chm, RandomMembers.States(new Random(3), ch.Grid, 1, 8, 0.8), new IdentifiabilityOptions(Nodes: 8, MaxModes: 12));
        Assert.Contains(r.Factors, f => f.StartsWith("m(u="));
        Assert.Contains(r.Removed, d => d.Name == "constant m(u) = dissipation symbol");
        Assert.Contains(r.Removed, d => d.Name == "G3 Casimir shift");
        Assert.DoesNotContain(r.Factors, f => f.StartsWith("b(u="));

        var kdv = KnownMembers.Get("kdv", Grid.Periodic(2 * Math.PI, 128));
        using var km = Dynamics.Compile(kdv);
        var k = Identifiability.Analyse(km, RandomMembers.States(new Random(4), kdv.Grid, 1, 8, 0.8), new IdentifiabilityOptions(Nodes: 8, MaxModes: 12));
        Assert.Contains(k.Factors, f => f.StartsWith("b(u="));
        Assert.Contains(k.Removed, d => d.Name == "constant b(u) = conservation symbol");
        Assert.DoesNotContain(k.Factors, f => f.StartsWith("m(u="));
    }
}
