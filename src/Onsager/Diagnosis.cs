using System.Collections.Immutable;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>What <see cref="Diagnosis.Run"/> does: the stepper of the rollouts (as tuned for the member, <see cref="Stepper.TunedFor"/>), how many test trajectories, the length of the
/// drift rollout (default: ten times the data's horizon) and the number of data states the identifiability Jacobian sees.</summary>
public sealed record DiagnosisOptions(Stepper Stepper, int Trajectories = 4, int? DriftSteps = null, int IdentifiabilityStates = 16,
                                      IdentifiabilityOptions? Identifiability = null)
{
    /// <summary>The default options: the discrete-gradient stepper.</summary>
    public static DiagnosisOptions Default { get; } = new(new Stepper.DiscreteGradient());
}

/// <summary>Every diagnostic of a member on a dataset (issue 6), as one immutable value. Truth-side entries are null when the
/// data name no known member. <see cref="Predicted"/> and <see cref="Observed"/> have layout (trajectory, frame, field, x[, y]).</summary>
public sealed record DiagnosisResult(
    Model Model, Model? Truth, string DataName, string DataPath, Grid Grid, double Dt, ImmutableArray<int> TestTrajectories,
    ModelTrajectories Observed, ModelTrajectories Predicted, string Scheme,
    EnergyTrace DataEnergy, EnergyTrace RolloutEnergy, StepScaling DataScaling, StepScaling RolloutScaling,
    ImmutableArray<DensityCurve> Density, ImmutableArray<DensityComparison> DensityVsTruth,
    OperatorSpectrum Spectrum, OperatorSpectrum? TruthSpectrum, MobilityCurves Mobility, MobilityCurves? TruthMobility,
    VectorFieldSplit Split, EnergyOrder Order, IdentifiabilityReport Identifiability, Drift Drift, RolloutError Error,
    double DataMin, double DataMax);

/// <summary>Runs the core diagnostics of a member on a dataset's test trajectories (the reference split).</summary>
public static class Diagnosis
{
    /// <summary>Runs the diagnostics of the member on the dataset's test trajectories.</summary>
    public static DiagnosisResult Run(Model model, string dataPath, DiagnosisOptions? options = null,
                                      IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var o = options ?? DiagnosisOptions.Default;
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        var data = reader.Dataset;
        ModelData.CheckCompatible(model, data);
        if (data.Frames < 2) throw new ArgumentException($"The data '{dataPath}' have one frame: nothing to roll out.");
        var test = data.Samples >= 3 ? data.ReferenceSplit().Test : [.. Enumerable.Range(0, (int)data.Samples)];
        var chosen = test.Take(Math.Max(1, o.Trajectories)).ToArray();
        var observed = ModelData.Load(reader, model, chosen);
        Model? truth = data.KnownMember is { } name && KnownMembers.Names.Contains(name) ? KnownMembers.Get(name, data.Grid) : null;

        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(model);
        using var t = truth is null ? null : Dynamics.Compile(truth);
        var u = tensor(observed.Values, ScalarType.Float64).reshape(observed.Shape.ToArray());
        double dt = data.Dt;
        int frames = observed.Frames;
        var stepper = o.Stepper.TunedFor(m);

        progress?.Report("energy along the data");
        var times = observed.Times;
        var dataEnergy = Diagnose.Energy(m, u, times);
        progress?.Report($"rollout ({o.Stepper.Name}, {frames - 1} steps of {dt:G3})");
        var u0 = u[TensorIndex.Colon, 0];
        var roll = Rollout.Run(m, stepper, u0, dt, frames - 1, progress: Steps(progress, "rollout", frames - 1), cancel: cancel);
        var predicted = new ModelTrajectories(roll.States, [.. roll.Shape], roll.Times, observed.Samples);
        var p = tensor(roll.States, ScalarType.Float64).reshape(roll.Shape);
        var rollEnergy = Diagnose.Trace(roll.Energy, roll.Times);
        var error = Diagnose.Error(p, u, times);

        var flat = u.flatten();
        double lo = flat.min().item<double>(), hi = flat.max().item<double>(), pad = 0.1 * Math.Max(hi - lo, 1e-12);
        progress?.Report("density");
        var density = Enumerable.Range(0, model.Fields).Select(f => Diagnose.Density(m, lo - pad, hi + pad, 101, f)).ToImmutableArray();
        var vsTruth = t is null ? ImmutableArray<DensityComparison>.Empty
            : density.Select(d => Diagnose.Compare(d, Diagnose.Density(t, lo - pad, hi + pad, 101, d.Field))).ToImmutableArray();
        int maxMode = model.Grid.Points[0] / 2;
        progress?.Report("spectra and mobility");
        var spectrum = Diagnose.Spectrum(m, 0, 0, maxMode);
        var truthSpectrum = t is null ? null : Diagnose.Spectrum(t, 0, 0, maxMode);
        var mobility = Diagnose.Mobility(m, lo, hi);
        var truthMobility = t is null ? null : Diagnose.Mobility(t, lo, hi);
        progress?.Report("split and order");
        var split = Diagnose.Split(m, u, times);
        var order = Diagnose.Order(m, u0);

        progress?.Report("identifiability");
        var states = u.flatten(0, 1);
        long n = states.shape[0];
        int take = (int)Math.Min(n, o.IdentifiabilityStates);
        var pick = tensor(Enumerable.Range(0, take).Select(i => (long)Math.Round(i * (n - 1) / (double)Math.Max(take - 1, 1))).ToArray(), ScalarType.Int64);
        var ident = Onsager.Analysis.Identifiability.Analyse(m, states.index_select(0, pick), o.Identifiability);

        int driftSteps = o.DriftSteps ?? 10 * (frames - 1);
        progress?.Report($"drift rollout ({driftSteps} steps)");
        var longRoll = Rollout.Run(m, stepper, u0, dt, driftSteps, saveEvery: Math.Max(1, driftSteps / 100), progress: Steps(progress, "drift rollout", driftSteps), cancel: cancel);
        var drift = Diagnose.Drift(model, longRoll, dt);

        return new DiagnosisResult(model, truth, data.Name, dataPath, data.Grid, dt, [.. chosen], observed, predicted, o.Stepper.Name,
            dataEnergy, rollEnergy, Diagnose.StepScaling(dataEnergy, dt), Diagnose.StepScaling(rollEnergy, dt),
            density, vsTruth, spectrum, truthSpectrum, mobility, truthMobility, split, order, ident, drift, error, lo, hi);
    }

    // A line at every tenth of a rollout's steps (a long rollout says how far it is).
    private static IProgress<RolloutProgress>? Steps(IProgress<string>? progress, string what, int steps)
    {
        if (progress is null || steps < 10) return null;
        int every = steps / 10, last = 0;
        return new Reporter<RolloutProgress>(p =>
        {
            if (p.Step - last < every && p.Step != p.Steps) return;
            last = p.Step;
            progress.Report($"{what}: step {p.Step} of {p.Steps}");
        });
    }
}
