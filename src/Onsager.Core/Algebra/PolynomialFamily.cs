using System.Collections.Immutable;

namespace Onsager.Algebra;

/// <summary>Which operator of du/dt = -(M + W) dE a term of the polynomial family belongs to.</summary>
public enum TermPart
{
    /// <summary>A dissipative term: its coefficient is the weight of a positive semi-definite M, so it is &gt;= 0.</summary>
    Dissipation,
    /// <summary>A conservative term: its coefficient multiplies an antisymmetric W, any sign.</summary>
    Conservation,
}

/// <summary>
/// One term of the polynomial family: the operator it adds (with E = integral u^2/2, so dE/du = u), the field it then
/// contributes for a unit coefficient, and whether it conserves mass (kills constants, docs/theory.md, conservation laws).
/// </summary>
public sealed record PolynomialTerm(string Name, TermPart Part, string Operator, string Field, bool ConservesMass);

/// <summary>
/// The polynomial family: members with the fixed energy E = integral u^2/2 and operators that are polynomial in u and
/// spectral derivatives d (one field, 1D):
///   M = c_diffusion (-d^2) + c_hyperdiffusion d^4 + c_damping I + c_mobility d^T u^2 d   (every c &gt;= 0, so M is PSD),
///   W = c_transport d + c_dispersion d^3 + (b(u) d + d b(u))/2,  b = c_advection u + c_advection2 u^2.
/// The field -(M + W) u is linear in the coefficients, so the member is fitted by (weak-form) least squares instead of
/// trained; the energy is the gauge (docs/theory.md, gauges: with E fixed, M and W are identified). Burgers
/// (c_diffusion = nu, c_advection = 2/3), KdV (c_dispersion = 1, c_advection = 4), the heat equation and mKdV-type
/// transport lie in it; Allen-Cahn (whose energy is not u^2/2 up to a gauge) and Kuramoto-Sivashinsky (anti-diffusion)
/// do not.
/// </summary>
public static class PolynomialFamily
{
    /// <summary>The terms, in the order of <see cref="Features"/>' columns.</summary>
    public static ImmutableArray<PolynomialTerm> Terms { get; } =
    [
        new("diffusion", TermPart.Dissipation, "-d^2", "u_xx", true),
        new("hyperdiffusion", TermPart.Dissipation, "d^4", "-u_xxxx", true),
        new("damping", TermPart.Dissipation, "I", "-u", false),
        new("mobility", TermPart.Dissipation, "d^T u^2 d", "(u^2 u_x)_x", true),
        new("transport", TermPart.Conservation, "d", "-u_x", true),
        new("dispersion", TermPart.Conservation, "d^3", "-u_xxx", true),
        new("advection", TermPart.Conservation, "(u d + d u)/2", "-(u u_x + (u^2)_x)/2", true),
        new("advection2", TermPart.Conservation, "(u^2 d + d u^2)/2", "-(u^2 u_x + (u^3)_x)/2", true),
    ];

    /// <summary>The term names (the JSON keys of a fit's coefficients).</summary>
    public static ImmutableArray<string> Names { get; } = [.. Terms.Select(t => t.Name)];

    /// <summary>
    /// Each term's field on one state, with a spectral derivative <paramref name="d"/> (the one the member's operators
    /// use, so a member built by <see cref="Build"/> has exactly the field sum_j c_j features[j]).
    /// </summary>
    public static double[][] Features(double[] u, Func<double[], double[]> d)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(d);
        int n = u.Length;
        double[] Map(Func<int, double> f) { var r = new double[n]; for (int i = 0; i < n; i++) r[i] = f(i); return r; }
        var ux = d(u);
        var uxx = d(ux);
        var uxxx = d(uxx);
        var u2 = Map(i => u[i] * u[i]);
        var u3 = Map(i => u2[i] * u[i]);
        var mobility = d(Map(i => u2[i] * ux[i]));
        var u2x = d(u2);
        var u3x = d(u3);
        return
        [
            uxx,
            Negate(d(uxxx)),
            Negate(u),
            mobility,
            Negate(ux),
            Negate(uxxx),
            Map(i => -0.5 * (u[i] * ux[i] + u2x[i])),
            Map(i => -0.5 * (u2[i] * ux[i] + u3x[i])),
        ];
    }

    private static double[] Negate(double[] x) => x.Select(v => -v).ToArray();

    /// <summary>
    /// The member with these coefficients (one per term of <see cref="Terms"/>; zeros leave a term out). Dissipative
    /// coefficients must be &gt;= 0: that is what makes M positive semi-definite.
    /// </summary>
    public static Model Build(Grid grid, IReadOnlyList<double> c)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(c);
        if (grid.Dimensions != 1) throw new ArgumentException("The polynomial family is one-dimensional.");
        if (c.Count != Terms.Length) throw new ArgumentException($"The polynomial family has {Terms.Length} coefficients ({string.Join(", ", Names)}), got {c.Count}.");
        for (int j = 0; j < c.Count; j++)
        {
            if (!double.IsFinite(c[j])) throw new ArgumentException($"The coefficient of {Names[j]} is not finite ({c[j]}).");
            if (Terms[j].Part == TermPart.Dissipation && c[j] < 0)
                throw new ArgumentException($"The coefficient of {Names[j]} weighs a dissipation and must be >= 0, got {c[j]:G4}.");
        }
        var k = Spectral.WavenumbersOfModes(grid, 0, dropNyquist: true);
        bool kept(int j) => c[j] != 0;
        // M's multiplier is theta_k^2 (OperatorCompiler): theta_k = sqrt(c_diff k^2 + c_hyper k^4 + c_damp).
        var theta = k.Select(kk => Math.Sqrt(c[0] * kk * kk + c[1] * kk * kk * kk * kk + c[2])).ToArray();
        // W's multiplier is i phi_k: d has i k, d^3 has -i k^3.
        var phi = k.Select(kk => c[4] * kk - c[5] * kk * kk * kk).ToArray();
        var m = new List<Dissipation>();
        if (kept(0) || kept(1) || kept(2)) m.Add(new Dissipation.Multiplier(ParamArray.Fixed(theta)));
        if (kept(3))
            m.Add(new Dissipation.Congruence(new Linear.Difference(DifferenceKind.Spectral),
                                             new Dissipation.Mobility(new NonNegative.Square(new Scalar.Polynomial(ParamArray.Fixed(0, Math.Sqrt(c[3])))))));
        var w = new List<Conservation>();
        if (kept(4) || kept(5)) w.Add(new Conservation.Multiplier(ParamArray.Fixed(phi)));
        if (kept(6) || kept(7))
            w.Add(new Conservation.Advection(new Scalar.Polynomial(ParamArray.Fixed(0, c[6], c[7])), 0, DifferenceKind.Spectral));
        Dissipation? dissipation = m.Count switch { 0 => null, 1 => m[0], _ => new Dissipation.Sum([.. m]) };
        Conservation? conservation = w.Count switch { 0 => null, 1 => w[0], _ => new Conservation.Sum([.. w]) };
        return new Model(grid, new Energy(new Anchor.Quadratic(Param.Of(1.0))), dissipation, conservation);
    }
}

/// <summary>
/// The weak form of du/dt = f(u) in time (Messenger and Bortz, J. Comput. Phys. 443, 110525, 2021, "WSINDy"): for a
/// test function psi(x, t) that vanishes with its derivatives at the ends of its time window,
///   -sum_t sum_x psi_t u h dt = sum_j c_j sum_t sum_x psi f_j(u) h dt,
/// so no time derivative of the data is taken (the frames may be coarse and noisy), and a spatially smooth psi averages
/// the noise of the spectral x-derivatives (sum psi d^m g = sum ((d^T)^m psi) g: the derivative moves onto psi). Test
/// functions are products of bumps (1 - s^2)^p in x (periodic) and in t.
/// </summary>
public sealed record WeakForm
{
    /// <summary>Half-width of a test function's time window, in frames (&gt;= 2).</summary>
    public int TimeRadius { get; init => field = value >= 2 ? value : throw new ArgumentException($"The weak form's time radius is at least 2 frames, got {value}."); } = 8;
    /// <summary>Number of test-function centres across the domain (&gt;= 1; each bump spans 2 L / this).</summary>
    public int SpaceCentres { get; init => field = value >= 1 ? value : throw new ArgumentException($"The weak form needs at least one centre in x, got {value}."); } = 16;
    /// <summary>The bumps' power p (&gt;= 2): smoothness at the support's ends.</summary>
    public int Power { get; init => field = value >= 2 ? value : throw new ArgumentException($"The bump's power is at least 2, got {value}."); } = 8;

    private static double Bump(double s, int p) => Math.Abs(s) >= 1 ? 0 : Math.Pow(1 - s * s, p);
    private static double BumpSlope(double s, int p) => Math.Abs(s) >= 1 ? 0 : -2 * p * s * Math.Pow(1 - s * s, p - 1);

    /// <summary>
    /// The rows of one trajectory: frames[t][i] (t over consecutive frames dt apart), features[t][j][i] (term j's field at
    /// frame t). Returns (A, b) with one row per test function whose window fits in the frames.
    /// </summary>
    public (List<double[]> A, List<double> B) Rows(IReadOnlyList<double[]> frames, IReadOnlyList<double[][]> features, double dt, double length)
    {
        int t = frames.Count;
        if (t < 2 * TimeRadius + 1) return ([], []);
        int n = frames[0].Length, terms = features[0].Length;
        double h = length / n;
        int centres = Math.Min(SpaceCentres, n);
        double radius = length / centres;                        // each bump covers two centre spacings
        var a = new List<double[]>();
        var b = new List<double>();
        var psiX = new double[centres][];
        for (int c = 0; c < centres; c++)
        {
            psiX[c] = new double[n];
            double xc = c * length / centres;
            for (int i = 0; i < n; i++)
            {
                double dx = i * h - xc;
                dx -= length * Math.Round(dx / length);           // periodic distance
                psiX[c][i] = Bump(dx / radius, Power);
            }
        }
        int step = Math.Max(1, TimeRadius / 2);
        for (int tc = TimeRadius; tc + TimeRadius < t; tc += step)
        {
            var weights = new double[2 * TimeRadius + 1];
            var slopes = new double[2 * TimeRadius + 1];
            for (int s = -TimeRadius; s <= TimeRadius; s++)
            {
                weights[s + TimeRadius] = Bump(s / (double)TimeRadius, Power) * dt;                  // trapezoid: the ends are 0
                slopes[s + TimeRadius] = BumpSlope(s / (double)TimeRadius, Power) / (TimeRadius * dt) * dt;
            }
            for (int c = 0; c < centres; c++)
            {
                var row = new double[terms];
                double rhs = 0;
                for (int s = -TimeRadius; s <= TimeRadius; s++)
                {
                    int f = tc + s;
                    double wt = weights[s + TimeRadius], st = slopes[s + TimeRadius];
                    var u = frames[f];
                    var px = psiX[c];
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += px[i] * u[i];
                    rhs -= st * dot * h;
                    if (wt == 0) continue;
                    for (int j = 0; j < terms; j++)
                    {
                        var g = features[f][j];
                        double acc = 0;
                        for (int i = 0; i < n; i++) acc += px[i] * g[i];
                        row[j] += wt * acc * h;
                    }
                }
                a.Add(row);
                b.Add(rhs);
            }
        }
        return (a, b);
    }
}
