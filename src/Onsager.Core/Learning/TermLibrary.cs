using System.Collections.Immutable;

namespace Onsager.Learning;

/// <summary>
/// A 1D single-field state with its x-derivatives on the grid's sites (any number of states laid end to end): the
/// inputs every library term is a product of.
/// </summary>
public sealed record Derivatives
{
    /// <summary>The state u.</summary>
    public ImmutableArray<double> U { get; }
    /// <summary>The first derivative u_x.</summary>
    public ImmutableArray<double> Ux { get; }
    /// <summary>The second derivative u_xx.</summary>
    public ImmutableArray<double> Uxx { get; }
    /// <summary>The third derivative u_xxx.</summary>
    public ImmutableArray<double> Uxxx { get; }
    /// <summary>The fourth derivative u_xxxx.</summary>
    public ImmutableArray<double> Uxxxx { get; }
    /// <summary>The number of sites.</summary>
    public int Count => U.Length;

    /// <summary>The state and its derivatives (arrays of equal length).</summary>
    public Derivatives(ImmutableArray<double> u, ImmutableArray<double> ux, ImmutableArray<double> uxx, ImmutableArray<double> uxxx, ImmutableArray<double> uxxxx)
    {
        if (u.IsDefault || ux.IsDefault || uxx.IsDefault || uxxx.IsDefault || uxxxx.IsDefault)
            throw new ArgumentException("Derivatives need u and its first four x-derivatives.");
        if (new[] { ux, uxx, uxxx, uxxxx }.Any(d => d.Length != u.Length))
            throw new ArgumentException($"u and its derivatives must have one value per site each; u has {u.Length}.");
        U = u; Ux = ux; Uxx = uxx; Uxxx = uxxx; Uxxxx = uxxxx;
    }
}

/// <summary>
/// The canonical library of candidate terms of u_t = ... for a 1D field, named as PDE-FIND (Rudy, Brunton, Proctor and
/// Kutz, Sci. Adv. 3, e1602614, 2017) and PySINDy's PDE library name them: polynomials of u up to u^3, derivatives up to
/// u_xxxx, and the products that the classical equations need (Burgers' u*u_x, KdV's u*u_x, the mobility terms u*u_xx,
/// u_x^2, u^2*u_xx of a state-dependent diffusion).
/// </summary>
public static class TermLibrary
{
    /// <summary>The canonical term names, in the order equations print them.</summary>
    public static ImmutableArray<string> Names { get; } =
        ["u", "u^2", "u^3", "u_x", "u_xx", "u_xxx", "u_xxxx", "u*u_x", "u^2*u_x", "u*u_xx", "u_x^2", "u^2*u_xx"];

    /// <summary>The value of one term at site <paramref name="i"/>; an unknown name is an error naming the library.</summary>
    public static double Value(string name, Derivatives d, int i) => name switch
    {
        "u" => d.U[i],
        "u^2" => d.U[i] * d.U[i],
        "u^3" => d.U[i] * d.U[i] * d.U[i],
        "u_x" => d.Ux[i],
        "u_xx" => d.Uxx[i],
        "u_xxx" => d.Uxxx[i],
        "u_xxxx" => d.Uxxxx[i],
        "u*u_x" => d.U[i] * d.Ux[i],
        "u^2*u_x" => d.U[i] * d.U[i] * d.Ux[i],
        "u*u_xx" => d.U[i] * d.Uxx[i],
        "u_x^2" => d.Ux[i] * d.Ux[i],
        "u^2*u_xx" => d.U[i] * d.U[i] * d.Uxx[i],
        _ => throw new ArgumentException($"Unknown term '{name}'. Terms: {string.Join(", ", Names)}."),
    };

    /// <summary>The named terms as columns: result[j][i] is term j at site i.</summary>
    public static double[][] Columns(IReadOnlyList<string> names, Derivatives d) =>
        names.Select(n => Enumerable.Range(0, d.Count).Select(i => Value(n, d, i)).ToArray()).ToArray();

    /// <summary>A comma-separated list of term names, checked against the library (null or empty: the whole library).</summary>
    public static ImmutableArray<string> Parse(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return Names;
        var names = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToImmutableArray();
        foreach (var n in names)
            if (!Names.Contains(n)) throw new ArgumentException($"Unknown term '{n}'. Terms: {string.Join(", ", Names)}.");
        return names;
    }
}

/// <summary>One term of an equation with its coefficient.</summary>
public sealed record EquationTerm(string Name, double Coefficient);

/// <summary>
/// u_t = sum c_j term_j, and how much of the projected field it leaves unexplained: |f - sum c_j term_j| / |f| in the
/// discrete L2 norm over every site of every state used.
/// </summary>
public sealed record SparseEquation(ImmutableArray<EquationTerm> Terms, double Unexplained)
{
    /// <summary>The coefficient of a term (0 where the term was dropped or not in the library).</summary>
    public double Coefficient(string name) => Terms.FirstOrDefault(t => t.Name == name)?.Coefficient ?? 0;

    /// <summary>"u_t = -0.99 u*u_x + 0.1 u_xx" (4 significant digits; a unit coefficient is not written).</summary>
    public override string ToString() => Format(4);

    /// <summary>The equation as text, coefficients to the given significant digits.</summary>
    public string Format(int digits)
    {
        if (Terms.IsEmpty) return "u_t = 0";
        var text = new System.Text.StringBuilder("u_t =");
        for (int i = 0; i < Terms.Length; i++)
        {
            var (name, c) = (Terms[i].Name, Terms[i].Coefficient);
            string magnitude = Math.Abs(c).ToString("G" + digits, System.Globalization.CultureInfo.InvariantCulture);
            text.Append(i == 0 ? (c < 0 ? " -" : " ") : (c < 0 ? " - " : " + "));
            text.Append(magnitude == "1" ? "" : magnitude + " ").Append(name);
        }
        return text.ToString();
    }
}

/// <summary>
/// Sequentially thresholded least squares (STLSQ, Brunton, Proctor and Kutz, PNAS 113, 3932, 2016): fit f by all columns,
/// drop the terms whose share of |f| is below the threshold, refit on the rest, until no term drops. Columns are scaled to
/// unit norm for the fit, so the threshold compares contributions, not raw coefficients.
/// </summary>
public static class SparseRegression
{
    /// <summary>Terms contributing less than this share of |f| are dropped (1 %).</summary>
    public const double DefaultThreshold = 1e-2;

    /// <summary>
    /// STLSQ of f on the named columns. Where <paramref name="nonNegative"/> marks a term, a negative coefficient drops it
    /// like a small one (then the rest is refitted): a sign-constrained fit by elimination, which is what a dissipation
    /// weight needs (a sequential active-set heuristic, not a full NNLS, which would also bring dropped terms back).
    /// </summary>
    public static SparseEquation Fit(IReadOnlyList<string> names, double[][] columns, double[] f, double threshold = DefaultThreshold,
                                     IReadOnlyList<bool>? nonNegative = null)
    {
        if (nonNegative is not null && nonNegative.Count != names.Count) throw new ArgumentException($"{nonNegative.Count} sign constraints for {names.Count} terms.");
        if (names.Count != columns.Length) throw new ArgumentException($"{names.Count} names for {columns.Length} columns.");
        if (columns.Any(c => c.Length != f.Length)) throw new ArgumentException("Every column needs one value per value of f.");
        if (!(threshold >= 0 && threshold < 1)) throw new ArgumentException($"The threshold is a share of |f| in [0, 1), got {threshold}.");
        double fNorm = Norm(f);
        if (!(fNorm > 0) || !double.IsFinite(fNorm))
            throw new ArgumentException(fNorm == 0 ? "The field is zero on these states: there is no equation to read." : $"The field is not finite (|f| = {fNorm}).");
        var norms = columns.Select(Norm).ToArray();
        var active = Enumerable.Range(0, names.Count).Where(j => norms[j] > 1e-12 * fNorm && double.IsFinite(norms[j])).ToList();
        double[] scaled = [];
        while (true)
        {
            scaled = LeastSquares(active.Select(j => columns[j]).ToArray(), active.Select(j => norms[j]).ToArray(), f);
            var keep = active.Where((j, a) => Math.Abs(scaled[a]) >= threshold * fNorm && !(nonNegative is not null && nonNegative[j] && scaled[a] < 0)).ToList();
            if (keep.Count == active.Count) break;
            active = keep;
            if (active.Count == 0) { scaled = []; break; }
        }
        var terms = active.Select((j, a) => new EquationTerm(names[j], scaled[a] / norms[j])).ToImmutableArray();
        var residual = (double[])f.Clone();
        foreach (var (t, j) in terms.Zip(active))
            for (int i = 0; i < residual.Length; i++) residual[i] -= t.Coefficient * columns[j][i];
        return new SparseEquation(terms, Norm(residual) / fNorm);
    }

    private static double Norm(double[] x) => Math.Sqrt(x.Sum(v => v * v));

    /// <summary>argmin |f - sum_j c_j col_j / norm_j|, by Householder QR of the scaled columns (no normal equations: the
    /// library's columns are far from orthogonal).</summary>
    private static double[] LeastSquares(double[][] cols, double[] norms, double[] f)
    {
        int n = cols.Length, m = f.Length;
        if (n == 0) return [];
        var a = cols.Select((c, j) => c.Select(v => v / norms[j]).ToArray()).ToArray();     // column-major
        var b = (double[])f.Clone();
        var diag = new double[n];
        for (int k = 0; k < n; k++)
        {
            double s = 0;
            for (int i = k; i < m; i++) s += a[k][i] * a[k][i];
            double alpha = a[k][k] > 0 ? -Math.Sqrt(s) : Math.Sqrt(s);
            diag[k] = alpha;
            if (alpha == 0) continue;
            a[k][k] -= alpha;
            double vnorm2 = 0;                                                          // v = a_k - alpha e_k, stored in place
            for (int i = k; i < m; i++) vnorm2 += a[k][i] * a[k][i];
            if (vnorm2 == 0) continue;
            for (int j = k + 1; j < n; j++)
            {
                double dot = 0;
                for (int i = k; i < m; i++) dot += a[k][i] * a[j][i];
                double scale = 2 * dot / vnorm2;
                for (int i = k; i < m; i++) a[j][i] -= scale * a[k][i];
            }
            double db = 0;
            for (int i = k; i < m; i++) db += a[k][i] * b[i];
            double sb = 2 * db / vnorm2;
            for (int i = k; i < m; i++) b[i] -= sb * a[k][i];
        }
        var x = new double[n];
        for (int k = n - 1; k >= 0; k--)
        {
            double s = b[k];
            for (int j = k + 1; j < n; j++) s -= a[j][k] * x[j];
            // a rank-deficient column (a term the others already span) gets no weight
            x[k] = Math.Abs(diag[k]) > 1e-10 ? s / diag[k] : 0;
        }
        return x;
    }
}
