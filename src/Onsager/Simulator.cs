using static TorchSharp.torch;

namespace Onsager;

/// <summary>Simulates a member: rollouts of a batch of initial states with any stepper (<see cref="Rollout"/>), off the calling thread.
/// Initial states are [batch, fields, sites...]: a <see cref="Tensor"/>, a <c>double[,,]</c> on a 1-D grid or a <c>double[,,,]</c>
/// on a 2-D grid; a shape that does not fit the member is an <see cref="ArgumentException"/> naming the expected and the
/// given shape, thrown by the call. The frames come back in the same layout with a frame axis after the batch
/// (<see cref="Trajectory.StatesTensor"/>, <see cref="Trajectory.States1D"/>, <see cref="Trajectory.States2D"/>).</summary>
public sealed class Simulator(Model model, Stepper stepper, CompileOptions? options = null)
{
    private const string What = "initial states";

    /// <summary>The member simulated.</summary>
    public Model Model { get; } = model;
    /// <summary>The stepper.</summary>
    public Stepper Stepper { get; } = stepper;

    /// <summary>Rolls initial states held by a tensor forward (copied when the call is made; any floating dtype and device).</summary>
    /// <param name="initial">Initial states [batch, fields, sites...] (sites: x, or x and y).</param>
    /// <param name="dt">The time step.</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="saveEvery">Save a frame every this many steps (the initial state is frame 0).</param>
    /// <param name="progress">Receives the step, time and mean energy at every saved frame.</param>
    /// <param name="cancellationToken">Stops the rollout between steps.</param>
    /// <param name="heartbeat">When set, receives "simulate: step n/N: S s so far" every few seconds while one step runs
    /// longer than that (<see cref="Heartbeat"/>): a sign of life inside a long implicit step.</param>
    public Task<Trajectory> RunAsync(Tensor initial, double dt, int steps, int saveEvery = 1,
                                     IProgress<RolloutProgress>? progress = null, CancellationToken cancellationToken = default,
                                     Action<string>? heartbeat = null)
    {
        var (values, shape) = StateShape.Flatten(Model.Grid, Model.Fields, initial, What);
        return Run(values, shape[0], dt, steps, saveEvery, progress, cancellationToken, heartbeat);
    }

    /// <summary>Rolls initial states on a 1-D grid forward.</summary>
    /// <param name="initial">Initial states [batch, fields, sites].</param>
    /// <param name="dt">The time step.</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="saveEvery">Save a frame every this many steps (the initial state is frame 0).</param>
    /// <param name="progress">Receives the step, time and mean energy at every saved frame.</param>
    /// <param name="cancellationToken">Stops the rollout between steps.</param>
    /// <param name="heartbeat">As for the <see cref="Tensor"/> overload.</param>
    public Task<Trajectory> RunAsync(double[,,] initial, double dt, int steps, int saveEvery = 1,
                                     IProgress<RolloutProgress>? progress = null, CancellationToken cancellationToken = default,
                                     Action<string>? heartbeat = null)
    {
        var (values, shape) = StateShape.Flatten(Model.Grid, Model.Fields, initial, What);
        return Run(values, shape[0], dt, steps, saveEvery, progress, cancellationToken, heartbeat);
    }

    /// <summary>Rolls initial states on a 2-D grid forward.</summary>
    /// <param name="initial">Initial states [batch, fields, x, y].</param>
    /// <param name="dt">The time step.</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="saveEvery">Save a frame every this many steps (the initial state is frame 0).</param>
    /// <param name="progress">Receives the step, time and mean energy at every saved frame.</param>
    /// <param name="cancellationToken">Stops the rollout between steps.</param>
    /// <param name="heartbeat">As for the <see cref="Tensor"/> overload.</param>
    public Task<Trajectory> RunAsync(double[,,,] initial, double dt, int steps, int saveEvery = 1,
                                     IProgress<RolloutProgress>? progress = null, CancellationToken cancellationToken = default,
                                     Action<string>? heartbeat = null)
    {
        var (values, shape) = StateShape.Flatten(Model.Grid, Model.Fields, initial, What);
        return Run(values, shape[0], dt, steps, saveEvery, progress, cancellationToken, heartbeat);
    }

    /// <summary>Rolls initial states already flat (as read from a file) forward; prefer the typed overloads. A length other
    /// than batch x fields x sites is an <see cref="ArgumentException"/> naming both.</summary>
    /// <param name="initial">Initial states, (batch, field, x[, y]) values flattened, for <paramref name="batch"/> samples.</param>
    /// <param name="batch">The number of samples (at least 1).</param>
    /// <param name="dt">The time step.</param>
    /// <param name="steps">The number of steps.</param>
    /// <param name="saveEvery">Save a frame every this many steps (the initial state is frame 0).</param>
    /// <param name="progress">Receives the step, time and mean energy at every saved frame.</param>
    /// <param name="cancellationToken">Stops the rollout between steps.</param>
    /// <param name="heartbeat">As for the <see cref="Tensor"/> overload.</param>
    public Task<Trajectory> RunAsync(double[] initial, int batch, double dt, int steps, int saveEvery = 1,
                                     IProgress<RolloutProgress>? progress = null, CancellationToken cancellationToken = default,
                                     Action<string>? heartbeat = null)
    {
        ArgumentNullException.ThrowIfNull(initial);
        StateShape.CheckFlat(Model.Grid, Model.Fields, initial.LongLength, batch, What);
        return Run(initial, batch, dt, steps, saveEvery, progress, cancellationToken, heartbeat);
    }

    private Task<Trajectory> Run(double[] initial, long batch, double dt, int steps, int saveEvery,
                                 IProgress<RolloutProgress>? progress, CancellationToken cancellationToken, Action<string>? heartbeat) =>
        Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var m = Dynamics.Compile(Model, options);
            var u0 = Dynamics.State(Model, initial, batch, options);
            using var beat = heartbeat is null ? null : new Heartbeat(heartbeat);
            return Rollout.Run(m, Stepper, u0, dt, steps, saveEvery, progress, cancellationToken,
                               beat is null ? null : n => beat.Set($"simulate: step {n}/{steps}"));
        }, cancellationToken);

    /// <summary>Random smooth initial states [batch, fields, sites...] of the kind the laws use (seeded), float64 on the CPU.</summary>
    public static Tensor RandomStates(Model model, int batch, int seed, double amplitude = 1.0)
    {
        using var scope = NewDisposeScope();
        return RandomMembers.States(new Random(seed), model.Grid, model.Fields, batch, amplitude).MoveToOuterDisposeScope();
    }

    /// <summary>The states of <see cref="RandomStates"/>, flattened (for the flat <see cref="RunAsync(double[], int, double, int, int, IProgress{RolloutProgress}?, CancellationToken, Action{string}?)"/>).</summary>
    public static double[] RandomInitial(Model model, int batch, int seed, double amplitude = 1.0)
    {
        using var scope = NewDisposeScope();
        return RandomMembers.States(new Random(seed), model.Grid, model.Fields, batch, amplitude).data<double>().ToArray();
    }
}
