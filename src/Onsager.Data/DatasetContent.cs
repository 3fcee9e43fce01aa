using System.Collections.Immutable;

namespace Onsager.Data;

/// <summary>
/// Everything one dataset file holds, in the reference layout: u_sol_all (samples, frames, N[, Ny], fields) float32,
/// t_coord (frames), x_coord (N) [y_coord], coef/u_ic/NAME (samples, len), pde_info/NAME (scalars and texts).
/// </summary>
public sealed record DatasetContent(
    float[] Values,
    ImmutableArray<long> Shape,
    double[] Times,
    ImmutableArray<double[]> Coordinates,
    ImmutableSortedDictionary<string, double[,]> Coefficients,
    ImmutableSortedDictionary<string, double> Scalars,
    ImmutableSortedDictionary<string, string> Notes)
{
    /// <summary>The number of trajectories.</summary>
    public int Samples => (int)Shape[0];
    /// <summary>The number of frames per trajectory.</summary>
    public int Frames => (int)Shape[1];
    /// <summary>The number of fields.</summary>
    public int Fields => (int)Shape[^1];
    /// <summary>The number of values per trajectory.</summary>
    public long SampleSize => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>Extra float64 arrays beside the reference layout (simulate's energy, dissipation rate and mass traces),
    /// written as diagnostics/NAME; readers of the reference layout ignore them.</summary>
    public ImmutableSortedDictionary<string, NpyArray> Diagnostics { get; init; } = ImmutableSortedDictionary<string, NpyArray>.Empty;

    /// <summary>The content of a generated block of a recipe.</summary>
    public static DatasetContent From(GeneratedBlock block)
    {
        var r = block.Recipe;
        var shape = new List<long> { block.Count, r.Frames };
        shape.AddRange(r.Grid.Points.Select(p => (long)p));
        shape.Add(r.Fields);
        var times = Enumerable.Range(0, r.Frames).Select(f => f * r.Dt).ToArray();
        var coords = Enumerable.Range(0, r.Grid.Dimensions).Select(a => r.Grid.Coordinates(a).Select(x => r.Origin + x).ToArray()).ToImmutableArray();
        var coefs = r.Coefficients.Select((c, i) => (c.Name, block.Coefficients[i]))
            .ToImmutableSortedDictionary(x => x.Name, x => x.Item2, StringComparer.Ordinal);
        var notes = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
        {
            ["name"] = r.Key,
            ["equation"] = r.Equation,
            ["fields"] = string.Join(",", r.FieldNames),
            ["known_member"] = r.KnownMember ?? "",
            ["generator"] = $"Onsager.Data {r.GetType().Name}",
        });
        var scalars = r.Scalars.SetItem("seed", block.Seed).SetItem("first_sample", block.Start).SetItem("frames", r.Frames);
        if (r.MeasurementNoise > 0) scalars = scalars.SetItem("noise", r.MeasurementNoise);
        return new DatasetContent(block.Values, [.. shape], times, coords, coefs, scalars, notes);
    }
}
