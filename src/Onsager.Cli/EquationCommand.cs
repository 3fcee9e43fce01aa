using System.Globalization;
using System.Text.Json;
using Onsager.Data;

namespace Onsager.Cli;

/// <summary>`onsager equation --model DIR|builtin:NAME --data FILE [--json] [--terms LIST] [--threshold T] [--states S]`.</summary>
public static class EquationCommand
{
    public const string Usage = """
          equation --model DIR|builtin:NAME --data FILE [--json] [--terms LIST] [--threshold T] [--states S]
              Read a member (or a baseline) back as an equation: its field f(u) on up to S states of the data
              (default 256, evenly spaced) projected by sequentially thresholded least squares onto a library of
              terms (spectral derivatives of the same states): u, u^2, u^3, u_x, u_xx, u_xxx, u_xxxx, u*u_x,
              u^2*u_x, u*u_xx, u_x^2, u^2*u_xx (--terms picks some, comma-separated). Terms contributing less than
              T of the field's norm are dropped (default 0.01). Prints u_t = c1 term1 + ... with the unexplained
              share of the field and, for data with a known truth, the truth's coefficients on the same states.
              Gauge-free: it does not depend on how M, W and E factor the field. 1D, one field.
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var reference = a.Text("model") ?? throw new UsageException("equation needs --model DIR or builtin:NAME.");
        var dataPath = a.Text("data") ?? throw new UsageException("equation needs --data FILE.");
        EquationOptions options;
        try
        {
            options = new EquationOptions
            {
                Terms = TermLibrary.Parse(a.Text("terms")), Threshold = a.Double("threshold", SparseRegression.DefaultThreshold),
                MaxStates = a.Int("states", 256, 1),
            };
        }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        TorchSharp.torch.set_num_threads(1);
        using var reader = DatasetReader.Open(dataPath, checkValues: true);
        var file = ModelReference.ResolveFile(reference, reader.Dataset.Grid, spectral: true);
        file.CheckCompatible(reader.Dataset.Grid, reader.Dataset.Fields, reference);
        var r = Equations.Read(file.Field, reader, options, $"{file.Metadata.Kind} ({reference})", cancel);
        if (a.Flag("json")) stdout.WriteLine(r.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else Print(r, stdout);
        return 0;
    }

    public static void Print(EquationReadout r, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine($"equation of {r.Model} on {r.Dataset} ({r.States} states, terms below {r.Threshold:P0} of the field dropped):");
        w.WriteLine();
        w.WriteLine("  " + r.Learned.Format(4));
        w.WriteLine(string.Format(inv, "  unexplained: {0:P2} of the field", r.Learned.Unexplained));
        if (r.Truth is { } truth)
        {
            w.WriteLine();
            w.WriteLine($"truth ({r.TruthMember}), the same projection of the true equation:");
            w.WriteLine("  " + truth.Format(4));
            w.WriteLine(string.Format(inv, "  unexplained: {0:P2} of the field", truth.Unexplained));
            w.WriteLine();
            var names = TermLibrary.Names.Where(n => r.Learned.Terms.Any(t => t.Name == n) || truth.Terms.Any(t => t.Name == n)).ToList();
            w.WriteLine($"{"term",-12}{"learned",14}{"truth",14}{"relative error",16}");
            foreach (var n in names)
            {
                double l = r.Learned.Coefficient(n), t = truth.Coefficient(n);
                string err = t != 0 ? string.Format(inv, "{0:P2}", Math.Abs(l - t) / Math.Abs(t)) : "(not in truth)";
                w.WriteLine(string.Format(inv, "{0,-12}{1,14:G5}{2,14:G5}{3,16}", n, l, t, err));
            }
        }
        w.WriteLine(string.Format(inv, "time: {0:F1} s", r.Elapsed.TotalSeconds));
    }
}
