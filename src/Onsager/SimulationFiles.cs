using System.Collections.Immutable;
using Onsager.Data;

namespace Onsager;

/// <summary>What `simulate` reads and writes: initial states from a dataset, and a trajectory in the reference layout.</summary>
public static class SimulationFiles
{
    /// <summary>Frame 0 of the first B trajectories of a dataset, in the model's (batch, field, x[, y]) order.</summary>
    public static (double[] Values, int Batch) FirstFrames(string path, Model model, int? batch, CancellationToken cancel)
    {
        var d = Dataset.Open(path, checkValues: false, cancel);
        Layout.CheckGrid(d, model);
        int b = (int)Math.Min(batch ?? d.Samples, d.Samples);
        using var reader = new DatasetReader(d);
        int sites = model.Grid.Sites, fields = model.Fields;
        var values = Layout.ToModel(reader.ReadSamples(0, b, 0, 1), b, sites, fields);   // (b, sites..., fields) -> (b, fields, sites...)
        int bad = Array.FindIndex(values, x => !double.IsFinite(x));
        if (bad >= 0)
            throw new DatasetException(path, $"{(double.IsNaN(values[bad]) ? "NaN" : "Inf")} in frame 0 of trajectory {bad / (sites * fields)} (site {bad % sites}, field {bad / sites % fields})");
        return (values, b);
    }

    /// <summary>The trajectory in the reference layout: (batch, frame, field, x[, y]) float64 -> (samples, frames, x[, y], fields) float32.</summary>
    public static DatasetContent Content(Model model, string reference, Stepper stepper, double dt, int saveEvery, int seed, string init, Trajectory t)
    {
        long batch = t.Shape[0]; int frames = (int)t.Shape[1], fields = (int)t.Shape[2], sites = model.Grid.Sites;
        var values = Layout.ToFile(t.States, batch * frames, sites, fields);
        var shape = new List<long> { batch, frames };
        shape.AddRange(model.Grid.Points.Select(p => (long)p));
        shape.Add(fields);
        var scalars = new Dictionary<string, double>
        {
            ["dt"] = dt * saveEvery,
            ["step_dt"] = dt,
            ["steps"] = t.Statistics.Steps,
            ["save_every"] = saveEvery,
            ["seed"] = seed,
            ["frames"] = frames,
            ["solver_iterations"] = t.Statistics.Iterations,
            ["solver_worst_residual"] = t.Statistics.WorstResidual,
            ["solver_substeps"] = t.Statistics.Substeps,
        };
        if (model.Grid.Lengths.Distinct().Count() == 1) scalars["L"] = model.Grid.Lengths[0];
        var notes = new Dictionary<string, string>
        {
            ["name"] = reference,
            ["equation"] = model.Describe(),
            ["scheme"] = stepper.Name,
            ["init"] = init,
            ["known_member"] = reference.StartsWith("builtin:", StringComparison.Ordinal) ? reference["builtin:".Length..] : "",
            ["generator"] = "onsager simulate",
        };
        var diagnostics = new Dictionary<string, NpyArray>
        {
            ["energy"] = NpyArray.Of(t.Energy.Cast<double>().ToArray(), batch, frames),
            ["dissipation_rate"] = NpyArray.Of(t.DissipationRate.Cast<double>().ToArray(), batch, frames),
            ["mass"] = NpyArray.Of(t.Mass.Cast<double>().ToArray(), batch, frames, fields),
        };
        return new DatasetContent(values, [.. shape], [.. t.Times],
            Enumerable.Range(0, model.Grid.Dimensions).Select(a => model.Grid.Coordinates(a).ToArray()).ToImmutableArray(),
            ImmutableSortedDictionary.Create<string, double[,]>(StringComparer.Ordinal),
            scalars.ToImmutableSortedDictionary(StringComparer.Ordinal), notes.ToImmutableSortedDictionary(StringComparer.Ordinal))
        { Diagnostics = diagnostics.ToImmutableSortedDictionary(StringComparer.Ordinal) };
    }
}
