using Onsager.Data;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>rk4-adaptive and rk4-substeps: accurate at stiff dt, substeps that follow the stiffness, and a local member
/// that trains at a frame spacing where one RK4 step diverges.</summary>
public sealed class AdaptiveTrainingTests() : ScratchFolder("onsager-adaptive")
{
    private static readonly Grid G = Grid.Periodic(2 * Math.PI, 32);

    private static Tensor State(int batch = 2)
    {
        var x = linspace(0, 2 * Math.PI, 33, dtype: ScalarType.Float64)[..32];
        return stack(Enumerable.Range(0, batch).Select(b => (sin(x + b) + 0.5 * cos(2 * x) + 0.01 * cos(15 * x)).unsqueeze(0)).ToArray());
    }

    private static Tensor Reference(ICompiledVectorField m, Tensor u, double dt, int steps)
    {
        for (int i = 0; i < steps; i++) u = Steppers.Step(m, new Stepper.Rk4(), u, dt / steps).State;
        return u;
    }

    [Fact]
    public void BothAdaptiveStepsMatchFineRk4AtAStiffStep()
    {
        using var m = Dynamics.Compile(KnownMembers.KdVBurgers(G));
        var u = State();
        double dt = 0.5;                                       // dt nu / h^2 = 0.65, dt |D3| ~ 60: one RK4 step of dt blows up
        var exact = Reference(m, u, dt, 4000);
        Assert.False(Steppers.Step(m, new Stepper.Rk4(), u, dt).State.abs().max().item<double>() < 10 * u.abs().max().item<double>(),
                     "one RK4 step was expected to be unstable here");
        foreach (var s in new[] { new Stepper.Rk4Adaptive(), new Stepper.Rk4Adaptive(AdaptiveOptions.Plain) })
        {
            double err = (Steppers.Step(m, s, u, dt).State - exact).abs().max().item<double>() / exact.abs().max().item<double>();
            Assert.True(err < 1e-3, $"{s.Name}: relative error {err:G3}");
        }
    }

    [Fact]
    public void SubstepsGrowWithStiffnessAndTheCapIsAClearError()
    {
        var u = State();
        int Plain(double nu)
        {
            using var m = Dynamics.Compile(KnownMembers.Burgers(G, nu));
            return AdaptiveRungeKutta.Choose(x => m.Rhs(x), u, 0.1, AdaptiveOptions.Plain).Substeps;
        }
        var counts = new[] { 0.1, 1.0, 10.0 }.Select(Plain).ToArray();
        Assert.True(counts[0] < counts[1] && counts[1] < counts[2], $"substeps {string.Join(", ", counts)}");
        // dt nu 4/h^2 = 0.1 x 1 x 103.8: about 1.2 x 10.4 / 2.6 = 5 substeps.
        Assert.InRange(counts[1], 4, 7);
        // The integrating factor integrates the constant-coefficient diffusion exactly: fewer substeps than plain RK4.
        using var stiff = Dynamics.Compile(KnownMembers.Burgers(G, 1.0));
        Assert.True(AdaptiveRungeKutta.Choose(x => stiff.Rhs(x), u, 0.1, AdaptiveOptions.Default).Substeps < counts[1]);
        var e = Assert.Throws<SubstepCapException>(() => Steppers.Step(stiff, new Stepper.Rk4Adaptive(AdaptiveOptions.Plain with { MaxSubsteps = 2 }), u, 0.1));
        Assert.Contains("at most 2", e.Message);
    }

    [Fact]
    public void ALocalMemberTrainsAtAFrameSpacingWhereRk4Diverges()
    {
        var path = Path.Combine(dir, "burgers.h5");
        DatasetWriter.Generate(Recipes.With(Recipes.Get("burgers"), frames: 20, points: 32, dt: 1.2), 1, 2, path);
        using var reader = DatasetReader.Open(path);
        var grid = reader.Dataset.Grid;
        double h = grid.Lengths[0] / grid.Points[0];
        Assert.True(reader.Dataset.Dt * 0.69 / (h * h) >= 20);     // the initial mobility softplus(~0) = 0.69
        var local = Families.Local(grid, 1);
        Assert.Equal("rk4-adaptive", Families.DefaultScheme("local").Name);
        var quick = new TrainingOptions
        {
            Scheme = Families.DefaultScheme("local"), Horizon = 2, WindowLength = 3, BatchSize = 4, StepsPerEpoch = 3, MaxEpochs = 2,
            LearningRate = 1e-3, ValidationWindows = 4, Seed = 3,
        };
        var result = new Trainer(local, quick).Train(reader);
        Assert.True(double.IsFinite(result.BestValidationLoss));
        Assert.Equal(0, result.Rollbacks);
        Assert.Throws<TrainingDivergedException>(() => new Trainer(local, quick with { Scheme = new Stepper.Rk4() }).Train(reader));
    }
}
