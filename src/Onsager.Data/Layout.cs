using static TorchSharp.torch;

namespace Onsager.Data;

/// <summary>
/// The two layouts of states and the one transpose between them: files hold (sample, frame, sites..., field), float32 (the
/// reference's u_sol_all); models take (sample, frame, field, sites...). Every reader and writer of trajectories goes
/// through here, and so does the one rule for whether a file's grid is a model's (<see cref="VectorField.SameGrid"/>).
/// </summary>
public static class Layout
{
    /// <summary><paramref name="states"/> states of <paramref name="sites"/> sites and <paramref name="fields"/> fields, from the
    /// file layout (state, site, field) to the model layout (state, field, site), as float64.</summary>
    public static double[] ToModel(ReadOnlySpan<float> file, long states, int sites, int fields)
    {
        var model = new double[states * sites * fields];
        for (long s = 0; s < states; s++)
            for (int i = 0; i < sites; i++)
                for (int c = 0; c < fields; c++)
                    model[(s * fields + c) * sites + i] = file[(int)((s * sites + i) * fields + c)];
        return model;
    }

    /// <summary>The inverse of <see cref="ToModel"/>: model layout (state, field, site) float64 to file layout (state, site, field) float32.</summary>
    public static float[] ToFile(ReadOnlySpan<double> model, long states, int sites, int fields)
    {
        var file = new float[states * sites * fields];
        for (long s = 0; s < states; s++)
            for (int c = 0; c < fields; c++)
                for (int i = 0; i < sites; i++)
                    file[(s * sites + i) * fields + c] = (float)model[(int)((s * fields + c) * sites + i)];
        return file;
    }

    /// <summary>Values read in the file layout (count, frames, sites..., fields), float32, as a tensor in the model's layout
    /// (count, frames, fields, sites...), still float32 (the caller picks dtype and device).</summary>
    public static Tensor ToModelTensor(float[] values, long count, int frames, Dataset d)
    {
        var shape = new long[] { count, frames }.Concat(d.Points.Select(x => (long)x)).Append(d.Fields).ToArray();
        var perm = new long[] { 0, 1, shape.Length - 1 }.Concat(Enumerable.Range(2, shape.Length - 3).Select(i => (long)i)).ToArray();
        return tensor(values, shape, ScalarType.Float32).permute(perm).contiguous();
    }

    /// <summary>Throws a <see cref="DatasetException"/> naming the file when its grid or field count is not the model's
    /// (the rule of <see cref="VectorField.SameGrid"/>).</summary>
    public static void CheckGrid(Dataset d, IVectorField model)
    {
        if (d.Fields != model.Fields) throw new DatasetException(d.Path, $"has {d.Fields} field(s), the model {model.Fields}");
        if (!VectorField.SameGrid(d.Grid, model.Grid)) throw new DatasetException(d.Path, $"grid {d.Grid} does not match the model's grid {model.Grid}");
    }
}
