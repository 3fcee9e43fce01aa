using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>How to read a vector field back as an equation.</summary>
public sealed record EquationOptions
{
    /// <summary>The candidate terms (the whole canonical library by default, <see cref="TermLibrary.Names"/>).</summary>
    public ImmutableArray<string> Terms
    {
        get;
        init => field = value.IsDefaultOrEmpty ? throw new ArgumentException("An equation needs at least one candidate term.")
                                                : TermLibrary.Parse(string.Join(",", value));
    } = TermLibrary.Names;

    /// <summary>Terms contributing less than this share of the field's norm are dropped (STLSQ).</summary>
    public double Threshold
    {
        get;
        init => field = value >= 0 && value < 1 ? value : throw new ArgumentException($"The threshold is a share of the field in [0, 1), got {value}.");
    } = SparseRegression.DefaultThreshold;

    /// <summary>States of the data the field is evaluated on at most (evenly spaced over trajectories and frames).</summary>
    public int MaxStates
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentException($"An equation needs at least one state, got {value}.");
    } = 256;

    /// <summary>The TorchSharp device to evaluate on.</summary>
    public Device? Device { get; init; }
}

/// <summary>What <see cref="Equations.Read"/> found: the learned field's equation and, beside a known truth, the truth's.</summary>
public sealed record EquationReadout(string Dataset, string Model, int States, SparseEquation Learned, string? TruthMember, SparseEquation? Truth,
                                     double Threshold, TimeSpan Elapsed)
{
    /// <summary>The read-out as JSON.</summary>
    public JsonObject ToJson()
    {
        static JsonObject Of(SparseEquation e) => new()
        {
            ["equation"] = e.ToString(),
            ["terms"] = new JsonArray(e.Terms.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["coefficient"] = t.Coefficient }).ToArray()),
            ["unexplained"] = e.Unexplained,
        };
        var json = Of(Learned);
        json["dataset"] = Dataset;
        json["model"] = Model;
        json["states"] = States;
        json["threshold"] = Threshold;
        if (Truth is not null) json["truth"] = new JsonObject { ["member"] = TruthMember, ["equation"] = Truth.ToString(),
            ["terms"] = Of(Truth)["terms"]!.DeepClone(), ["unexplained"] = Truth.Unexplained };
        json["seconds"] = Math.Round(Elapsed.TotalSeconds, 2);
        return json;
    }
}

/// <summary>
/// Reads a learned vector field back as an equation a reader can compare with a paper: the field f(u) is evaluated on the
/// data's own states and projected by sparse least squares (<see cref="SparseRegression"/>) onto a library of terms
/// built from the same states with spectral derivatives. PDE-FIND fits the data's time derivative; this fits the learned
/// field, which is smooth and noise-free, and the result does not depend on how M, W and E factor it (docs/theory.md,
/// gauges): it is the identifiable read-out of a member.
/// </summary>
public static class Equations
{
    /// <summary>Reads out the field's equation on states of the dataset.</summary>
    public static EquationReadout Read(IVectorField field, DatasetReader reader, EquationOptions? options = null, string modelName = "model",
                                       CancellationToken cancel = default)
    {
        var o = options ?? new EquationOptions();
        var data = reader.Dataset;
        ModelData.CheckCompatible(field, data);
        if (data.Fields != 1 || data.Points.Length != 1)
            throw new ArgumentException($"{data.Path}: equation reads one field on a 1D grid; the data have {data.Fields} field(s) on a {data.Points.Length}D grid.");
        var clock = Stopwatch.StartNew();
        var states = States(reader, o.MaxStates);
        var derivatives = Derivatives(states, data.Lengths[0]);
        var columns = TermLibrary.Columns(o.Terms, derivatives);
        cancel.ThrowIfCancellationRequested();
        var learned = SparseRegression.Fit(o.Terms, columns, Field(field, states, data, o.Device), o.Threshold);
        SparseEquation? truth = null;
        if (data.KnownMember is { } member && KnownMembers.Names.Contains(member))
            truth = SparseRegression.Fit(o.Terms, columns, Field(KnownMembers.Get(member, data.Grid, spectral: true), states, data, o.Device), o.Threshold);
        return new EquationReadout(data.Name, modelName, states.Length, learned, truth is null ? null : data.KnownMember, truth, o.Threshold, clock.Elapsed);
    }

    /// <summary>Up to <paramref name="max"/> states evenly spaced over all (trajectory, frame) pairs, each N values.</summary>
    internal static double[][] States(DatasetReader reader, int max)
    {
        var d = reader.Dataset;
        long total = d.Samples * d.Frames;
        int count = (int)Math.Min(max, total);
        var picks = Enumerable.Range(0, count).Select(i => count == 1 ? 0 : (long)Math.Round(i * (total - 1) / (double)(count - 1))).Distinct().ToList();
        return picks.GroupBy(p => p / d.Frames).SelectMany(g =>
        {
            var trajectory = reader.ReadTrajectory(g.Key);
            int n = d.Points[0];
            return g.Select(p => trajectory.AsSpan((int)(p % d.Frames) * n, n).ToArray().Select(x => (double)x).ToArray());
        }).ToArray();
    }

    /// <summary>u and its spectral x-derivatives up to the fourth, all states laid end to end.</summary>
    internal static Derivatives Derivatives(double[][] states, double length)
    {
        var parts = states.Select(u =>
        {
            var ux = Solvers.Derivative(u, length);
            var uxx = Solvers.Derivative(ux, length);
            var uxxx = Solvers.Derivative(uxx, length);
            return (u, ux, uxx, uxxx, Solvers.Derivative(uxxx, length));
        }).ToList();
        return new Derivatives([.. parts.SelectMany(p => p.u)], [.. parts.SelectMany(p => p.ux)], [.. parts.SelectMany(p => p.uxx)],
                               [.. parts.SelectMany(p => p.uxxx)], [.. parts.SelectMany(p => p.Item5)]);
    }

    /// <summary>f(u) of the field on the states in float64, laid end to end as the library's rows.</summary>
    internal static double[] Field(IVectorField field, double[][] states, Dataset data, Device? device)
    {
        using var scope = NewDisposeScope();
        using var m = VectorField.Compile(field, new CompileOptions(ScalarType.Float64, device));
        int n = data.Points[0];
        var u = tensor(states.SelectMany(s => s).ToArray(), [states.Length, 1, n], ScalarType.Float64);
        if (device is not null) u = u.to(device);
        var f = Chunks.Map(m.Grid, u, x => m.Rhs(x).detach()).cpu().contiguous().data<double>().ToArray();
        foreach (var v in f)
            if (!double.IsFinite(v)) throw new ArgumentException($"The model's field is not finite on the states of {data.Path}.");
        return f;
    }
}
