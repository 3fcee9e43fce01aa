using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>Solver statistics of a rollout.</summary>
public sealed record SolverStatistics(int Steps, long Iterations, double WorstResidual, int Substeps);

/// <summary>
/// A rollout of a batch of initial states: the saved frames (batch, frame, field, x[, y]) in float64, their times,
/// and per frame the energy, the dissipation rate &lt;dE, M dE&gt;_h and the mass per field.
/// </summary>
public sealed record Trajectory(double[] States, long[] Shape, ImmutableArray<double> Times, double[,] Energy, double[,] DissipationRate,
                                double[,,] Mass, SolverStatistics Statistics)
{
    /// <summary>The saved frames as a float64 tensor of shape <see cref="Shape"/>: (batch, frame, field, x[, y]).</summary>
    public Tensor StatesTensor() => tensor(States, ScalarType.Float64).reshape(Shape);

    /// <summary>The saved frames of a rollout on a 1-D grid: [batch, frame, field, site].</summary>
    /// <exception cref="InvalidOperationException">The grid is 2-D (use <see cref="States2D"/>).</exception>
    public double[,,,] States1D()
    {
        var a = Shape.Length == 4 ? new double[Shape[0], Shape[1], Shape[2], Shape[3]]
            : throw new InvalidOperationException($"States1D is for a rollout on a 1-D grid; this one's frames have shape {StateShape.Show(Shape)} (use States2D).");
        Buffer.BlockCopy(States, 0, a, 0, States.Length * sizeof(double));
        return a;
    }

    /// <summary>The saved frames of a rollout on a 2-D grid: [batch, frame, field, x, y].</summary>
    /// <exception cref="InvalidOperationException">The grid is 1-D (use <see cref="States1D"/>).</exception>
    public double[,,,,] States2D()
    {
        var a = Shape.Length == 5 ? new double[Shape[0], Shape[1], Shape[2], Shape[3], Shape[4]]
            : throw new InvalidOperationException($"States2D is for a rollout on a 2-D grid; this one's frames have shape {StateShape.Show(Shape)} (use States1D).");
        Buffer.BlockCopy(States, 0, a, 0, States.Length * sizeof(double));
        return a;
    }
}

/// <summary>Progress of a rollout.</summary>
public sealed record RolloutProgress(int Step, int Steps, double Time, double MeanEnergy);

/// <summary>Every state of a short rollout kept as tensors (batch, field, x[, y]), with the energy per step and sample (null for
/// a force field, which has none) and the number of discrete-gradient steps that did not converge. Diverged samples carry
/// NaN or Inf from then on.</summary>
public sealed record RolloutFrames(ImmutableArray<Tensor> States, double[,]? Energy, int Unconverged);

/// <summary>Rolls compiled members forward with any stepper (pure apart from progress reports).</summary>
public static class Rollout
{
    /// <summary>An explicit rollout stops (<see cref="StepFailedException.BlowUp"/>) when a sample's energy rises above its
    /// initial value by more than this times |E(u0)| (the batch's largest |E(u0)| 1e-6 times, at least, so that a state
    /// of zero energy is not judged by round-off), or when a state holds NaN or Inf. A member's energy never rises in
    /// exact time; explicit schemes past their stability limit raise it without bound (6.5e137 in issue 16).</summary>
    public const double BlowUpTolerance = 1.0;

    /// <summary>Throws <see cref="StepFailedException.BlowUp"/> when an explicit step <paramref name="n"/> left non-finite values
    /// or (with energies, per sample) raised the energy above its start by more than <see cref="BlowUpTolerance"/>.</summary>
    internal static void CheckExplicit(Stepper stepper, double dt, int n, Tensor u, double[]? start, double[]? now)
    {
        if (!stepper.IsExplicit) return;
        if (!u.isfinite().all().item<bool>())
            throw StepFailedException.BlowUp(n, stepper, dt, "the state holds NaN or Inf");
        if (start is null || now is null) return;
        double largest = start.Max(Math.Abs);
        for (int b = 0; b < start.Length; b++)
        {
            double allowance = BlowUpTolerance * Math.Max(Math.Abs(start[b]), 1e-6 * largest) + 1e-300;
            if (!double.IsFinite(now[b]) || now[b] - start[b] > allowance)
                throw StepFailedException.BlowUp(n, stepper, dt,
                    FormattableString.Invariant($"the energy of sample {b} rose from {start[b]:G4} to {now[b]:G4} (more than {BlowUpTolerance:G3} x |E(u0)|)"));
        }
    }

    /// <summary>
    /// A rollout for evaluation: counts unconverged discrete-gradient steps instead of failing, so one bad sample does not
    /// hide the others (the error statistic clamps a diverged one). An explicit scheme that blows up stops with
    /// <see cref="StepFailedException.BlowUp"/> (see <see cref="BlowUpTolerance"/>).
    /// </summary>
    public static RolloutFrames Frames(ICompiledVectorField f, Stepper stepper, Tensor u0, double dt, int steps, CancellationToken cancel = default)
    {
        VectorField.CheckScheme(f, stepper);
        var states = ImmutableArray.CreateBuilder<Tensor>(steps + 1);
        var u = u0.to(ScalarType.Float64).detach();
        long batch = u.shape[0];
        var m = f as CompiledModel;
        var energy = m is null ? null : new double[batch, steps + 1];
        int unconverged = 0;
        void Record(int n)
        {
            states.Add(u);
            if (m is null || energy is null) return;
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();                                // the energy's temporaries (network activations) die here
            var e = m.Energy(u).data<double>().ToArray();
            for (int b = 0; b < batch; b++) energy[b, n] = e[b];
        }
        Record(0);
        double[]? Energies(int n) => energy is null ? null : Enumerable.Range(0, (int)batch).Select(b => energy[b, n]).ToArray();
        var start = Energies(0);
        for (int n = 1; n <= steps; n++)
        {
            cancel.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                // The solver's temporaries die with the step (a 100-iteration solve on a large batch would hold gigabytes).
                var r = Steppers.TryStep(f, stepper, u, dt);
                if (!r.Converged) unconverged++;
                u = r.State.detach().MoveToOuterDisposeScope();
            }
            Record(n);
            CheckExplicit(stepper, dt, n, u, start, Energies(n));
        }
        return new RolloutFrames(states.MoveToImmutable(), energy, unconverged);
    }

    /// <summary>Rolls <paramref name="u0"/> forward <paramref name="steps"/> steps of <paramref name="dt"/>, saving every
    /// <paramref name="saveEvery"/>-th state with its energy, dissipation rate and mass.</summary>
    /// <param name="m">The compiled member.</param>
    /// <param name="stepper">The time stepper.</param>
    /// <param name="u0">The initial states (batch, field, x[, y]), finite.</param>
    /// <param name="dt">The time step.</param>
    /// <param name="steps">The number of steps (non-negative).</param>
    /// <param name="saveEvery">Save a frame every this many steps (the initial state is frame 0).</param>
    /// <param name="progress">Receives the step, time and mean energy at every saved frame.</param>
    /// <param name="cancel">Stops the rollout between steps.</param>
    /// <param name="stepStarting">Called with n as step n (1-based) starts: a caller's sign-of-life hook.</param>
    public static Trajectory Run(CompiledModel m, Stepper stepper, Tensor u0, double dt, int steps, int saveEvery = 1,
                                 IProgress<RolloutProgress>? progress = null, CancellationToken cancel = default, Action<int>? stepStarting = null)
    {
        if (steps < 0) throw new ArgumentException($"The number of steps must be non-negative, got {steps}.");
        if (saveEvery < 1) throw new ArgumentException($"saveEvery must be at least 1, got {saveEvery}.");
        if (!u0.isfinite().all().item<bool>()) throw new ArgumentException("The initial state contains NaN or Inf.");
        var frames = new List<Tensor>();
        var times = new List<double>();
        long iterations = 0; double worst = 0; int substeps = 0;
        var u = u0.to(ScalarType.Float64).detach();
        void Save(double t) { frames.Add(u.clone()); times.Add(t); }
        Save(0);
        double[]? Energy() { using var noGrad = no_grad(); using var scope = NewDisposeScope(); return m.Energy(u).data<double>().ToArray(); }
        var start = stepper.IsExplicit ? Energy() : null;
        for (int n = 1; n <= steps; n++)
        {
            cancel.ThrowIfCancellationRequested();
            stepStarting?.Invoke(n);
            using (var scope = NewDisposeScope())
            {
                var r = Steppers.Step(m, stepper, u, dt, n);
                iterations += r.Iterations; worst = Math.Max(worst, r.Residual); substeps += r.Substeps;
                CheckExplicit(stepper, dt, n, r.State, null, null);
                if (!r.State.isfinite().all().item<bool>()) throw new StepFailedException(n, double.NaN, r.Iterations, dt);
                u = r.State.MoveToOuterDisposeScope();
            }
            if (start is not null) CheckExplicit(stepper, dt, n, u, start, Energy());
            if (n % saveEvery == 0 || n == steps)
            {
                Save(n * dt);
                if (progress is not null)
                {
                    using var scope = NewDisposeScope();
                    progress.Report(new RolloutProgress(n, steps, n * dt, m.Energy(u).mean().item<double>()));
                }
            }
        }
        var stack = TorchSharp.torch.stack(frames, 1);                          // (batch, frame, field, x[, y])
        long batch = stack.shape[0]; int count = frames.Count, fields = m.Fields;
        var energy = new double[batch, count]; var rate = new double[batch, count]; var mass = new double[batch, count, fields];
        for (int f = 0; f < count; f++)
        {
            // One scope a frame: unscoped, every frame's network activations live until the rollout ends.
            using var scope = NewDisposeScope();
            var e = m.Energy(frames[f]).data<double>().ToArray();
            var d = m.DissipationRate(frames[f]).data<double>().ToArray();
            var ms = m.Mass(frames[f]).data<double>().ToArray();
            for (int b = 0; b < batch; b++)
            {
                energy[b, f] = e[b]; rate[b, f] = d[b];
                for (int k = 0; k < fields; k++) mass[b, f, k] = ms[b * fields + k];
            }
        }
        return new Trajectory(stack.contiguous().data<double>().ToArray(), stack.shape, times.ToImmutableArray(), energy, rate, mass,
                              new SolverStatistics(steps, iterations, worst, substeps));
    }
}
