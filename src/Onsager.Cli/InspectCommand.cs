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
        if (a.Positional.Count != 1) throw new UsageException("inspect needs one PATH.");
        int energySamples = a.Int("energy-samples", 8, 0);
        Dataset d;
        try { d = Dataset.Open(a.Positional[0], checkValues: false, cancel); }
        catch (DatasetException e) { stderr.WriteLine($"error: {e.Message}"); return 1; }
        var report = DatasetSummary.Analyse(d, energySamples, cancel, out var error);
        if (error is not null) { stderr.WriteLine($"error: {error}"); return 1; }
        if (a.Flag("json")) stdout.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        else Print(report, stdout);
        return 0;
    }

    private static void Print(JsonObject r, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        string Arr(JsonNode? n) => string.Join(", ", n!.AsArray().Select(x => x!.GetValue<double>().ToString("G6", inv)));
        string equation = r["equation"]?.GetValue<string>() ?? "";
        o.WriteLine(equation.Length > 0 ? $"dataset: {r["name"]} ({equation})" : $"dataset: {r["name"]}");
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
