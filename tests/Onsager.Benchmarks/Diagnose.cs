using System.Diagnostics;
using System.Globalization;

namespace Onsager.Benchmarks;

/// <summary>`-- --dg-members N DT [FIRST]`: the DG scheme laws on random members one by one, with time and solver work
/// per member (how the robustness of the DG solve on extreme-scale members was measured).</summary>
public static class Diagnose
{
    public static void Run(int count, double dt, int first, bool trace = false)
    {
        if (trace) Steppers.DgTrace = line => Console.Error.WriteLine("  " + line);
        TorchSharp.torch.set_num_threads(1);
        var inv = CultureInfo.InvariantCulture;
        var total = Stopwatch.StartNew();
        int bad = 0;
        for (int seed = first; seed < first + count; seed++)
        {
            var model = RandomMembers.Generate(seed);
            Console.Error.WriteLine($"random:{seed}: {model.Describe()}");
            var w = Stopwatch.StartNew();
            var results = SchemeLaws.Check(model, new Stepper.DiscreteGradient(Environment.GetEnvironmentVariable("DG_FREEZE") == "start" ? DgOptions.Laws with { Freeze = Freeze.Start } : DgOptions.Laws), dt, seed);
            var failed = results.Where(r => !r.Passed).ToList();
            if (failed.Count > 0) bad++;
            Console.WriteLine(string.Format(inv, "random:{0,-5} grid {1,-16} fields {2} M {3,-5} W {4,-5} {5,7:F2} s  {6}", seed, model.Grid, model.Fields,
                model.Dissipation is not null, model.Conservation is not null, w.Elapsed.TotalSeconds,
                failed.Count == 0 ? "ok" : string.Join("; ", failed.Select(f => $"{f.Name} unconv {f.Unconverged}: {f.FirstViolation}"))));
        }
        Console.WriteLine(string.Format(inv, "{0} of {1} members with a violation, {2:F1} s", bad, count, total.Elapsed.TotalSeconds));
    }
}
