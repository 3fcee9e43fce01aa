using System.Globalization;

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
        var range = a.Text("data") is { } path ? FactorTableRange.OfData(model, path, points, cancel) : new FactorTableRange(-2, 2, points);
        var files = FactorTables.Write(model, outDir, range);
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"model: {model.Describe()}");
        stdout.WriteLine($"wrote {string.Join(", ", files.Select(Path.GetFileName))} to {outDir} (u in [{range.Lo.ToString("G4", inv)}, {range.Hi.ToString("G4", inv)}])");
        return 0;
    }
}
