using static TorchSharp.torch;

namespace Onsager;

/// <summary>Simulates a member: rollouts of a batch of initial states with any stepper (<see cref="Rollout"/>), off the calling thread.</summary>
public sealed class Simulator(Model model, Stepper stepper, CompileOptions? options = null)
{
    /// <summary>The member simulated.</summary>
    public Model Model { get; } = model;
    /// <summary>The stepper.</summary>
    public Stepper Stepper { get; } = stepper;

    /// <param name="initial">Initial states, (batch, field, x[, y]) values flattened, for <paramref name="batch"/> samples.</param>
    /// <param name="heartbeat">When set, receives "simulate: step n/N: S s so far" every few seconds while one step runs
    /// longer than that (<see cref="Heartbeat"/>): a sign of life inside a long implicit step.</param>
    public Task<Trajectory> RunAsync(double[] initial, int batch, double dt, int steps, int saveEvery = 1,
                                     IProgress<RolloutProgress>? progress = null, CancellationToken cancellationToken = default,
                                     Action<string>? heartbeat = null) =>
        Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var m = Dynamics.Compile(Model, options);
            var u0 = Dynamics.State(Model, initial, batch, options);
            using var beat = heartbeat is null ? null : new Heartbeat(heartbeat);
            return Rollout.Run(m, Stepper, u0, dt, steps, saveEvery, progress, cancellationToken,
                               beat is null ? null : n => beat.Set($"simulate: step {n}/{steps}"));
        }, cancellationToken);

    /// <summary>Random smooth initial states of the kind the laws use (seeded).</summary>
    public static double[] RandomInitial(Model model, int batch, int seed, double amplitude = 1.0)
    {
        using var scope = NewDisposeScope();
        return RandomMembers.States(new Random(seed), model.Grid, model.Fields, batch, amplitude).data<double>().ToArray();
    }
}
