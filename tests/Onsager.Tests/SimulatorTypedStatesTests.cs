using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

// Issue 15 item 5: initial states as typed values [batch, fields, sites...], checked at the boundary, and frames back in the same layout.
public class SimulatorTypedStatesTests
{
    private static readonly Model Line = KnownMembers.CahnHilliard(Grid.Periodic(2 * Math.PI, 32));
    private static readonly Model Plane = KnownMembers.Heat(Grid.Periodic(1, 2, 6, 5));

    private static double[,,] Cube(double[] flat, int a, int b, int c)
    {
        var r = new double[a, b, c];
        Buffer.BlockCopy(flat, 0, r, 0, Buffer.ByteLength(flat));
        return r;
    }

    /// <summary>The same values in the same layout: libtorch's reductions may differ in the last bits between runs (thread
    /// counts change under a parallel test run), a layout error by O(1).</summary>
    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        int worst = Enumerable.Range(0, expected.Length).MaxBy(i => Math.Abs(expected[i] - actual[i]));
        Assert.True(Math.Abs(expected[worst] - actual[worst]) <= 1e-12 * scale, $"at {worst}: {expected[worst]:R} against {actual[worst]:R}");
    }

    [Fact]
    public async Task ATypedRunEqualsTheFlatRunAndItsFramesComeBackInTheSameLayout()
    {
        var sim = new Simulator(Line, new Stepper.DiscreteGradient());
        var flat = Simulator.RandomInitial(Line, 2, 1, 0.5);
        using var tensor = Simulator.RandomStates(Line, 2, 1, 0.5);
        Assert.Equal(new long[] { 2, 1, 32 }, tensor.shape);
        var a = await sim.RunAsync(flat, 2, 1e-2, 6, saveEvery: 3);
        var b = await sim.RunAsync(tensor, 1e-2, 6, saveEvery: 3);
        var c = await sim.RunAsync(Cube(flat, 2, 1, 32), 1e-2, 6, saveEvery: 3);
        foreach (var t in new[] { b, c })
        {
            Assert.Equal(a.Shape, t.Shape);
            Close(a.States, t.States);
            Close(a.Energy.Cast<double>().ToArray(), t.Energy.Cast<double>().ToArray());
        }
        var frames = c.States1D();                                          // [batch, frame, field, site]
        Assert.Equal(new[] { 2, 3, 1, 32 }, Enumerable.Range(0, 4).Select(frames.GetLength));
        Assert.Equal(flat[32 + 7], frames[1, 0, 0, 7]);                     // sample 1, frame 0, site 7 is the initial value
        Assert.Equal(c.States[^1], frames[1, 2, 0, 31]);
        using var states = c.StatesTensor();
        Assert.Equal(c.Shape, states.shape);
        Assert.Equal(frames[1, 2, 0, 5], states[1, 2, 0, 5].item<double>());
        Assert.Contains("States2D", Assert.Throws<InvalidOperationException>(() => c.States2D()).Message);
    }

    [Fact]
    public async Task OnATwoDimensionalGridADoubleArrayOfRankFourRunsAsTheFlatRun()
    {
        var sim = new Simulator(Plane, new Stepper.Rk4());
        var flat = Simulator.RandomInitial(Plane, 2, 3, 0.5);
        var u0 = new double[2, 1, 6, 5];
        Buffer.BlockCopy(flat, 0, u0, 0, flat.Length * sizeof(double));
        var a = await sim.RunAsync(flat, 2, 1e-3, 4, saveEvery: 2);
        var b = await sim.RunAsync(u0, 1e-3, 4, saveEvery: 2);
        Close(a.States, b.States);
        var frames = b.States2D();                                          // [batch, frame, field, x, y]
        Assert.Equal(new[] { 2, 3, 1, 6, 5 }, Enumerable.Range(0, 5).Select(frames.GetLength));
        Assert.Equal(u0[1, 0, 4, 3], frames[1, 0, 0, 4, 3]);
        Assert.Contains("States1D", Assert.Throws<InvalidOperationException>(() => b.States1D()).Message);
    }

    [Fact]
    public async Task AWrongShapeIsAnArgumentExceptionNamingTheExpectedAndTheGivenShape()
    {
        var line = new Simulator(Line, new Stepper.Euler());
        var plane = new Simulator(Plane, new Stepper.Euler());
        var messages = new List<string>();
        async Task<string> Refused(Func<Task> run)
        {
            var message = (await Assert.ThrowsAsync<ArgumentException>(run)).Message;
            messages.Add(message);
            return message;
        }

        var m = await Refused(() => line.RunAsync(new double[2, 1, 31], 1e-3, 1));
        Assert.Contains("expected shape [batch, 1, 32]", m);
        Assert.Contains("a double[,,] of shape [2, 1, 31]", m);
        m = await Refused(() => line.RunAsync(new double[2, 2, 32], 1e-3, 1));
        Assert.Contains("[batch, 1, 32]", m);
        Assert.Contains("[2, 2, 32]", m);
        m = await Refused(() => line.RunAsync(new double[0, 1, 32], 1e-3, 1));
        Assert.Contains("at least one sample", m);
        Assert.Contains("[0, 1, 32]", m);
        m = await Refused(() => plane.RunAsync(new double[2, 1, 30], 1e-3, 1));
        Assert.Contains("expected shape [batch, 1, 6, 5] (a double[,,,] or a Tensor on a 2-D grid)", m);
        Assert.Contains("[2, 1, 30]", m);
        m = await Refused(() => line.RunAsync(new double[2, 1, 32, 1], 1e-3, 1));
        Assert.Contains("[batch, 1, 32] (a double[,,] or a Tensor on a 1-D grid)", m);
        Assert.Contains("a double[,,,] of shape [2, 1, 32, 1]", m);
        using var missingFieldAxis = zeros(2, 32, dtype: ScalarType.Float64);
        m = await Refused(() => line.RunAsync(missingFieldAxis, 1e-3, 1));
        Assert.Contains("[batch, 1, 32]", m);
        Assert.Contains("a Tensor (Float64) of shape [2, 32]", m);
        m = await Refused(() => line.RunAsync(new double[63], 2, 1e-3, 1));
        Assert.Contains("expected 64 values (shape [2, 1, 32]), got 63", m);
        m = await Refused(() => line.RunAsync(new double[64], 0, 1e-3, 1));
        Assert.Contains("batch must be at least 1, got 0", m);
        Assert.Equal(8, messages.Count);
        Assert.All(messages, s => Assert.DoesNotContain('\n', s));          // one line each
    }

    [Fact]
    public void DynamicsStateChecksItsLengthAndShapeInsteadOfLeavingItToLibtorch()
    {
        var e = Assert.Throws<ArgumentException>(() => Dynamics.State(Line, new double[33]));
        Assert.Equal("States: expected 32 values (shape [1, 1, 32]), got 33.", e.Message);
        e = Assert.Throws<ArgumentException>(() => Dynamics.State(Plane, new double[1, 1, 30]));
        Assert.Contains("expected shape [batch, 1, 6, 5]", e.Message);
        Assert.Contains("got a double[,,] of shape [1, 1, 30]", e.Message);
        using var u = Dynamics.State(Plane, new double[3, 1, 6, 5]);
        Assert.Equal(new long[] { 3, 1, 6, 5 }, u.shape);
    }
}
