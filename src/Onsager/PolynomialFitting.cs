using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Onsager.Data;

namespace Onsager;

/// <summary>How the polynomial family's coefficients are fitted to data.</summary>
public enum FitForm
{
    /// <summary>Weak form in time and space (<see cref="WeakForm"/>): no time derivative of the data; noise is averaged.</summary>
    Weak,
    /// <summary>Strong form: u_t by central differences of consecutive frames, every site a row (PDE-FIND's fit).</summary>
    Strong,
}

/// <summary>Options of <see cref="PolynomialFitting.Fit"/>.</summary>
public sealed record PolynomialFitOptions
{
    /// <summary>Which frames or trajectories are fitted (the data's default split when null: in time below 10 trajectories).</summary>
    public SplitKind? Split { get; init; }
    /// <summary>Weak (the default) or strong form.</summary>
    public FitForm Form { get; init => field = Enum.IsDefined(value) ? value : throw new ArgumentException($"Unknown fit form {value}."); } = FitForm.Weak;
    /// <summary>The weak form's test functions.</summary>
    public WeakForm WeakForm { get; init => field = value ?? throw new ArgumentException("The weak form must not be null."); } = new();
    /// <summary>Terms contributing less than this share of the fitted right-hand side are dropped (STLSQ).</summary>
    public double Threshold
    {
        get;
        init => field = value >= 0 && value < 1 ? value : throw new ArgumentException($"The threshold is a share in [0, 1), got {value}.");
    } = SparseRegression.DefaultThreshold;
    /// <summary>true: mass-conserving terms only; false: every term; null: conserving when the data conserve mass to
    /// <see cref="MassTolerance"/> (relative to the integral of |u|).</summary>
    public bool? ConserveMass { get; init; }
    /// <summary>The relative mass drift below which the data count as conserving mass.</summary>
    public double MassTolerance { get; init => field = value > 0 && double.IsFinite(value) ? value : throw new ArgumentException($"The mass tolerance must be > 0, got {value}."); } = DataMass.Tolerance;
    /// <summary>Frames used at most by the strong form (evenly spaced), to bound its rows.</summary>
    public int MaxStrongFrames { get; init => field = value >= 1 ? value : throw new ArgumentException($"At least one frame, got {value}."); } = 64;
    /// <summary>The random seed.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// A fitted member of the polynomial family: its coefficients (by term name, dropped terms at 0), the share of the fitted
/// right-hand side they leave unexplained, and what was fitted.
/// </summary>
public sealed record PolynomialFit(Model Model, ImmutableArray<EquationTerm> Coefficients, double Unexplained, int Rows, FitForm Form,
                                   bool ConservesMass, string MassReason, DatasetSplit Split, TimeSpan Elapsed)
{
    /// <summary>The coefficient of a term of <see cref="PolynomialFamily.Terms"/> (0 when dropped).</summary>
    public double Coefficient(string name) =>
        PolynomialFamily.Names.Contains(name) ? Coefficients.First(c => c.Name == name).Coefficient
            : throw new ArgumentException($"Unknown term '{name}'. Terms: {string.Join(", ", PolynomialFamily.Names)}.");

    /// <summary>The fitted operators, e.g. "M = 0.1 (-d^2);  W = (b d + d b)/2, b = 0.6667 u".</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        string Part(TermPart part) => string.Join(" + ", PolynomialFamily.Terms.Zip(Coefficients)
            .Where(p => p.First.Part == part && p.Second.Coefficient != 0)
            .Select(p => $"{p.Second.Coefficient.ToString("G4", inv)} {p.First.Operator}"));
        string m = Part(TermPart.Dissipation), w = Part(TermPart.Conservation);
        return $"E = integral u^2/2;  M = {(m.Length == 0 ? "0" : m)};  W = {(w.Length == 0 ? "0" : w)}";
    }

    /// <summary>The fit as JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["form"] = Form == FitForm.Weak ? "weak" : "strong",
        ["coefficients"] = new JsonObject(Coefficients.Select(c => KeyValuePair.Create(c.Name, (JsonNode?)c.Coefficient))),
        ["unexplained"] = Unexplained,
        ["rows"] = Rows,
        ["conservesMass"] = ConservesMass,
        ["massReason"] = MassReason,
        ["split"] = Split.Name,
        ["seconds"] = Math.Round(Elapsed.TotalSeconds, 3),
    };
}

/// <summary>
/// Fits the polynomial family (<see cref="PolynomialFamily"/>) to a dataset: the member's field is linear in its
/// coefficients, so the fit is a sign-constrained sparse least-squares problem (<see cref="SparseRegression"/>) on the
/// weak form of the data (<see cref="WeakForm"/>) or on finite-difference time derivatives (strong form). Only the
/// training part of the split is used.
/// </summary>
public static class PolynomialFitting
{
    /// <summary>Fits the polynomial family to the dataset.</summary>
    public static PolynomialFit Fit(DatasetReader reader, PolynomialFitOptions? options = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var o = options ?? new PolynomialFitOptions();
        var data = reader.Dataset;
        if (data.Fields != 1 || data.Points.Length != 1)
            throw new ArgumentException($"{data.Path}: the polynomial family is for one field on a 1D grid; the data have {data.Fields} field(s) on a {data.Points.Length}D grid.");
        var clock = Stopwatch.StartNew();
        var split = data.SplitBy(o.Split, o.Seed);
        var frames = split.TrainFrames ?? new FrameRange(0, data.Frames);
        int n = data.Points[0];
        double length = data.Lengths[0], dt = data.Dt;
        var (conserve, reason) = DataMass.Choose(reader, split, o.ConserveMass, "mass-conserving terms only", "every term", o.MassTolerance);
        var allowed = PolynomialFamily.Terms.Select(t => !conserve || t.ConservesMass).ToArray();
        Func<double[], double[]> d = u => Solvers.Derivative(u, length);

        var rows = new List<double[]>();
        var rhs = new List<double>();
        foreach (int s in split.Train)
        {
            cancel.ThrowIfCancellationRequested();
            var all = reader.ReadTrajectory(s);
            var states = Enumerable.Range(frames.Start, frames.End - frames.Start)
                .Select(f => all.AsSpan(f * n, n).ToArray().Select(x => (double)x).ToArray()).ToList();
            if (o.Form == FitForm.Weak)
            {
                var features = states.Select(u => PolynomialFamily.Features(u, d)).ToList();
                // few frames: the widest time window that fits (at least 2 frames either side)
                var weak = states.Count >= 2 * o.WeakForm.TimeRadius + 1 || states.Count < 5 ? o.WeakForm
                         : o.WeakForm with { TimeRadius = (states.Count - 1) / 2 };
                var (a, b) = weak.Rows(states, features, dt, length);
                rows.AddRange(a);
                rhs.AddRange(b);
            }
            else
            {
                int interior = states.Count - 2;
                if (interior < 1) continue;
                int count = Math.Min(o.MaxStrongFrames, interior);
                foreach (int t in Enumerable.Range(0, count).Select(i => 1 + (int)Math.Round(i * (interior - 1) / Math.Max(1.0, count - 1))).Distinct())
                {
                    var features = PolynomialFamily.Features(states[t], d);
                    for (int i = 0; i < n; i++)
                    {
                        rows.Add(features.Select(g => g[i]).ToArray());
                        rhs.Add((states[t + 1][i] - states[t - 1][i]) / (2 * dt));
                    }
                }
            }
        }
        if (rows.Count < PolynomialFamily.Terms.Length)
            throw new ArgumentException(o.Form == FitForm.Weak
                ? $"{data.Path}: the weak form needs at least 5 consecutive training frames per trajectory (there are {frames.End - frames.Start})."
                : $"{data.Path}: the strong form needs at least 3 consecutive training frames.");
        var names = PolynomialFamily.Names.Where((_, j) => allowed[j]).ToList();
        var index = PolynomialFamily.Names.Select((name, j) => (name, j)).Where(p => allowed[p.j]).Select(p => p.j).ToList();
        var columns = index.Select(j => rows.Select(r => r[j]).ToArray()).ToArray();
        var nonNegative = index.Select(j => PolynomialFamily.Terms[j].Part == TermPart.Dissipation).ToList();
        var fit = SparseRegression.Fit(names, columns, [.. rhs], o.Threshold, nonNegative);
        var coefficients = PolynomialFamily.Names.Select(name => new EquationTerm(name, fit.Coefficient(name))).ToImmutableArray();
        var model = PolynomialFamily.Build(data.Grid, [.. coefficients.Select(c => c.Coefficient)]);
        return new PolynomialFit(model, coefficients, fit.Unexplained, rows.Count, o.Form, conserve, reason, split, clock.Elapsed);
    }

}

/// <summary>Whether data conserve mass: the choice behind mass-conserving members by default.</summary>
public static class DataMass
{
    /// <summary>The relative drift below which data count as conserving mass (1e-6).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>The sum of each field's values in frame <paramref name="frame"/> of a trajectory laid out as
    /// <see cref="Dataset.FrameSize"/> says (fields interleaved); times the cell volume, each field's mass.</summary>
    public static double[] FieldSums(float[] trajectory, int frame, long frameSize, int fields)
    {
        var m = new double[fields];
        for (long i = 0, at = frame * frameSize; i < frameSize; i++) m[i % fields] += trajectory[at + i];
        return m;
    }

    /// <summary>max over the trajectories, frames and fields of |mass(t) - mass(0)| / integral |u(0)|, each field on its own.</summary>
    public static double RelativeDrift(DatasetReader reader, IEnumerable<int> trajectories)
    {
        var data = reader.Dataset;
        int fields = data.Fields;
        long n = data.FrameSize;
        double worst = 0;
        foreach (int s in trajectories)
        {
            var u = reader.ReadTrajectory(s);
            var m0 = FieldSums(u, 0, n, fields);
            var scale = new double[fields];
            for (long i = 0; i < n; i++) scale[i % fields] += Math.Abs(u[i]);
            for (int f = 1; f < data.Frames; f++)
            {
                var m = FieldSums(u, f, n, fields);
                for (int c = 0; c < fields; c++)
                    if (scale[c] > 0) worst = Math.Max(worst, Math.Abs(m[c] - m0[c]) / scale[c]);
            }
        }
        return worst;
    }

    /// <summary>Whether the training trajectories of the data conserve mass to <see cref="Tolerance"/>.</summary>
    public static bool Conserved(DatasetReader reader, DatasetSplit split) => RelativeDrift(reader, split.Train) <= Tolerance;

    /// <summary>The one rule for mass-conserving members: as <paramref name="requested"/> when given, else conserving when
    /// the training trajectories drift by at most <paramref name="tolerance"/>; with the reason in words (what was
    /// chosen: <paramref name="conserving"/> or <paramref name="free"/>, and why).</summary>
    public static (bool Conserve, string Reason) Choose(DatasetReader reader, DatasetSplit split, bool? requested, string conserving, string free,
                                                        double tolerance = Tolerance)
    {
        if (requested is { } c) return (c, c ? $"{conserving} (--conserve-mass)" : $"{free} (--conserve-mass false)");
        double drift = RelativeDrift(reader, split.Train);
        return drift <= tolerance
            ? (true, string.Format(CultureInfo.InvariantCulture, "the data conserve mass (relative drift {0:G2} <= {1:G2}): {2}", drift, tolerance, conserving))
            : (false, string.Format(CultureInfo.InvariantCulture, "the data do not conserve mass (relative drift {0:G2} > {1:G2}): {2}", drift, tolerance, free));
    }
}
