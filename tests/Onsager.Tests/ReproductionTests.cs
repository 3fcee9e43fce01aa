using System.Globalization;
using System.Text.Json.Nodes;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static TorchSharp.torch;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>`onsager reproduce` end to end at its smallest setting (10 ac trajectories, one of them test), with the numbers
/// it prints and writes recomputed here, independently of the evaluator and of the report.</summary>
public sealed class ReproductionTests() : ScratchFolder("onsager-reproduce")
{
    /// <summary>The test trajectory of 10 (the reference split's last 10 %).</summary>
    private const int TestTrajectory = 9;

    /// <summary>Frames 0..frames-1 of a trajectory in the model layout, float64 (frame, field, x).</summary>
    private static Tensor Frames(string data, int sample, int frames)
    {
        using var reader = DatasetReader.Open(data);
        return Layout.ToModelTensor(reader.ReadWindow(sample, 0, frames), 1, frames, reader.Dataset).to(ScalarType.Float64)[0];
    }

    /// <summary>|p - u| / |u| in the Euclidean norm (the relative RMSE: the grid's factors cancel).</summary>
    private static double Relative(Tensor p, Tensor u) => ((p - u).square().sum() / u.square().sum()).sqrt().item<double>();

    /// <summary>The step-1 error of the reference protocol on one test trajectory: one step of the member from frame 0, against frame 1.</summary>
    private static double StepOneError(Model member, string data, double dt)
    {
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(member);
        var u = Frames(data, TestTrajectory, 2);
        var next = Steppers.Step(m, new Stepper.DiscreteGradient(), u[0].unsqueeze(0), dt).State;
        return Relative(next[0], u[1]);
    }

    /// <summary>The first number of the "ours" row under the reference protocol's table in reproduce's output.</summary>
    private static double PrintedStepOne(string stdout)
    {
        var lines = stdout.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith("reference protocol", StringComparison.Ordinal));
        var ours = lines.Skip(at).First(l => l.StartsWith("ours", StringComparison.Ordinal));
        return double.Parse(ours.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void QuickClassicalAcWritesEverythingAndItsNumbersAreRecomputedHere()
    {
        var outDir = Path.Combine(dir, "ac");
        var (code, stdout, stderr) = Run("reproduce", "ac", "--quick", "--samples", "10", "--kind", "classical", "--out", outDir);
        Assert.True(code == 0, stderr);
        foreach (var f in new[] { "data.h5", "evaluation.json", "model/model.json", "report/report.md", "report/energy.png" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var data = Path.Combine(outDir, "data.h5");
        var member = (Model)ModelDirectory.Load(Path.Combine(outDir, "model")).Field;
        Assert.Equal("du/dt = -(diag(1)) dE,  E = integral 25 (u^2 - 1)^2 + 1/2 |grad u|^2", member.Describe());   // the spectral gradient
        const double dt = 1e-3;

        // evaluation.json's step-1 error: the classical member's DG step against the ETDRK4 data (4 substeps per frame),
        // 1.45e-4 at seed 0 (the band rules out a wrong dt, frame or trajectory, each an error of 1e-3 or more)
        var evaluation = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "evaluation.json")))!;
        Assert.Equal(1, (int)evaluation["testTrajectories"]!);
        double reported = (double)evaluation["steps"]![0]!["mean"]!;
        Assert.InRange(reported, 1.2e-4, 1.8e-4);
        double recomputed = StepOneError(member, data, dt);
        Assert.True(Math.Abs(reported - recomputed) <= 1e-6 * recomputed, $"evaluation.json step 1 {reported:R}, recomputed {recomputed:R}");
        Assert.Equal(double.Parse(reported.ToString("E2", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), PrintedStepOne(stdout));

        var md = File.ReadAllLines(Path.Combine(outDir, "report", "report.md"));
        string Cell(string firstColumn, int column) =>
            md.First(l => l.StartsWith(firstColumn, StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries)[column];

        // report.md's rollout error at the last frame: 100 DG steps from frame 0 of the test trajectory, against frame 100
        using (NewDisposeScope())
        {
            using var m = Dynamics.Compile(member);
            var truth = Frames(data, TestTrajectory, 101);
            var u = truth[0].unsqueeze(0);
            for (int i = 0; i < 100; i++) u = Steppers.Step(m, new Stepper.DiscreteGradient(), u, dt).State;
            double last = Relative(u[0], truth[100]);
            double inReport = double.Parse(Cell("| rollout error at the last frame |", 2), CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(inReport - last) <= 5e-3 * last, $"report.md: {inReport}, recomputed {last:R}");
        }

        // report.md's symbol table: E''(k) at u = 0 is -1/eps^2 + k^2 for the member (spectral gradient) and -1/eps^2 +
        // (2 sin(k h / 2) / h)^2 for the truth (the reference's D+), eps = 0.1, h = 2 pi / 256; K_M = 1 for both.
        double h = 2 * Math.PI / 256;
        foreach (int k in new[] { 1, 8, 32, 64 })
        {
            var row = md.First(l => l.StartsWith($"| {k} |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
            double Num(int column) => double.Parse(row[column], CultureInfo.InvariantCulture);
            double member2 = -100 + k * k, truth2 = -100 + Math.Pow(2 * Math.Sin(k * h / 2) / h, 2);
            Assert.Equal(1.0, Num(2));
            Assert.Equal(1.0, Num(6));
            // three significant digits in the report
            Assert.True(Math.Abs(Num(4) - member2) <= 5e-3 * Math.Abs(member2), $"k = {k}: member E'' {row[4]}, closed form {member2}");
            Assert.True(Math.Abs(Num(7) - truth2) <= 5e-3 * Math.Abs(truth2), $"k = {k}: truth E'' {row[7]}, closed form {truth2}");
        }
    }

    [Fact]
    public void QuickSpectralAcTrainsEvaluatesAndReportsWhatItTrained()
    {
        var outDir = Path.Combine(dir, "spectral");
        var (code, stdout, stderr) = Run("reproduce", "ac", "--quick", "--samples", "10", "--epochs", "2", "--steps-per-epoch", "3",
                                         "--width", "8", "--depth", "1", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("[2/4] training spectral (2 min budget)", stderr);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "model", "run.json")))!;
        Assert.Equal("max epochs", (string)run["stoppedBecause"]!);
        Assert.Equal(6, (long)run["steps"]!);
        Assert.Equal(120.0, (double)run["budgetSeconds"]!);
        Assert.Equal(64, (int)run["batch"]!);                  // the fast recipe's 64 windows of a 256-point line
        Assert.Equal(4, (int)run["window"]!);                  // k + 1 frames
        Assert.Equal(8, (int)run["width"]!);
        Assert.Contains("report/report.md", stdout);

        // the evaluation is of the member that training wrote: its step-1 error, recomputed from model/, is the reported one
        var member = (Model)ModelDirectory.Load(Path.Combine(outDir, "model")).Field;
        double reported = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "evaluation.json")))!["steps"]![0]!["mean"]!;
        double recomputed = StepOneError(member, Path.Combine(outDir, "data.h5"), 1e-3);
        Assert.True(Math.Abs(reported - recomputed) <= 1e-6 * recomputed, $"evaluation.json step 1 {reported:R}, recomputed {recomputed:R}");
        // 6 float32 steps at seed 0: 3.2e-2 measured, below what the same member gives before training
        var fresh = (Model)Families.Create("spectral", member.Grid, 1, 0, null, SpectralOptions.Default with { Width = 8, Depth = 1 });
        double untrained = StepOneError(fresh, Path.Combine(outDir, "data.h5"), 1e-3);
        Assert.True(reported < untrained, $"step 1 trained {reported}, untrained {untrained}");
        Assert.InRange(reported, 1e-2, 1e-1);
        Assert.Equal(double.Parse(reported.ToString("E2", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), PrintedStepOne(stdout));
    }
}
