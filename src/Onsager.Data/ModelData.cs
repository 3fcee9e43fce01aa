using static TorchSharp.torch;
using System.Collections.Immutable;

namespace Onsager.Data;

/// <summary>Trajectories of a dataset in a model's layout (trajectory, frame, field, x[, y]), float64, with their times.</summary>
public sealed record ModelTrajectories(double[] Values, ImmutableArray<long> Shape, ImmutableArray<double> Times, ImmutableArray<int> Samples)
{
    /// <summary>The number of trajectories.</summary>
    public int Count => (int)Shape[0];
    /// <summary>The number of frames per trajectory.</summary>
    public int Frames => (int)Shape[1];
    /// <summary>The time between frames.</summary>
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
        long perSample = (long)count * fields * sites;
        var values = new double[samples.Count * perSample];
        for (int s = 0; s < samples.Count; s++)
            Layout.ToModel(reader.ReadFrames(samples[s], 0, count), count, sites, fields).CopyTo(values, s * perSample);
        var shape = new long[] { samples.Count, count, fields }.Concat(model.Grid.Points.Select(p => (long)p)).ToImmutableArray();
        return new ModelTrajectories(values, shape, d.Times.Take(count).ToImmutableArray(), samples.ToImmutableArray());
    }

    /// <summary>Values read in the file layout as a float32 tensor in the model's layout (<see cref="Layout.ToModelTensor"/>).</summary>
    public static Tensor ToModelLayout(float[] values, long count, int frames, Dataset d) => Layout.ToModelTensor(values, count, frames, d);
}
