using static TorchSharp.torch;

namespace Onsager.Learning;

/// <summary>Training losses: pure functions of a compiled vector field (a member or a baseline) and a batch of data windows.</summary>
public static class Loss
{
    /// <summary>
    /// The reference's autoregressive loss (seed-benchmark.md, "Loss"): from every frame s = 0 .. T-1-k of each window
    /// (batch, T, fields, x[, y]) the member steps k times; the loss of step j is the MSE against frame s + j, and
    /// the k losses are averaged. With <paramref name="detach"/> the state is cut from the graph after each step (as
    /// the reference does); without, the gradient runs through all k steps.
    /// </summary>
    public static Tensor Autoregressive(ICompiledVectorField m, Stepper stepper, Tensor windows, int horizon, double dt,
                                        bool detach = true, int picardIterations = TrainingSteps.DefaultPicardIterations)
    {
        long b = windows.shape[0], t = windows.shape[1];
        if (horizon < 1 || horizon >= t) throw new ArgumentException($"The loss horizon must be in 1..{t - 1} for windows of {t} frames, got {horizon}.");
        long starts = t - horizon;
        var rest = windows.shape.Skip(2).ToArray();
        Tensor Frames(long first) => windows.narrow(1, first, starts).reshape(new long[] { b * starts }.Concat(rest).ToArray());
        var u = Frames(0);
        Tensor? total = null;
        for (int j = 1; j <= horizon; j++)
        {
            u = TrainingSteps.Step(m, stepper, u, dt, picardIterations);
            var l = nn.functional.mse_loss(u, Frames(j));
            total = total is null ? l : total.Plus(l);
            if (detach && j < horizon) u = u.detach();
        }
        return total!.Over(horizon);
    }
}
