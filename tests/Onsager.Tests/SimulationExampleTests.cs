using Xunit;

namespace Onsager.Tests;

// The two snippets of docs/guide.md section 9 ("Simulate a member and diagnose it on data"), compiled and run.
// Keep them identical in substance: the guide shows these calls.
public class SimulationExampleTests
{
    [Fact]
    public async Task TheGuidesSimulationSnippetRuns()
    {
        var console = new StringWriter();
        var grid = Grid.Periodic(2 * Math.PI, 128);
        var model = KnownMembers.AllenCahn(grid);                          // u_t = u_xx + (u - u^3)/eps^2, eps = 0.1
        using var initial = Simulator.RandomStates(model, batch: 2, seed: 1, amplitude: 0.5);   // a Tensor [2, 1, 128]
        var simulator = new Simulator(model, new Stepper.DiscreteGradient());
        var progress = new Progress<RolloutProgress>(p => console.WriteLine($"step {p.Step}/{p.Steps}: mean E = {p.MeanEnergy:G6}"));
        Trajectory run = await simulator.RunAsync(initial, dt: 1e-3, steps: 200, saveEvery: 20, progress: progress);
        double[,,,] frames = run.States1D();                               // [batch, frame, field, site] = [2, 11, 1, 128]

        EnergyTrace energy = Diagnose.Trace(run.Energy, run.Times);    // E(u(t)) per sample and saved frame
        Drift drift = Diagnose.Drift(model, run, dt: 1e-3);           // mass and energy drift along the run
        console.WriteLine($"{frames.GetLength(1)} frames; E {energy.Mean[0]:G6} -> {energy.Mean[^1]:G6}, " +
                          $"rising in {energy.RiseShare:P0} of the saved steps; mass drift {drift.MaxMassDrift[0]:G2}");

        var x = grid.Coordinates(0);
        var u0 = new double[1, 1, 128];                                    // [batch, fields, sites]: one sine
        for (int j = 0; j < 128; j++) u0[0, 0, j] = 0.5 * Math.Sin(x[j]);
        Trajectory sine = await simulator.RunAsync(u0, dt: 1e-3, steps: 100);

        Assert.Equal(new[] { 2, 11, 1, 128 }, Enumerable.Range(0, 4).Select(frames.GetLength));
        Assert.Equal(new long[] { 1, 101, 1, 128 }, sine.Shape);
        Assert.Equal(0.5 * Math.Sin(x[5]), sine.States1D()[0, 0, 0, 5]);
        Assert.Equal(11, run.Shape[1]);
        Assert.Equal(0, energy.RiseShare);                                 // the discrete gradient: E falls at every step
        Assert.True(energy.Mean[^1] < energy.Mean[0]);
        Assert.False(drift.ConservesMass);                                 // L2 relaxation: mass is not a Casimir
        Assert.Contains("11 frames", console.ToString());
    }

    [Fact]
    public void TheGuidesDiagnosisSnippetRuns()
    {
        var dir = Path.Combine(Path.GetTempPath(), "onsager-guide-" + Guid.NewGuid().ToString("N"));
        try
        {
            DiagnosisResult result = Diagnosis.Run(KnownMembers.Get("allen-cahn"), SmallData.AllenCahn, DiagnosisOptions.Default with { DriftSteps = 10 });
            ReportFiles files = Report.Write(result, dir);
            Assert.True(result.Identifiability.Identified, result.Identifiability.Summary);
            Assert.Equal(14, files.Images.Length);
            Assert.True(File.Exists(files.Markdown));
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}
