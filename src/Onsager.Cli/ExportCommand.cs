using System.Globalization;
using System.Text;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager.Cli;

/// <summary>`onsager export --model M --out DIR [--data FILE] [--points P]`: the learned factors as CSV tables and the formula.</summary>
public static class ExportCommand
{
    public const string Usage = """
          export --model <DIR|builtin:NAME> --out DIR [--data FILE] [--points P]
              Write the member's factors as tables: density.csv (field,u,F,dF: the energy density of uniform states,
              gauge F(0) = 0, and F'(0) = 0 where mass is conserved), symbols.csv (k,K_M,K_W,E2,growth: operator
              symbols, the energy's second variation and
              the growth rate -K_M E2 at u = 0), mobility.csv (u,m,b at uniform states) and
              formula.txt (the formula with its numbers). The u grid spans the data's range (+10 %) with --data FILE
              (whose grid must be the model's), else [-2, 2]; P points (default 201).
        """;

    public static int Run(Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var reference = a.Text("model") ?? throw new UsageException("export needs --model <DIR|builtin:NAME>.");
        var outDir = OutputPath.Folder(a.Text("out") ?? throw new UsageException("export needs --out DIR."));
        int points = a.Int("points", 201, 3);
        var model = ModelReference.Resolve(reference);
        double lo = -2, hi = 2;
        if (a.Text("data") is { } path)
        {
            try
            {
                using var reader = DatasetReader.Open(path);
                ModelData.CheckCompatible(model, reader.Dataset);
                (lo, hi) = Range(reader, cancel);
                double pad = 0.1 * Math.Max(hi - lo, 1e-12);
                lo -= pad; hi += pad;
            }
            catch (DatasetException e) { stderr.WriteLine($"error: {e.Message}"); return 1; }
        }
        Directory.CreateDirectory(outDir);
        var files = Export(model, outDir, lo, hi, points);
        stdout.WriteLine($"model: {model.Describe()}");
        stdout.WriteLine($"wrote {string.Join(", ", files.Select(Path.GetFileName))} to {outDir} (u in [{lo.ToString("G4", CultureInfo.InvariantCulture)}, {hi.ToString("G4", CultureInfo.InvariantCulture)}])");
        return 0;
    }

    /// <summary>Writes the four files and returns their paths.</summary>
    public static IReadOnlyList<string> Export(Model model, string dir, double lo, double hi, int points)
    {
        var inv = CultureInfo.InvariantCulture;
        string N(double x) => x.ToString("R", inv);
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(model);
        var written = new List<string>();
        void Write(string name, string text) { var p = Path.Combine(dir, name); File.WriteAllText(p, text); written.Add(p); }

        var density = new StringBuilder("field,u,F,dF\n");
        for (int f = 0; f < model.Fields; f++)
        {
            var c = Diagnose.Density(m, lo, hi, points, f);
            for (int i = 0; i < c.U.Length; i++) density.Append($"{f},{N(c.U[i])},{N(c.F[i])},{N(c.DF[i])}\n");
        }
        Write("density.csv", density.ToString());

        var s = Diagnose.Spectrum(m);
        var symbols = new StringBuilder("k,K_M,K_W,E2,growth\n");
        for (int j = 0; j < s.Wavenumbers.Length; j++)
            symbols.Append($"{N(s.Wavenumbers[j])},{N(s.M[j])},{N(s.W[j])},{N(s.EnergySymbol[j])},{N(s.Rate[j])}\n");
        Write("symbols.csv", symbols.ToString());

        var mob = Diagnose.Mobility(m, lo, hi, Math.Min(points, 101));
        var mobility = new StringBuilder("u,m,b\n");
        for (int i = 0; i < mob.U.Length; i++) mobility.Append($"{N(mob.U[i])},{N(mob.M[i])},{N(mob.B[i])}\n");
        Write("mobility.csv", mobility.ToString());

        var formula = new StringBuilder();
        formula.AppendLine(model.Describe());
        formula.AppendLine($"grid: {model.Grid}, fields: {model.Fields}");
        formula.AppendLine($"conserves mass: {Structure.ConservesMass(model)}, dissipative: {model.Dissipation is not null}");
        string representative;
        try { representative = Gauge.Representative(model).Describe(); }
        catch (ArgumentException e) { representative = $"n/a ({e.Message})"; }              // e.g. a value made with `with` (theory.md 2.1)
        formula.AppendLine($"gauge representative (first anchor coefficient 1, E(0) = 0): {representative}");
        formula.AppendLine(mob.DivergenceForm
            ? "mobility.csv: m = K_M(k1; u) / |D+(k1)|^2 (divergence form), b = K_W(k1; u) / D1(k1), k1 = 2 pi / L"
            : "mobility.csv: m = K_M(k1; u), b = K_W(k1; u) / D1(k1), k1 = 2 pi / L");
        Write("formula.txt", formula.ToString());
        return written;
    }

    private static (double Lo, double Hi) Range(DatasetReader reader, CancellationToken cancel)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (long s = 0; s < reader.Dataset.Samples; s++)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var v in reader.ReadTrajectory(s)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        }
        return (lo, hi);
    }
}
