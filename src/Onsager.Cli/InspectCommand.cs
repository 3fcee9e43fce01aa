using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager inspect FILE [--json]`: shape, dt, grid, value range, per-frame mass, energy drift of known-truth sets.</summary>
public static class InspectCommand
{
    public const string Usage = """
          inspect PATH [--json] [--energy-samples K]
              Validate and describe a dataset (HDF5 file, folder of shards, or .npz): shape, dt, grid, fields, value
              range, mass per frame (mean over trajectories of the integral of each field), and for known-truth sets
              (pde_info/known_member) the energy of that member along the first K trajectories (default 8).
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        a.Only("json", "energy-samples");
        if (a.Positional.Count != 1) throw new UsageException("inspect needs one PATH.");
        int energySamples = a.Int("energy-samples", 8, 0);
        Dataset d;
        try { d = Dataset.Open(a.Positional[0], checkValues: false, cancel); }
        catch (DatasetException e) { stderr.WriteLine($"error: {e.Message}"); return 1; }
        var report = Analyse(d, energySamples, cancel, out var error);
        if (error is not null) { stderr.WriteLine($"error: {error}"); return 1; }
        if (a.Flag("json")) stdout.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        else Print(report, stdout);
        return 0;
    }

    private static JsonObject Analyse(Dataset d, int energySamples, CancellationToken cancel, out string? error)
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
                    var m = new double[fields];
                    for (long i = 0; i < frameSize; i++)
                    {
                        int c = (int)(i % fields);
                        double v = u[f * frameSize + i];
                        m[c] += v;
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
            var u = reader.ReadTrajectory(s);
            // (frames, sites, fields) -> (frames, fields, sites)
            var values = new double[u.Length];
            for (int f = 0; f < frames; f++)
                for (int i = 0; i < sites; i++)
                    for (int c = 0; c < fields; c++)
                        values[(f * fields + c) * sites + i] = u[(f * sites + i) * fields + c];
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

    private static void Print(JsonObject r, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        string Arr(JsonNode? n) => string.Join(", ", n!.AsArray().Select(x => x!.GetValue<double>().ToString("G6", inv)));
        o.WriteLine($"dataset: {r["name"]} ({r["equation"]})");
        o.WriteLine($"path: {r["path"]} ({r["format"]}, {r["files"]} file(s))");
        o.WriteLine($"shape: ({string.Join(", ", r["shape"]!.AsArray().Select(x => x!.GetValue<long>()))}) = (samples, frames, grid..., fields)");
        o.WriteLine(string.Format(inv, "dt: {0:G6}", r["dt"]!.GetValue<double>()));
        o.WriteLine($"grid: {r["grid"]}");
        o.WriteLine($"fields: {string.Join(", ", r["fields"]!.AsArray().Select(x => x!.GetValue<string>()))}");
        o.WriteLine($"range: min [{Arr(r["min"])}], max [{Arr(r["max"])}]");
        var mass = r["mass"]!.AsArray();
        for (int c = 0; c < mass.Count; c++)
        {
            var m = mass[c]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
            o.WriteLine(string.Format(inv, "mass (field {0}, mean over trajectories): frame 0 {1:G6}, frame {2} {3:G6}, frame {4} {5:G6}; max |mass(t) - mass(0)| of a trajectory {6:G3}",
                c, m[0], m.Length / 2, m[m.Length / 2], m.Length - 1, m[^1], r["maxMassDrift"]![c]!.GetValue<double>()));
        }
        if (r["energy"] is JsonObject e)
        {
            if (e["error"] is not null) o.WriteLine($"energy ({e["member"]}): {e["error"]}");
            else o.WriteLine(string.Format(inv, "energy ({0}, first {1} trajectories): E(0) {2:G6}, E(T) {3:G6}, relative change {4:G3}, max |drift| {5:G3}, rises in {6} of {7} frame steps (worst {8:G3})",
                e["member"], e["samples"], e["first"]!.GetValue<double>(), e["last"]!.GetValue<double>(), e["relativeChange"]!.GetValue<double>(),
                e["maxRelativeDrift"]!.GetValue<double>(), e["rises"], e["steps"], e["worstRelativeRise"]!.GetValue<double>()));
        }
        else o.WriteLine("energy: no known-truth member for this dataset");
        var info = r["pde_info"]!.AsObject();
        if (info.Count > 0)
            o.WriteLine("pde_info: " + string.Join(", ", info.Select(kv => $"{kv.Key}={kv.Value!.GetValue<double>().ToString("G6", inv)}")));
    }
}
