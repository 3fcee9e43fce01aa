using System.Diagnostics;
using System.Globalization;

namespace Onsager.Benchmarks;

/// <summary>`-- --dg-members N DT [FIRST] [--known] [--trace | --marches]`: the DG scheme laws on members one by one (random members
/// FIRST..FIRST+N-1, and with --known the known-truth members first), with time and the failed laws per member: how the
/// robustness of the DG solve on extreme-scale members was measured. --trace prints one line per nonlinear solve, --marches one per composed step (substeps, iterations).</summary>
public static class Diagnose
{
    public static void Run(int count, double dt, int first, bool known, bool trace, bool marches = false)
    {
        Action<string>? tracer = trace ? line => Console.Error.WriteLine("  " + line)
                               : marches ? line => { if (line.StartsWith("march", StringComparison.Ordinal)) Console.WriteLine("  " + line); }
                               : null;
        TorchSharp.torch.set_num_threads(1);
        var inv = CultureInfo.InvariantCulture;
        var total = Stopwatch.StartNew();
        int bad = 0, index = 0;
        var members = Verification.Members(new VerificationOptions(RandomMembers: count, Seed: first, KnownMembers: known)).ToList();
        int knownCount = Verification.Members(new VerificationOptions(RandomMembers: 0)).Count();
        foreach (var (name, build) in members)
        {
            var model = build();
            Console.Error.WriteLine($"{name}: {model.Describe()}");
            var w = Stopwatch.StartNew();
            // the same seed as `onsager verify --random N` gives this member: LawOptions.Default.Seed + its index in verify's list
            // (the known-truth members first, then random:0, random:1, ...)
            int position = name.StartsWith("random:", StringComparison.Ordinal) ? knownCount + int.Parse(name["random:".Length..], inv) : index;
            index++;
            var results = SchemeLaws.Check(model, new Stepper.DiscreteGradient(DgOptions.Laws with { Trace = tracer }), dt, LawOptions.Default.Seed + position);
            var failed = results.Where(r => !r.Passed).ToList();
            if (failed.Count > 0) bad++;
            Console.WriteLine(string.Format(inv, "{0,-34} grid {1,-16} fields {2} M {3,-5} W {4,-5} {5,7:F2} s  {6}", name, model.Grid, model.Fields,
                model.Dissipation is not null, model.Conservation is not null, w.Elapsed.TotalSeconds,
                failed.Count == 0 ? "ok" : string.Join("; ", failed.Select(f => $"{f.Name} unconv {f.Unconverged}: {f.FirstViolation}"))));
        }
        Console.WriteLine(string.Format(inv, "{0} of {1} members with a violation, {2:F1} s", bad, members.Count, total.Elapsed.TotalSeconds));
    }
}
