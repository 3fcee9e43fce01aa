using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Onsager.Data;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>How to test whether data are consistent with the class (see <see cref="ClassCheck"/>).</summary>
public sealed record ClassCheckOptions
{
    /// <summary>Wall-clock training budget of each of the two fits (equal budgets).</summary>
    public TimeSpan Budget
    {
        get;
        init => field = value > TimeSpan.Zero ? value : throw new ArgumentException($"A budget must be positive, got {value}.");
    } = TimeSpan.FromMinutes(2);

    /// <summary>The member of the class that is fitted (a kind of <see cref="Families.Kinds"/> that is a member), or "auto":
    /// the polynomial family first (fitted in a second, where the data are one field in 1D), and the spectral one when
    /// that is not consistent; the data are consistent with the class when either member is.</summary>
    public string InClassKind
    {
        get;
        init => field = value == Auto || Families.Kinds.Contains(value) && !Families.ForceFields.Contains(value) && value != "classical"
            ? value : throw new ArgumentException($"The in-class fit is auto or a member kind ({string.Join(", ", Families.Kinds.Where(k => !Families.ForceFields.Contains(k) && k != "classical"))}), got '{value}'.");
    } = Auto;

    /// <summary>The in-class kind that tries the polynomial family, then the spectral one.</summary>
    public const string Auto = "auto";

    /// <summary>The baseline outside the class (a force field of <see cref="Families.ForceFields"/>).</summary>
    public string OutOfClassKind
    {
        get;
        init => field = Families.ForceFields.Contains(value) ? value : throw new ArgumentException($"The out-of-class fit is a force field ({string.Join(", ", Families.ForceFields)}), got '{value}'.");
    } = "unconstrained";

    /// <summary>An energy change along the data counts as a rise above this fraction of max |E|.</summary>
    public double RiseTolerance
    {
        get;
        init => field = value >= 0 && value < 1 ? value : throw new ArgumentException($"The rise tolerance is a fraction of |E| in [0, 1), got {value}.");
    } = 1e-3;

    /// <summary>The largest share of frame steps along which the fitted energy may rise for the data to be consistent.</summary>
    public double MaxRiseShare
    {
        get;
        init => field = value >= 0 && value <= 1 ? value : throw new ArgumentException($"A share is in [0, 1], got {value}.");
    } = 0.05;

    /// <summary>The in-class fit's test error (step 1) may be at most this multiple of the out-of-class fit's. Generous: at equal
    /// short budgets an unconstrained network often fits in-class data better than a member does (Allen-Cahn: 1.5-2x at 10 s
    /// each); a class that cannot fit the data at all is off by far more.</summary>
    public double MaxErrorRatio
    {
        get;
        init => field = value >= 1 && double.IsFinite(value) ? value : throw new ArgumentException($"The error ratio is at least 1, got {value}.");
    } = 10;

    /// <summary>The random seed.</summary>
    public int Seed { get; init; }
    /// <summary>How the data are split (null: the data's default).</summary>
    public SplitKind? Split { get; init; }
    /// <summary>The TorchSharp device to train on.</summary>
    public Device? Device { get; init; }
    /// <summary>Training options of both fits other than budget, seed, split and scheme (the kinds' defaults).</summary>
    public TrainingOptions Training { get; init; } = new();
    /// <summary>Network sizes of the spectral family.</summary>
    public SpectralOptions? Spectral { get; init; }
    /// <summary>Network sizes of the baselines.</summary>
    public BaselineOptions? Baseline { get; init; }
}

/// <summary>The verdict with its evidence.</summary>
public sealed record ClassCheckResult(bool Consistent, double EnergyRiseShare, double InClassError, double OutOfClassError, ImmutableArray<string> Reasons,
                                      string InClassKind, string OutOfClassKind, TrainingResult? InClassTraining, TrainingResult OutOfClassTraining,
                                      EvaluationResult InClassEvaluation, EvaluationResult OutOfClassEvaluation, string Split)
{
    /// <summary>The in-class member that was fitted (trained, or fitted by least squares for the polynomial family).</summary>
    public required Model InClassMember { get; init; }
    /// <summary>The verdicts of the in-class kinds tried before this one (auto: the polynomial family's when it failed).</summary>
    public ImmutableArray<string> Tried { get; init; } = [];

    /// <summary>One line: the verdict and the evidence.</summary>
    public string Verdict => (Consistent ? "consistent with the Onsager class" : "not consistent with the Onsager class") + ": " + string.Join("; ", Reasons);

    /// <summary>The result as JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["consistent"] = Consistent,
        ["energyRiseShare"] = EnergyRiseShare,
        ["inClassError"] = InClassError,
        ["outOfClassError"] = OutOfClassError,
        ["reasons"] = new JsonArray(Reasons.Select(r => (JsonNode)r).ToArray()),
        ["inClassKind"] = InClassKind,
        ["outOfClassKind"] = OutOfClassKind,
        ["split"] = Split,
        ["inClass"] = InClassEvaluation.ToJson(),
        ["outOfClass"] = OutOfClassEvaluation.ToJson(),
        ["inClassSteps"] = InClassTraining?.Steps,
        ["tried"] = new JsonArray(Tried.Select(t => (JsonNode)t).ToArray()),
        ["outOfClassSteps"] = OutOfClassTraining.Steps,
    };
}

/// <summary>
/// Is a dataset in the class at all? Fits a member of the class and a force field outside it on the same split with equal
/// budgets, then weighs two pieces of evidence: whether the fitted member's energy decreases along the data (every member's
/// does along its own trajectories, docs/theory.md, energy decay), and whether the class costs accuracy (the member's test
/// error against the unconstrained fit's). Data from outside the class (a chaotic Kuramoto-Sivashinsky field, whose energy
/// rises and falls) fail one or both.
/// </summary>
public static class ClassCheck
{
    /// <summary>Runs the class check on the dataset.</summary>
    public static ClassCheckResult Run(DatasetReader reader, ClassCheckOptions? options = null, IProgress<string>? progress = null,
                                       CancellationToken cancel = default)
    {
        var o = options ?? new ClassCheckOptions();
        var data = reader.Dataset;
        var split = data.SplitBy(o.Split, o.Seed);
        TrainingResult Train(string kind)
        {
            progress?.Report($"fitting {kind} for {o.Budget.TotalSeconds:F0} s ({split.Describe()})");
            var initial = Families.Create(kind, data.Grid, data.Fields, o.Seed, data.KnownMember, o.Spectral, o.Baseline);
            var training = o.Training with
            {
                Budget = o.Budget, Seed = o.Seed, Split = split.Kind, Scheme = Families.DefaultScheme(kind), Device = o.Device,
            };
            return new Trainer(initial, training).Train(reader, null, cancel);
        }
        EvaluationResult Evaluate(IVectorField field, string kind) =>
            Evaluator.Evaluate(field, reader, new EvaluationOptions { Scheme = Families.DefaultScheme(kind), Seed = o.Seed, Split = split.Kind, Device = o.Device },
                               kind, cancel);
        var outOfClass = Train(o.OutOfClassKind);
        progress?.Report($"evaluating {o.OutOfClassKind} on the test data");
        var outEval = Evaluate(outOfClass.Trained, o.OutOfClassKind);

        bool oneField1D = data.Fields == 1 && data.Points.Length == 1;
        var kinds = o.InClassKind != ClassCheckOptions.Auto ? [o.InClassKind] : oneField1D ? new[] { "polynomial", "spectral" } : ["spectral"];
        var tried = ImmutableArray.CreateBuilder<string>();
        ClassCheckResult? result = null;
        foreach (var kind in kinds)
        {
            TrainingResult? training = null;
            Model member;
            if (Families.Fitted.Contains(kind))
            {
                progress?.Report($"fitting {kind} by weak-form least squares ({split.Describe()})");
                member = PolynomialFitting.Fit(reader, new PolynomialFitOptions { Split = split.Kind, Seed = o.Seed }, cancel).Model;
            }
            else
            {
                training = Train(kind);
                member = training.Model;
            }
            progress?.Report($"evaluating {kind} on the test data, and its energy along the data");
            var inEval = Evaluate(member, kind);
            result = Verdict(o, member, kind, training, inEval, outOfClass, outEval, reader, split.Name) with { Tried = tried.ToImmutable() };
            if (result.Consistent) break;
            tried.Add($"{kind}: {result.Verdict}");
        }
        return result!;
    }

    private static ClassCheckResult Verdict(ClassCheckOptions o, Model member, string kind, TrainingResult? training, EvaluationResult inEval,
                                            TrainingResult outOfClass, EvaluationResult outEval, DatasetReader reader, string split)
    {
        double rises = RiseShare(member, reader, o.RiseTolerance);
        double inError = inEval.AllWindows[0].Mean, outError = outEval.AllWindows[0].Mean;
        var inv = CultureInfo.InvariantCulture;
        var reasons = ImmutableArray.CreateBuilder<string>();
        bool energyOk = rises <= o.MaxRiseShare;
        reasons.Add(string.Format(inv, "the fitted energy ({0}) rises along the data in {1:P1} of frame steps ({2} {3:P0})", kind, rises, energyOk ? "at most" : "more than", o.MaxRiseShare));
        bool errorOk = inError <= o.MaxErrorRatio * outError || !double.IsFinite(outError);
        reasons.Add(string.Format(inv, "one-step test error {0:E2} in the class against {1:E2} outside it ({2:F2}x{3})", inError, outError, inError / outError,
                                  errorOk ? $", within {o.MaxErrorRatio:G3}x" : $", more than {o.MaxErrorRatio:G3}x"));
        return new ClassCheckResult(energyOk && errorOk && double.IsFinite(inError), rises, inError, outError, reasons.ToImmutable(), kind, o.OutOfClassKind,
                                    training, outOfClass, inEval, outEval, split) { InClassMember = member };
    }

    /// <summary>Trajectories whose energy <see cref="RiseShare"/> follows at most (the first ones in the file).</summary>
    public const int RiseTrajectories = 32;

    /// <summary>Share of consecutive frame pairs of the first <see cref="RiseTrajectories"/> trajectories where the member's energy
    /// rises by more than <paramref name="tolerance"/> of max |E| (all frames: the energy is a property of the states, not a prediction).</summary>
    public static double RiseShare(Model model, DatasetReader reader, double tolerance)
    {
        var d = reader.Dataset;
        using var scope = NewDisposeScope();
        using var m = Dynamics.Compile(model);
        int samples = (int)Math.Min(d.Samples, RiseTrajectories);
        var energy = new double[samples, d.Frames];
        for (int s = 0; s < samples; s++)
        {
            var t = ModelData.Load(reader, model, [s]);
            var u = tensor(t.Values, ScalarType.Float64).reshape(t.Shape.ToArray());
            var trace = Diagnose.Energy(m, u, t.Times);
            for (int f = 0; f < d.Frames; f++) energy[s, f] = trace.Energy[0, f];
        }
        return Diagnose.Trace(energy, d.Times, tolerance).RiseShare;
    }
}
