using System.Globalization;

namespace Onsager;

/// <summary>How members of the class print: as their formula.</summary>
public static class Formula
{
    private static string N(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
    private static string P(Param p) => p.ToString();
    private static string Fld(int field, int fields) => fields > 1 ? $"_{field}" : "";
    private static string U(int field) => field == 0 ? "u" : $"u{field}";

    private static string Poly(ParamArray c, string v)
    {
        var parts = c.Values.Select((x, j) => (x, j)).Where(t => t.x != 0)
            .Select(t => t.j == 0 ? N(t.x) : t.j == 1 ? $"{N(t.x)} {v}" : $"{N(t.x)} {v}^{t.j}").ToList();
        return parts.Count == 0 ? "0" : string.Join(" + ", parts).Replace("+ -", "- ");
    }

    public static string Of(Model m)
    {
        var ops = new List<string>();
        if (m.Dissipation is not null) ops.Add(Of(m.Dissipation));
        if (m.Conservation is not null) ops.Add(Of(m.Conservation));
        string k = ops.Count == 0 ? "0" : string.Join(" + ", ops);
        string lhs = m.Fields == 1 ? "du/dt" : $"d(u0..u{m.Fields - 1})/dt";
        return $"{lhs} = -({k}) dE,  E = {Of(m.Energy)}";
    }

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

    public static string Of(Anchor a) => a switch
    {
        Anchor.Quadratic q => $"{P(q.A)}/2 {U(q.Field)}^2",
        Anchor.Quartic q => $"{P(q.A)} {U(q.Field)}^4",
        Anchor.DoubleWell d => $"{P(d.A)} ({U(d.Field)}^2 - {P(d.Well)}^2)^2",
        Anchor.CoerciveNetwork c => $"{P(c.A)} {U(c.Field)}^4 + cubic({U(c.Field)}) + G({U(c.Field)})",
        Anchor.SineNetwork s => $"{P(s.A)}/2 {U(s.Field)}^2 + G({U(s.Field)})",
        _ => throw new InvalidOperationException()
    };

    public static string Of(EnergyTerm t) => t switch
    {
        EnergyTerm.Quadratic q => $"{P(q.A)}/2 {U(q.Field)}^2",
        EnergyTerm.Gradient g => $"{P(g.Kappa)}/2 |{(g.Derivative == Derivative.Forward ? "D+" : "grad")} {U(g.Field)}|^2",
        EnergyTerm.Polynomial p => "(" + Poly(p.Coefficients, U(p.Field)) + ")",
        EnergyTerm.LocalNetwork n => $"F({U(n.Field)})",
        EnergyTerm.InputConvex c => $"C_convex({U(c.Field)})",
        EnergyTerm.Circulant c => $"1/2 {U(c.Field)} C(k) {U(c.Field)}",
        EnergyTerm.LowModes l => $"V(low {l.Modes} modes of {U(l.Field)})",
        EnergyTerm.Dense d => $"V(all {d.G.Inputs} values of u)",
        EnergyTerm.Scaled s => $"{P(s.C)} ({Of(s.Term)})",
        EnergyTerm.Sum s => "(" + string.Join(" + ", s.Terms.Select(Of)) + ")",
        EnergyTerm.Custom c => c.Term.Formula,
        _ => throw new InvalidOperationException()
    };

    public static string Of(Dissipation d) => d switch
    {
        Dissipation.Multiplier => "theta^2(k)",
        Dissipation.Mobility m => $"diag({Of(m.M, "u")})",
        Dissipation.Divergence m => $"Dx^T {Of(m.M, "u")} Dx",
        Dissipation.Banded b => $"B B^T[{b.B.Length}]",
        Dissipation.LowRank l => $"{P(l.Beta)} I + B B^T[rank {l.Rank}]",
        Dissipation.Sum s => string.Join(" + ", s.Terms.Select(Of)),
        Dissipation.Scaled s => $"{P(s.C)} ({Of(s.Inner)})",
        Dissipation.Weighted w => $"[{Of(w.S, "u")}] ({Of(w.Inner)}) [{Of(w.S, "u")}]",
        Dissipation.Congruence c => $"{Of(c.L)}^T ({Of(c.Inner)}) {Of(c.L)}",
        Dissipation.Custom c => c.Operator.Formula,
        _ => throw new InvalidOperationException()
    };

    public static string Of(Conservation w) => w switch
    {
        Conservation.Multiplier => "i phi(k)",
        Conservation.Stencil s => s.Order == 1 && s.C.Length == 1 && s.C[0] == 0.5 ? "D1"
                                : s.Order == 3 && s.C.Length == 2 && s.C[0] == -1 && s.C[1] == 0.5 ? "D3"
                                : $"sum c_j (S^j - S^-j)/h^{s.Order}",
        Conservation.Advection a => a.Derivative == DifferenceKind.Central ? $"(b D1 + D1 b)/2 [b = {Of(a.B, "u")}]" : $"(b d + d b)/2 [b = {Of(a.B, "u")}]",
        Conservation.Banded b => $"A - A^T[{b.A.Length}]",
        Conservation.LowRank l => $"B C^T - C B^T[rank {l.Rank}]",
        Conservation.Symplectic s => $"[[0,-I],[I,0]]({s.Q},{s.P})",
        Conservation.Coupling c => $"[[0,{c.D}],[{c.D},0]]({c.A},{c.B})",
        Conservation.Sum s => string.Join(" + ", s.Terms.Select(Of)),
        Conservation.Scaled s => $"{P(s.C)} ({Of(s.Inner)})",
        Conservation.Congruence c => $"{Of(c.L)}^T ({Of(c.Inner)}) {Of(c.L)}",
        Conservation.Custom c => c.Operator.Formula,
        _ => throw new InvalidOperationException()
    };

    public static string Of(Linear l) => l switch
    {
        Linear.Difference d => d.Kind switch { DifferenceKind.Forward => "D+", DifferenceKind.Central => "D1", DifferenceKind.Third => "D3", _ => "d" } + (d.Axis == 0 ? "x" : "y"),
        Linear.Select s => $"P{s.Field}",
        Linear.Compose c => $"{Of(c.Outer)} {Of(c.Inner)}",
        _ => throw new InvalidOperationException()
    };

    public static string Of(Scalar s, string v) => s switch
    {
        Scalar.Constant c => P(c.C),
        Scalar.Polynomial p => Poly(p.Coefficients, v),
        Scalar.Net => $"b_net({v})",
        _ => throw new InvalidOperationException()
    };

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
