using static TorchSharp.torch;
using System.Collections.Immutable;

namespace Onsager.Data;

/// <summary>Trajectories of a dataset in a model's layout (trajectory, frame, field, x[, y]), float64, with their times.</summary>
public sealed record ModelTrajectories(double[] Values, ImmutableArray<long> Shape, ImmutableArray<double> Times, ImmutableArray<int> Samples)
{
    public int Count => (int)Shape[0];
    public int Frames => (int)Shape[1];
    public double Dt => Times.Length > 1 ? (Times[^1] - Times[0]) / (Times.Length - 1) : double.NaN;
}

/// <summary>Reads dataset trajectories for a model, refusing data the model cannot be applied to (grid or field mismatch).</summary>
public static class ModelData
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming both sides when the model's grid or field count differs from the data's.</summary>
    public static void CheckCompatible(IVectorField model, Dataset data) => VectorField.CheckCompatible(model, data.Grid, data.Fields, data.Path);

    /// <summary>Trajectories <paramref name="samples"/> (frames [0, frames) or all), transposed from the file layout
    /// (sample, frame, x..., field) to the model's (sample, frame, field, x...).</summary>
    public static ModelTrajectories Load(DatasetReader reader, Model model, IReadOnlyList<int> samples, int? frames = null)
    {
        var d = reader.Dataset;
        CheckCompatible(model, d);
        int count = frames is { } f ? Math.Clamp(f, 1, d.Frames) : d.Frames;
        int fields = d.Fields, sites = model.Grid.Sites;
        var values = new double[(long)samples.Count * count * fields * sites];
        for (int s = 0; s < samples.Count; s++)
        {
            var raw = reader.ReadFrames(samples[s], 0, count);                 // (frame, sites, field)
            for (int t = 0; t < count; t++)
                for (int i = 0; i < sites; i++)
                    for (int c = 0; c < fields; c++)
                        values[(((long)s * count + t) * fields + c) * sites + i] = raw[((long)t * sites + i) * fields + c];
        }
        var shape = new long[] { samples.Count, count, fields }.Concat(model.Grid.Points.Select(p => (long)p)).ToImmutableArray();
        return new ModelTrajectories(values, shape, d.Times.Take(count).ToImmutableArray(), samples.ToImmutableArray());
    }

    /// <summary>
    /// Values read in the file layout (count, frames, sites..., fields), float32, as a tensor in the model's layout
    /// (count, frames, fields, sites...), still float32 (the caller picks dtype and device).
    /// </summary>
    public static Tensor ToModelLayout(float[] values, long count, int frames, Dataset d)
    {
        var shape = new long[] { count, frames }.Concat(d.Points.Select(x => (long)x)).Append(d.Fields).ToArray();
        var perm = new long[] { 0, 1, shape.Length - 1 }.Concat(Enumerable.Range(2, shape.Length - 3).Select(i => (long)i)).ToArray();
        return tensor(values, shape, ScalarType.Float32).permute(perm).contiguous();
    }
}
