using System.Text.Json.Nodes;
using Onsager.Data;

namespace Onsager;

/// <summary>What `inspect` reports of a dataset, as JSON: validated values, ranges, mass per frame, known-truth energy.</summary>
public static class DatasetSummary
{
    /// <summary>Shape, dt, grid, fields, value range, mass per frame and (for known-truth sets) the energy of the member along
    /// the first <paramref name="energySamples"/> trajectories, as the JSON of `inspect --json`; a bad value is <paramref name="error"/>.</summary>
    public static JsonObject Analyse(Dataset d, int energySamples, CancellationToken cancel, out string? error)
    {
        error = null;
        int fields = d.Fields, frames = d.Frames;
        long frameSize = d.FrameSize;
        var min = Enumerable.Repeat(double.PositiveInfinity, fields).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, fields).ToArray();
        var mass = new double[frames, fields];
        var maxMassDrift = new double[fields];
        double cell = d.Grid.CellVolume;
        using var reader = new DatasetReader(d);
        try
        {
            reader.CheckFinite(cancel);
            for (long s = 0; s < d.Samples; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var u = reader.ReadTrajectory(s);
                var m0 = new double[fields];
                for (int f = 0; f < frames; f++)
                {
                    var m = DataMass.FieldSums(u, f, frameSize, fields);
                    for (long i = 0; i < frameSize; i++)
                    {
                        int c = (int)(i % fields);
                        double v = u[f * frameSize + i];
                        if (v < min[c]) min[c] = v;
                        if (v > max[c]) max[c] = v;
                    }
                    for (int c = 0; c < fields; c++)
                    {
                        m[c] *= cell;
                        mass[f, c] += m[c] / d.Samples;
                        if (f == 0) m0[c] = m[c];
                        maxMassDrift[c] = Math.Max(maxMassDrift[c], Math.Abs(m[c] - m0[c]));
                    }
                }
            }
        }
        catch (DatasetException e) { error = e.Message; return []; }
        var names = d.FieldNames;
        var json = new JsonObject
        {
            ["path"] = d.Path,
            ["format"] = d.Format.ToString(),
            ["files"] = d.Shards.Length,
            ["name"] = d.Name,
            ["equation"] = d.Notes.GetValueOrDefault("equation", ""),
            ["shape"] = new JsonArray(d.Shape.Select(x => (JsonNode)x).ToArray()),
            ["dt"] = d.Dt,
            ["grid"] = d.GridText,
            ["lengths"] = new JsonArray(d.Lengths.Select(x => (JsonNode)x).ToArray()),
            ["origins"] = new JsonArray(d.Origins.Select(x => (JsonNode)x).ToArray()),
            ["fields"] = new JsonArray(names.Select(x => (JsonNode)x).ToArray()),
            ["min"] = new JsonArray(min.Select(x => (JsonNode)x).ToArray()),
            ["max"] = new JsonArray(max.Select(x => (JsonNode)x).ToArray()),
            ["mass"] = new JsonArray(Enumerable.Range(0, fields).Select(c => (JsonNode)new JsonArray(Enumerable.Range(0, frames).Select(f => (JsonNode)mass[f, c]).ToArray())).ToArray()),
            ["maxMassDrift"] = new JsonArray(maxMassDrift.Select(x => (JsonNode)x).ToArray()),
            ["pde_info"] = new JsonObject(d.Scalars.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        if (d.KnownMember is string member && energySamples > 0)
            json["energy"] = Energy(d, reader, member, (int)Math.Min(energySamples, d.Samples));
        return json;
    }

    /// <summary>The known member's energy along the first trajectories: mean per frame, relative drift, frames where it rose.</summary>
    private static JsonObject Energy(Dataset d, DatasetReader reader, string member, int samples)
    {
        var model = KnownMembers.Get(member, d.Grid);
        if (model.Fields != d.Fields) return new JsonObject { ["member"] = member, ["error"] = $"member has {model.Fields} fields, data {d.Fields}" };
        using var compiled = Dynamics.Compile(model);
        int frames = d.Frames, sites = d.Grid.Sites, fields = d.Fields;
        var mean = new double[frames];
        int rises = 0;
        double worstRelDrift = 0, worstRise = 0;
        for (int s = 0; s < samples; s++)
        {
            var values = Layout.ToModel(reader.ReadTrajectory(s), frames, sites, fields);
            using var state = Dynamics.State(model, values, frames);
            using var e = Dynamics.Energy(compiled, state);
            var energy = e.data<double>().ToArray();
            for (int f = 0; f < frames; f++) mean[f] += energy[f] / samples;
            for (int f = 1; f < frames; f++)
                if (energy[f] > energy[f - 1]) { rises++; worstRise = Math.Max(worstRise, (energy[f] - energy[f - 1]) / Math.Abs(energy[0])); }
            worstRelDrift = Math.Max(worstRelDrift, Math.Abs(energy[^1] - energy[0]) / Math.Abs(energy[0]));
        }
        return new JsonObject
        {
            ["member"] = member,
            ["samples"] = samples,
            ["first"] = mean[0],
            ["last"] = mean[^1],
            ["relativeChange"] = (mean[^1] - mean[0]) / Math.Abs(mean[0]),
            ["maxRelativeDrift"] = worstRelDrift,
            ["rises"] = rises,
            ["steps"] = samples * (frames - 1),
            ["worstRelativeRise"] = worstRise,
            ["mean"] = new JsonArray(mean.Select(x => (JsonNode)x).ToArray()),
        };
    }
}
