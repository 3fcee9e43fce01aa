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
            .Select(t => t.j == 0 ? N(t.x) : Times(t.x, Power(v, t.j))).ToList();
        return parts.Count == 0 ? "0" : Sum(parts);
    }

    // The printer writes what a paper would: no coefficient 1 ("u^2", not "1 u^2"), -1 as a minus sign ("-u^2"), no
    // exponent 1 ("/h", not "/h^1") and "a - b", not "a + -b". Learned numbers keep their value and mark ("1* u^4").

    /// <summary><paramref name="body"/> times a number: the number omitted when it prints as 1, a minus sign when it prints as -1.</summary>
    internal static string Times(double c, string body) => Times(N(c), body);

    /// <summary><paramref name="body"/> times a parameter: a fixed 1 omitted, a fixed -1 a minus sign; a learned one always shown.</summary>
    internal static string Times(Param c, string body) => Times(Number(c), body);

    private static string Times(string number, string body) => number switch
    {
        "1" => body,
        "-1" => "-" + body,
        _ => $"{number} {body}",
    };

    /// <summary>A parameter as printed: a fixed one as its value, a learned one with its mark.</summary>
    private static string Number(Param p) => p is Param.Fixed ? N(p.Value) : P(p);

    /// <summary><paramref name="v"/> to the power <paramref name="j"/> (no exponent 1).</summary>
    internal static string Power(string v, int j) => j == 1 ? v : $"{v}^{j}";

    /// <summary>Terms joined by " + ", a negative term as " - " (the sign belongs to the term's first number).</summary>
    internal static string Sum(IEnumerable<string> terms) => string.Join(" + ", terms).Replace("+ -", "- ");

    /// <summary>The square of a parameter: a fixed 1 is 1, a negative value in parentheses.</summary>
    internal static string Squared(Param p) => Number(p) switch
    {
        "1" or "-1" => "1",
        var t when t.StartsWith('-') => $"({t})^2",
        var t => $"{t}^2",
    };

    /// <summary>The model's equation, as text.</summary>
    public static string Of(Model m)
    {
        var ops = new List<string>();
        if (m.Dissipation is not null) ops.Add(Of(m.Dissipation));
        if (m.Conservation is not null) ops.Add(Of(m.Conservation));
        string k = ops.Count == 0 ? "0" : Sum(ops);
        string lhs = m.Fields == 1 ? "du/dt" : $"d(u0..u{m.Fields - 1})/dt";
        return $"{lhs} = -({k}) dE,  E = {Of(m.Energy)}";
    }

    /// <summary>The energy's formula, as text.</summary>
    public static string Of(Energy e)
    {
        var parts = e.Anchors.Select(Of).Concat(e.Terms.Select(Of)).ToList();
        string body = "integral " + Sum(parts);
        if (e.Factor != 1) body = Times(e.Factor, $"({body})");
        var tail = new List<string> { body };
        for (int f = 0; f < e.Shift.Length; f++)
            if (e.Shift[f] != 0) tail.Add(Times(e.Shift[f], $"integral {U(f)}"));
        if (e.Offset != 0) tail.Add(N(e.Offset));
        return Sum(tail);
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
