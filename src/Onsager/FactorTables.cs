using System.Globalization;
using System.Text;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>The range of uniform states the tables span and how many points they hold.</summary>
public sealed record FactorTableRange
{
    /// <summary>The lowest state.</summary>
    public double Lo { get; }

    /// <summary>The highest state.</summary>
    public double Hi { get; }

    /// <summary>Points of the density table (the mobility table holds at most 101).</summary>
    public int Points { get; }

    /// <summary>A range lo &lt; hi, both finite, with at least 3 points.</summary>
    public FactorTableRange(double lo, double hi, int points = 201)
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi) || !(lo < hi))
            throw new ArgumentException($"A table range needs finite lo < hi, got [{lo}, {hi}].");
        if (points < 3) throw new ArgumentException($"A table needs at least 3 points, got {points}.");
        (Lo, Hi, Points) = (lo, hi, points);
    }

    /// <summary>[-2, 2]: the default without data.</summary>
    public static FactorTableRange Default { get; } = new(-2, 2);

    /// <summary>The range of the values in <paramref name="dataPath"/> widened by 10 % (whose grid and fields must be the model's).</summary>
    public static FactorTableRange OfData(IVectorField model, string dataPath, int points = 201, CancellationToken cancel = default)
    {
        using var reader = DatasetReader.Open(dataPath);
        ModelData.CheckCompatible(model, reader.Dataset);
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (long s = 0; s < reader.Dataset.Samples; s++)
        {
            cancel.ThrowIfCancellationRequested();
            foreach (var v in reader.ReadTrajectory(s)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        }
        double pad = 0.1 * Math.Max(hi - lo, 1e-12);
        return new FactorTableRange(lo - pad, hi + pad, points);
    }
}

/// <summary>
/// A member's learned factors as tables a user can plot or compare: density.csv (the energy density of uniform states),
/// symbols.csv (the operator symbols and growth rates at u = 0), mobility.csv (m and b at uniform states) and
/// formula.txt (the formula, its promises and its gauge representative, docs/theory.md 2.1).
/// </summary>
public static class FactorTables
{
    /// <summary>Writes the four files into <paramref name="dir"/> (created if missing; each file written atomically) and returns their paths.</summary>
    public static IReadOnlyList<string> Write(Model model, string dir, FactorTableRange range)
    {
        var inv = CultureInfo.InvariantCulture;
        string N(double x) => x.ToString("R", inv);
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(model);
        var written = new List<string>();
        void Save(string name, string text) { var p = Path.Combine(dir, name); Atomic.WriteText(p, text); written.Add(p); }
        double lo = range.Lo, hi = range.Hi;

        var density = new StringBuilder("field,u,F,dF\n");
        for (int f = 0; f < model.Fields; f++)
        {
            var c = Diagnose.Density(m, lo, hi, range.Points, f);
            for (int i = 0; i < c.U.Length; i++) density.Append($"{f},{N(c.U[i])},{N(c.F[i])},{N(c.DF[i])}\n");
        }
        Save("density.csv", density.ToString());

        var s = Diagnose.Spectrum(m);
        var symbols = new StringBuilder("k,K_M,K_W,E2,growth\n");
        for (int j = 0; j < s.Wavenumbers.Length; j++)
            symbols.Append($"{N(s.Wavenumbers[j])},{N(s.M[j])},{N(s.W[j])},{N(s.EnergySymbol[j])},{N(s.Rate[j])}\n");
        Save("symbols.csv", symbols.ToString());

        var mob = Diagnose.Mobility(m, lo, hi, Math.Min(range.Points, 101));
        var mobility = new StringBuilder("u,m,b\n");
        for (int i = 0; i < mob.U.Length; i++) mobility.Append($"{N(mob.U[i])},{N(mob.M[i])},{N(mob.B[i])}\n");
        Save("mobility.csv", mobility.ToString());

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
        Save("formula.txt", formula.ToString());
        return written;
    }
}
