using System.Globalization;

namespace Onsager.Algebra;

/// <summary>How members of the class print: as their formula.</summary>
public static class Formula
{
    private static string N(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
    private static string P(Param p) => p.ToString();
    private static string Fld(int field, int fields) => fields > 1 ? $"_{field}" : "";
    internal static string U(int field) => field == 0 ? "u" : $"u{field}";

    internal static string Poly(ParamArray c, string v)
    {
        var parts = c.Values.Select((x, j) => (x, j)).Where(t => t.x != 0)
            .Select(t => t.j == 0 ? N(t.x) : t.j == 1 ? $"{N(t.x)} {v}" : $"{N(t.x)} {v}^{t.j}").ToList();
        return parts.Count == 0 ? "0" : string.Join(" + ", parts).Replace("+ -", "- ");
    }

    /// <summary>The model's equation, as text.</summary>
    public static string Of(Model m)
    {
        var ops = new List<string>();
        if (m.Dissipation is not null) ops.Add(Of(m.Dissipation));
        if (m.Conservation is not null) ops.Add(Of(m.Conservation));
        string k = ops.Count == 0 ? "0" : string.Join(" + ", ops);
        string lhs = m.Fields == 1 ? "du/dt" : $"d(u0..u{m.Fields - 1})/dt";
        return $"{lhs} = -({k}) dE,  E = {Of(m.Energy)}";
    }

    /// <summary>The energy's formula, as text.</summary>
    public static string Of(Energy e)
    {
        var parts = e.Anchors.Select(Of).Concat(e.Terms.Select(Of)).ToList();
        string body = "integral " + string.Join(" + ", parts);
        if (e.Factor != 1) body = $"{N(e.Factor)} ({body})";
        for (int f = 0; f < e.Shift.Length; f++)
            if (e.Shift[f] != 0) body += $" + {N(e.Shift[f])} integral {U(f)}";
        if (e.Offset != 0) body += $" + {N(e.Offset)}";
        return body;
    }

    /// <summary>The anchor's formula (each anchor formats itself).</summary>
    public static string Of(Anchor a) => a.FormulaText;

    /// <summary>The energy term's formula (each term formats itself).</summary>
    public static string Of(EnergyTerm t) => t.FormulaText;

    /// <summary>A dissipation's formula (each primitive formats itself).</summary>
    public static string Of(Dissipation d) => d.FormulaText;

    /// <summary>A conservation's formula (each primitive formats itself).</summary>
    public static string Of(Conservation w) => w.FormulaText;

    /// <summary>The linear operator's formula, as text.</summary>
    public static string Of(Linear l) => l switch
    {
        Linear.Difference d => d.Kind switch { DifferenceKind.Forward => "D+", DifferenceKind.Central => "D1", DifferenceKind.Third => "D3", _ => "d" } + (d.Axis == 0 ? "x" : "y"),
        Linear.Select s => $"P{s.Field}",
        Linear.Compose c => $"{Of(c.Outer)} {Of(c.Inner)}",
        _ => throw new InvalidOperationException()
    };

    /// <summary>The scalar's formula in the variable v, as text.</summary>
    public static string Of(Scalar s, string v) => s switch
    {
        Scalar.Constant c => P(c.C),
        Scalar.Polynomial p => Poly(p.Coefficients, v),
        Scalar.Net => $"b_net({v})",
        _ => throw new InvalidOperationException()
    };

    /// <summary>The nonnegative scalar's formula in the variable v, as text.</summary>
    public static string Of(NonNegative s, string v) => s switch
    {
        NonNegative.Constant c => P(c.C),
        NonNegative.Softplus p => $"softplus({Of(p.Inner, v)})",
        NonNegative.Square p => $"({Of(p.Inner, v)})^2",
        NonNegative.AtLeast a => $"max({Of(a.Inner, v)}, {N(a.Floor)})",
        NonNegative.Net => $"m({v})",
        _ => throw new InvalidOperationException()
    };
}
