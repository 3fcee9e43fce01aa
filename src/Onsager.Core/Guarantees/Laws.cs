using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Guarantees;

/// <summary>
/// The outcome of one law over its checks. A margin is |error| / tolerance (or the shortfall of an inequality over its
/// tolerance): a check is violated when its margin exceeds 1. <see cref="WorstMargin"/> is the largest margin seen.
/// </summary>
public sealed record LawResult(string Name, int Checks, int Violations, double WorstMargin, string? FirstViolation = null, int Unconverged = 0)
{
    /// <summary>Whether no check was violated.</summary>
    public bool Passed => Violations == 0;

    /// <summary>Sums results of the same laws over many members.</summary>
    public static ImmutableArray<LawResult> Summarize(IEnumerable<LawResult> results) =>
        results.GroupBy(r => r.Name)
               .Select(g => new LawResult(g.Key, g.Sum(r => r.Checks), g.Sum(r => r.Violations),
                                          g.Max(r => r.WorstMargin), g.Select(r => r.FirstViolation).FirstOrDefault(v => v is not null),
                                          g.Sum(r => r.Unconverged)))
               .OrderBy(r => Laws.Names.IndexOf(r.Name) is var i && i >= 0 ? i : int.MaxValue)
               .ThenBy(r => r.Name, StringComparer.Ordinal)
               .ToImmutableArray();
}

/// <summary>
/// How the laws sample. Tolerances scale with float64 round-off (machine epsilon) times <see cref="RoundoffFactor"/>
/// and the operator's norm; <see cref="AssembleLimit"/> bounds the size of the matrices assembled for spectra.
/// </summary>
public sealed record LawOptions(int Seed = 0, int Batch = 2, int Probes = 4, double RoundoffFactor = 1e4,
                                int AssembleLimit = 256, int BasisProbeLimit = 1024)
{
    /// <summary>The default options.</summary>
    public static LawOptions Default { get; } = new();
}

/// <summary>
/// The guarantees of the class as executable laws (docs/theory.md, sections 3 and 6). The same functions run in
/// <c>onsager verify</c>, in the FsCheck properties and in a user's own test: <see cref="Check(Model, LawOptions?)"/>
/// runs every law on a member; <see cref="CheckDissipation"/>, <see cref="CheckConservation"/> and
/// <see cref="CheckEnergyTerm"/> run them on a user's new primitive.
/// </summary>
public static partial class Laws
{
    /// <summary>The names of the laws.</summary>
    public static ImmutableArray<string> Names { get; } =
    [
        "dissipation-symmetric", "dissipation-psd-probes", "dissipation-psd-spectrum", "conservation-antisymmetric",
        "operator-split-psd", "closure-sum", "closure-scaling", "closure-congruence", "energy-law",
        "energy-conserved-without-dissipation", "mass-conservation", "variational-derivative-fd",
        "variational-derivative-closed-form", "energy-coercive", "energy-lower-bound", "shift-equivariance",
        "gauge-invariance",
    ];

    private const double Eps = 2.220446049250313e-16;

    /// <summary>Runs every law on a member.</summary>
    public static ImmutableArray<LawResult> Check(Model model, LawOptions? options = null) =>
        Names.Select(n => Check(n, model, options)).ToImmutableArray();

    /// <summary>Runs one law (by name) on a member.</summary>
    public static LawResult Check(string law, Model model, LawOptions? options = null)
    {
        var o = options ?? LawOptions.Default;
        using var scope = NewDisposeScope();
        var ctx = new Context(model, o);
        return law switch
        {
            "dissipation-symmetric" => OnOperator(ctx, law, ctx.Compiled.HasDissipation, ctx.Compiled.Dissipation, "M", CheckSymmetric),
            "dissipation-psd-probes" => OnOperator(ctx, law, ctx.Compiled.HasDissipation, ctx.Compiled.Dissipation, "M", CheckPsdProbes),
            "dissipation-psd-spectrum" => OnOperator(ctx, law, ctx.Compiled.HasDissipation, ctx.Compiled.Dissipation, "M", CheckSpectrum),
            "conservation-antisymmetric" => OnOperator(ctx, law, ctx.Compiled.HasConservation, ctx.Compiled.Conservation, "W", CheckAntisymmetric),
            "operator-split-psd" => OperatorSplit(ctx),
            "closure-sum" => ClosureSum(ctx),
            "closure-scaling" => ClosureScaling(ctx),
            "closure-congruence" => ClosureCongruence(ctx),
            "energy-law" => EnergyLaw(ctx),
            "energy-conserved-without-dissipation" => EnergyConserved(ctx),
            "mass-conservation" => MassConservation(ctx),
            "variational-derivative-fd" => VariationalDerivativeFd(ctx),
            "variational-derivative-closed-form" => VariationalDerivativeClosed(ctx),
            "energy-coercive" => EnergyCoercive(ctx),
            "energy-lower-bound" => EnergyLowerBound(ctx),
            "shift-equivariance" => ShiftEquivariance(ctx),
            "gauge-invariance" => GaugeInvariance(ctx, DefaultGauges(ctx)),
            _ => throw new ArgumentException($"No law named '{law}'. Laws: {string.Join(", ", Names)}.")
        };
    }

    /// <summary>Runs every law on a member whose dissipation is a user's operator (energy: a/2 u^2 on each field plus a gradient term).</summary>
    public static ImmutableArray<LawResult> CheckDissipation(ICustomOperator op, Grid grid, int fields = 1, LawOptions? options = null) =>
        Check(Probe(grid, fields, new Dissipation.Custom(op), null, null), options);

    /// <summary>Runs every law on a member whose conservation is a user's operator.</summary>
    public static ImmutableArray<LawResult> CheckConservation(ICustomOperator op, Grid grid, int fields = 1, LawOptions? options = null) =>
        Check(Probe(grid, fields, null, new Conservation.Custom(op), null), options);

    /// <summary>Runs every law on a member whose energy carries a user's term beside its anchor.</summary>
    public static ImmutableArray<LawResult> CheckEnergyTerm(ICustomEnergy term, Grid grid, int fields = 1, LawOptions? options = null) =>
        Check(Probe(grid, fields, new Dissipation.Mobility(NonNegative.Of(1.0)), new Conservation.Stencil(ParamArray.Fixed(0.5), 1), new EnergyTerm.Custom(term)), options);

    private static Model Probe(Grid grid, int fields, Dissipation? m, Conservation? w, EnergyTerm? extra)
    {
        var anchors = Enumerable.Range(0, fields).Select(f => (Anchor)new Anchor.Quadratic(1.0, f)).ToImmutableArray();
        var terms = Enumerable.Range(0, fields).Select(f => (EnergyTerm)new EnergyTerm.Polynomial(ParamArray.Fixed(0, 0.3, -0.5, 0, 0.25), f)).ToList();
        if (extra is not null) terms.Add(extra);
        return new Model(grid, fields, new Energy(anchors, terms.ToImmutableArray()), m, w);
    }

    // ------------------------------------------------------------------ context

    private sealed class Context
    {
        public Model Model { get; }
        public LawOptions Options { get; }
        public CompiledModel Compiled { get; }
        public Random Rng { get; }
        public Tensor U { get; }
        public int N { get; }
        public double Sqrt { get; }

        public Context(Model model, LawOptions o)
        {
            Model = model;
            Options = o;
            Rng = new Random(unchecked(o.Seed * 1000003 + model.Grid.Sites * 131 + model.Fields));   // fixed mix: reproducible across processes
            Compiled = Dynamics.Compile(model);
            N = model.Fields * model.Grid.Sites;
            Sqrt = Math.Sqrt(N);
            var amplitudes = new[] { 0.05, 0.5, 1.0, 2.0 };
            U = cat(Enumerable.Range(0, o.Batch).Select(_ => RandomMembers.States(Rng, model.Grid, model.Fields, 1, amplitudes[Rng.Next(amplitudes.Length)])).ToArray(), 0);
        }

        public Tensor Gaussian(int batch = -1)
        {
            int b = batch < 0 ? Options.Batch : batch;
            var data = new double[b * N];
            for (int i = 0; i < data.Length; i++)
                data[i] = Math.Sqrt(-2 * Math.Log(1 - Rng.NextDouble())) * Math.Cos(2 * Math.PI * Rng.NextDouble());
            return tensor(data, ScalarType.Float64).reshape(Model.Grid.Shape(b, Model.Fields));
        }

        public double[] Norm(Tensor t) => Compiled.Inner(t, t).sqrt().data<double>().ToArray();
        public double[] Dot(Tensor a, Tensor b) => Compiled.Inner(a, b).data<double>().ToArray();

        /// <summary>An upper estimate of ||A(u)|| (2-norm): sqrt(N) times the largest gain on Gaussian probes.</summary>
        public double OperatorNorm(Func<Tensor, Tensor, Tensor> op)
        {
            double best = 0;
            for (int p = 0; p < Options.Probes; p++)
            {
                var x = Gaussian();
                var gain = Norm(op(U, x)).Zip(Norm(x), (a, b) => a / b).Max();
                best = Math.Max(best, gain);
            }
            return best * Sqrt;
        }

        public double Tol(double scale) => Options.RoundoffFactor * Eps * scale + 1e-300;
    }

    /// <summary>Accumulates checks of one law.</summary>
    private sealed class Tally(string name)
    {
        private int checks, violations;
        private double worst;
        private string? first;

        public void Add(double margin, string what)
        {
            checks++;
            if (double.IsNaN(margin)) margin = double.PositiveInfinity;
            worst = Math.Max(worst, margin);
            if (margin > 1)
            {
                violations++;
                first ??= $"{what} (margin {margin:G3})";
            }
        }

        public void Error(double error, double tolerance, string what) => Add(Math.Abs(error) / tolerance, what);

        /// <summary>Checks value &gt;= -tolerance.</summary>
        public void AtLeast(double value, double tolerance, string what) => Add(value >= 0 ? 0 : -value / tolerance, what);

        public LawResult Result() => new(name, checks, violations, worst, first);
    }

    /// <summary>Shape (-1, 1, ...) that broadcasts one number per sample over a state.</summary>
    private static long[] PerSample(Tensor like) => new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)like.dim() - 1)).ToArray();

    // ------------------------------------------------------------------ operator checks (shared by the closure laws)

    private static void CheckSymmetric(Context c, Func<Tensor, Tensor, Tensor> op, Tally t, string what)
    {
        double norm = c.OperatorNorm(op);
        for (int p = 0; p < c.Options.Probes; p++)
        {
            var x = c.Gaussian(); var y = c.Gaussian();
            var a = c.Dot(x, op(c.U, y)); var b = c.Dot(y, op(c.U, x));
            var nx = c.Norm(x); var ny = c.Norm(y);
            for (int i = 0; i < a.Length; i++) t.Error(a[i] - b[i], c.Tol(c.Sqrt * norm * nx[i] * ny[i]), $"{what}: <x, M y> != <y, M x>");
        }
    }

    private static void CheckAntisymmetric(Context c, Func<Tensor, Tensor, Tensor> op, Tally t, string what)
    {
        double norm = c.OperatorNorm(op);
        for (int p = 0; p < c.Options.Probes; p++)
        {
            var x = c.Gaussian(); var y = c.Gaussian();
            var a = c.Dot(x, op(c.U, y)); var b = c.Dot(y, op(c.U, x)); var d = c.Dot(x, op(c.U, x));
            var nx = c.Norm(x); var ny = c.Norm(y);
            for (int i = 0; i < a.Length; i++)
            {
                t.Error(a[i] + b[i], c.Tol(c.Sqrt * norm * nx[i] * ny[i]), $"{what}: <x, W y> != -<y, W x>");
                t.Error(d[i], c.Tol(c.Sqrt * norm * nx[i] * nx[i]), $"{what}: <x, W x> != 0");
            }
        }
    }

    /// <summary>Quadratic-form probes: Gaussian vectors, every basis vector (small grids) and a few power-iteration directions.</summary>
    private static void CheckPsdProbes(Context c, Func<Tensor, Tensor, Tensor> op, Tally t, string what)
    {
        double norm = c.OperatorNorm(op);
        void Probe(Tensor x, string kind)
        {
            var q = c.Dot(x, op(c.U, x)); var nx = c.Norm(x);
            for (int i = 0; i < q.Length; i++) t.AtLeast(q[i], c.Tol(c.Sqrt * norm * nx[i] * nx[i]), $"{what}: <x, M x> < 0 ({kind} probe)");
        }
        for (int p = 0; p < c.Options.Probes; p++) Probe(c.Gaussian(), "random");
        // Negative diagonal entries (a mobility negative at a few sites) are found by basis probes, every time.
        if (c.N <= c.Options.BasisProbeLimit)
        {
            for (int s = 0; s < c.Options.Batch; s++)
                foreach (var v in Assemble(c, op, s).diagonal().data<double>().ToArray())
                    t.AtLeast(v, c.Tol(c.Sqrt * norm), $"{what}: negative diagonal entry");
        }
        // Power iteration on (norm I - M) towards the lowest eigenvector.
        var z = c.Gaussian();
        for (int k = 0; k < 30; k++)
        {
            z = z.Times(norm) - op(c.U, z);
            var nz = c.Compiled.Inner(z, z).sqrt().AtLeast(1e-300);
            z = z / nz.reshape(PerSample(z));
        }
        Probe(z, "power-iteration");
    }

    /// <summary>Assembles op(u) as an N x N matrix for one state (column j = op e_j).</summary>
    private static Tensor Assemble(Context c, Func<Tensor, Tensor, Tensor> op, int sample)
    {
        var u1 = c.U.narrow(0, sample, 1);
        var basis = eye(c.N, dtype: ScalarType.Float64).reshape(c.Model.Grid.Shape(c.N, c.Model.Fields));
        return op(u1.expand(basis.shape), basis).reshape(c.N, c.N).t();
    }

    private static void CheckSpectrum(Context c, Func<Tensor, Tensor, Tensor> op, Tally t, string what)
    {
        if (c.N > c.Options.AssembleLimit) return;
        for (int s = 0; s < c.Options.Batch; s++)
        {
            var a = Assemble(c, op, s);
            var sym = a.Plus(a.t()).Times(0.5);
            var eig = linalg.eigvalsh(sym).data<double>().ToArray();
            double scale = a.abs().max().item<double>();
            t.AtLeast(eig.Min(), c.Tol(c.N * scale), $"{what}: smallest eigenvalue {eig.Min():G3} of the assembled matrix");
        }
    }

    // ------------------------------------------------------------------ the laws

    /// <summary>A law of one operator (M or W), checked when the member has that operator (else it makes no checks).</summary>
    private static LawResult OnOperator(Context c, string law, bool present, Func<Tensor, Tensor, Tensor> op, string what,
                                        Action<Context, Func<Tensor, Tensor, Tensor>, Tally, string> check)
    {
        var t = new Tally(law);
        if (present) check(c, op, t, what);
        return t.Result();
    }

    private static LawResult OperatorSplit(Context c)
    {
        var t = new Tally("operator-split-psd");
        if (c.Compiled.HasDissipation || c.Compiled.HasConservation)
        {
            CheckSpectrum(c, c.Compiled.Operator, t, "K + K^T");
            if (c.N > c.Options.AssembleLimit) CheckPsdProbes(c, c.Compiled.Operator, t, "K + K^T");
        }
        return t.Result();
    }

    private static Model WithOperators(Model m, Dissipation? d, Conservation? w) => m with { Dissipation = d, Conservation = w };

    /// <summary>A closure law (<c>closure-sum</c>, <c>closure-scaling</c> or <c>closure-congruence</c>) with the given
    /// combinators applied to the member's M and W: what they return must stay symmetric PSD, and antisymmetric. The named
    /// laws use the library's own combinators; exposed so that a broken combinator can be shown to fail.</summary>
    public static LawResult Closure(string law, Model model, Func<Dissipation, Dissipation> dissipation, Func<Conservation, Conservation> conservation,
                                    LawOptions? options = null)
    {
        if (law is not ("closure-sum" or "closure-scaling" or "closure-congruence"))
            throw new ArgumentException($"'{law}' is not a closure law. Closure laws: closure-sum, closure-scaling, closure-congruence.");
        using var scope = NewDisposeScope();
        return ClosureCheck(new Context(model, options ?? LawOptions.Default), law, dissipation, conservation);
    }

    private static LawResult ClosureCheck(Context c, string name, Func<Dissipation, Dissipation> md, Func<Conservation, Conservation> mw)
    {
        var t = new Tally(name);
        if (c.Model.Dissipation is not null)
        {
            var composite = WithOperators(c.Model, md(c.Model.Dissipation), null);
            using var cm = Dynamics.Compile(composite);
            CheckSymmetric(c, cm.Dissipation, t, $"{name} of M");
            CheckPsdProbes(c, cm.Dissipation, t, $"{name} of M");
        }
        if (c.Model.Conservation is not null)
        {
            var composite = WithOperators(c.Model, null, mw(c.Model.Conservation));
            using var cw = Dynamics.Compile(composite);
            CheckAntisymmetric(c, cw.Conservation, t, $"{name} of W");
        }
        return t.Result();
    }

    private static LawResult ClosureSum(Context c)
    {
        var o = RandomMemberOptions.Default;
        var other = RandomMembers.RandomDissipation(c.Rng, o, c.Model.Grid, c.Model.Fields, 0);
        var otherW = RandomMembers.RandomConservation(c.Rng, o, c.Model.Grid, c.Model.Fields, 0);
        return ClosureCheck(c, "closure-sum", m => m + other, w => w + otherW);
    }

    private static LawResult ClosureScaling(Context c)
    {
        double s = RandomMembers.LogUniform(c.Rng, 1e-3, 1e3);
        var weight = RandomMembers.RandomNonNegative(c.Rng, RandomMemberOptions.Default with { MinScale = 1e-2, MaxScale = 1e2 });
        double sw = (c.Rng.Next(2) == 0 ? -1 : 1) * RandomMembers.LogUniform(c.Rng, 1e-3, 1e3);
        return ClosureCheck(c, "closure-scaling", m => new Dissipation.Weighted(weight, new Dissipation.Scaled(s, m)), w => new Conservation.Scaled(sw, w));
    }

    private static LawResult ClosureCongruence(Context c)
    {
        var kind = (DifferenceKind)c.Rng.Next(4);
        var l = new Linear.Difference(kind, c.Rng.Next(c.Model.Grid.Dimensions));
        return ClosureCheck(c, "closure-congruence", m => new Dissipation.Congruence(l, m), w => new Conservation.Congruence(l, w));
    }

    private static LawResult EnergyLaw(Context c)
    {
        var t = new Tally("energy-law");
        var d = c.Compiled.VariationalDerivative(c.U);
        var md = c.Compiled.Dissipation(c.U, d);
        var f = c.Compiled.Rhs(c.U);
        var rate = c.Dot(d, f);
        var diss = c.Dot(d, md);
        double norms = (c.Compiled.HasDissipation ? c.OperatorNorm(c.Compiled.Dissipation) : 0) + (c.Compiled.HasConservation ? c.OperatorNorm(c.Compiled.Conservation) : 0);
        var nd = c.Norm(d);
        for (int i = 0; i < rate.Length; i++)
        {
            double tol = c.Tol(c.Sqrt * norms * nd[i] * nd[i]);
            t.Error(rate[i] + diss[i], tol, "dE/dt != -<dE, M dE>");
            t.AtLeast(-rate[i], tol, "dE/dt > 0");
        }
        return t.Result();
    }

    private static LawResult EnergyConserved(Context c)
    {
        var t = new Tally("energy-conserved-without-dissipation");
        if (!c.Compiled.HasConservation && c.Compiled.HasDissipation) return t.Result();
        // The member with M removed: dE/dt = <dE, -W dE> must vanish.
        using var cw = Dynamics.Compile(WithOperators(c.Model, null, c.Model.Conservation));
        var d = cw.VariationalDerivative(c.U);
        var rate = c.Dot(d, cw.Rhs(c.U));
        double norm = c.Compiled.HasConservation ? c.OperatorNorm(cw.Conservation) : 0;
        var nd = c.Norm(d);
        for (int i = 0; i < rate.Length; i++) t.Error(rate[i], c.Tol(c.Sqrt * norm * nd[i] * nd[i]), "dE/dt != 0 with M absent");
        return t.Result();
    }

    private static LawResult MassConservation(Context c)
    {
        var t = new Tally("mass-conservation");
        if (!Structure.ConservesMass(c.Model) || (!c.Compiled.HasDissipation && !c.Compiled.HasConservation)) return t.Result();
        double norm = c.OperatorNorm(c.Compiled.Operator);
        for (int f = 0; f < c.Model.Fields; f++)
        {
            var one = EnergyCompiler.OnField(c.U, f, ones_like(c.U.select(1, f)));
            var k1 = c.Norm(c.Compiled.Operator(c.U, one));
            var n1 = c.Norm(one);
            for (int i = 0; i < k1.Length; i++) t.Error(k1[i], c.Tol(c.Sqrt * norm * n1[i]), $"K 1 != 0 on field {f}");
            var g = c.Gaussian();
            var flux = c.Dot(one, c.Compiled.Operator(c.U, g));
            var ng = c.Norm(g);
            for (int i = 0; i < flux.Length; i++) t.Error(flux[i], c.Tol(c.Sqrt * norm * n1[i] * ng[i]), $"1^T K g != 0 on field {f}");
        }
        var d = c.Compiled.VariationalDerivative(c.U);
        var massRate = c.Compiled.MassFlux(c.U).data<double>().ToArray();
        var nd = c.Norm(d);
        double vol = Math.Sqrt(c.Model.Grid.Volume);
        for (int i = 0; i < massRate.Length; i++)
            t.Error(massRate[i], c.Tol(c.Sqrt * norm * nd[i / c.Model.Fields] * vol), "d/dt mass != 0 along f");
        return t.Result();
    }

    private static LawResult VariationalDerivativeFd(Context c)
    {
        var t = new Tally("variational-derivative-fd");
        var u = c.U;
        var d = c.Compiled.VariationalDerivative(u);
        var nu = c.Norm(u);
        for (int p = 0; p < 2; p++)
        {
            var v = c.Gaussian();
            var nv = c.Norm(v);
            var scale = tensor(nu.Zip(nv, (a, b) => (a > 0 ? a : 1) / b).ToArray(), ScalarType.Float64).reshape(PerSample(u));
            v = v * scale;
            var ad = c.Dot(d, v);
            double eps = 1e-4;
            double[] Fd(double e)
            {
                var plus = c.Compiled.Energy(u.Plus(v.Times(e))).data<double>().ToArray();
                var minus = c.Compiled.Energy(u - v.Times(e)).data<double>().ToArray();
                return plus.Zip(minus, (a, b) => (a - b) / (2 * e)).ToArray();
            }
            var f1 = Fd(eps); var f2 = Fd(eps / 2);
            var e0 = c.Compiled.Energy(u).data<double>().ToArray();
            var nd = c.Norm(d); var nvs = c.Norm(v);
            for (int i = 0; i < ad.Length; i++)
            {
                double richardson = (4 * f2[i] - f1[i]) / 3;
                double tol = 1e-6 * (Math.Abs(ad[i]) + nd[i] * nvs[i]) + 10 * Math.Abs(f1[i] - f2[i]) + 1e4 * Eps * Math.Abs(e0[i]) / eps + 1e-300;
                t.Error(richardson - ad[i], tol, "<dE, v> differs from the finite-difference derivative of E");
            }
        }
        return t.Result();
    }

    private static LawResult VariationalDerivativeClosed(Context c)
    {
        var t = new Tally("variational-derivative-closed-form");
        var closed = c.Compiled.ClosedFormDerivative(c.U);
        if (closed is null) return t.Result();
        var auto = c.Compiled.AutogradDerivative(c.U);
        var err = c.Norm(closed - auto);
        var nc = c.Norm(closed); var na = c.Norm(auto);
        for (int i = 0; i < err.Length; i++)
            t.Error(err[i], 10 * c.Tol(c.Sqrt * (nc[i] + na[i])) + 1e-300, "closed-form dE != autograd dE");
        return t.Result();
    }

    private static Tensor LeafDirection(Context c)
    {
        var v = c.Gaussian();
        // Along Casimir leaves: when mass is conserved, directions keep the mass of every field.
        if (Structure.ConservesMass(c.Model))
            v = v - v.flatten(2).mean([2L], keepdim: true).reshape(new long[] { v.shape[0], v.shape[1] }.Concat(Enumerable.Repeat(1L, (int)v.dim() - 2)).ToArray());
        return v / tensor(c.Norm(v), ScalarType.Float64).reshape(PerSample(v));
    }

    private static LawResult EnergyCoercive(Context c)
    {
        var t = new Tally("energy-coercive");
        var cert = Coercivity.Certificate(c.Model);
        for (int f = 0; f < cert.Kappa.Length; f++)
            t.Add(cert.Kappa[f] > 0 ? 0 : double.PositiveInfinity, $"field {f} has no coercive growth left (kappa = {cert.Kappa[f]:G3})");
        foreach (var lambda in new[] { 1.0, 10, 100, 1000 })
        {
            var w = c.U.Plus(LeafDirection(c).Times(lambda));
            var e = c.Compiled.Energy(w).data<double>().ToArray();
            var b = cert.Bound(w, c.Model.Grid).data<double>().ToArray();
            for (int i = 0; i < e.Length; i++)
                t.AtLeast(e[i] - b[i], c.Tol(c.Sqrt * (Math.Abs(e[i]) + Math.Abs(b[i]))), $"E(u + {lambda} v) below c lambda^2 ||v||^2 - C");
        }
        return t.Result();
    }

    private static LawResult EnergyLowerBound(Context c)
    {
        var t = new Tally("energy-lower-bound");
        var cert = Coercivity.Certificate(c.Model);
        double lb = cert.LowerBound;
        foreach (var amp in new[] { 1e-3, 0.3, 3.0, 30.0 })
        {
            var w = RandomMembers.States(c.Rng, c.Model.Grid, c.Model.Fields, c.Options.Batch, amp);
            var e = c.Compiled.Energy(w).data<double>().ToArray();
            foreach (var v in e) t.AtLeast(v - lb, c.Tol(c.Sqrt * (Math.Abs(v) + Math.Abs(lb))), $"E = {v:G4} below its certified lower bound {lb:G4}");
            foreach (var custom in CustomTerms(c.Model.Energy.Terms))
            {
                var ev = custom.Energy(w, c.Model.Grid).data<double>().ToArray();
                double clb = custom.LowerBound(c.Model.Grid);
                foreach (var v in ev) t.AtLeast(v - clb, c.Tol(c.Sqrt * (Math.Abs(v) + Math.Abs(clb))), $"custom term '{custom.Formula}' = {v:G4} below its claimed bound {clb:G4}");
            }
        }
        return t.Result();
    }

    private static IEnumerable<ICustomEnergy> CustomTerms(IEnumerable<EnergyTerm> terms) => terms.SelectMany(t => t.CustomParts);

    private static LawResult ShiftEquivariance(Context c)
    {
        var t = new Tally("shift-equivariance");
        if (!Structure.ShiftEquivariant(c.Model)) return t.Result();
        var grid = c.Model.Grid;
        var f = c.Compiled.Rhs(c.U);
        double norm = c.OperatorNorm(c.Compiled.Operator);
        var nd = c.Norm(c.Compiled.VariationalDerivative(c.U));
        for (int p = 0; p < 2; p++)
        {
            var shifts = Enumerable.Range(0, grid.Dimensions).Select(a => (long)c.Rng.Next(1, grid.Points[a])).ToArray();
            var dims = Enumerable.Range(0, grid.Dimensions).Select(a => (long)(2 + a)).ToArray();
            var lhs = c.Compiled.Rhs(c.U.roll(shifts, dims));
            var rhs = f.roll(shifts, dims);
            var err = c.Norm(lhs - rhs);
            for (int i = 0; i < err.Length; i++) t.Error(err[i], c.Tol(c.Sqrt * norm * nd[i]), "f(S u) != S f(u)");
        }
        return t.Result();
    }

    /// <summary>The gauge transformations the law applies: G1, G2 (extreme scales), G3 where mass is a Casimir, and the representative.</summary>
    private static IReadOnlyList<(string Name, Func<Model, Model> Transform)> DefaultGauges(Context c)
    {
        double lambda = RandomMembers.LogUniform(c.Rng, 1e-3, 1e3), constant = (c.Rng.NextDouble() - 0.5) * 1e3;
        var list = new List<(string, Func<Model, Model>)>
        {
            ("G1 (E + c)", m => Gauge.AddConstant(m, constant)),
            ("G2 (K/lambda, lambda E)", m => Gauge.Rescale(m, lambda)),
            ("representative", Gauge.Representative),
        };
        if (Structure.ConservesMass(c.Model))
        {
            var mu = Enumerable.Range(0, c.Model.Fields).Select(_ => c.Rng.NextDouble() * 10 - 5).ToArray();
            list.Add(("G3 (E + mu mass)", m => Gauge.ShiftCasimir(m, mu)));
        }
        return list;
    }

    /// <summary>Gauge invariance of the dynamics: f is unchanged by each transformation (exposed so a broken gauge can be shown to fail).</summary>
    public static LawResult GaugeInvariance(Model model, IReadOnlyList<(string Name, Func<Model, Model> Transform)> gauges, LawOptions? options = null)
    {
        using var scope = NewDisposeScope();
        return GaugeInvariance(new Context(model, options ?? LawOptions.Default), gauges);
    }

    private static LawResult GaugeInvariance(Context c, IReadOnlyList<(string Name, Func<Model, Model> Transform)> gauges)
    {
        var t = new Tally("gauge-invariance");
        if (!c.Compiled.HasDissipation && !c.Compiled.HasConservation) return t.Result();
        var f = c.Compiled.Rhs(c.U);
        double norm = c.OperatorNorm(c.Compiled.Operator);
        var nd = c.Norm(c.Compiled.VariationalDerivative(c.U));
        foreach (var (name, transform) in gauges)
        {
            var g = transform(c.Model);
            using var cg = Dynamics.Compile(g);
            var err = c.Norm(cg.Rhs(c.U) - f);
            // Round-off scales with the transformed member's own dE and K as well (a Casimir shift adds a constant to dE).
            var ndg = c.Norm(cg.VariationalDerivative(c.U));
            double normG = c.OperatorNorm(cg.Operator);
            for (int i = 0; i < err.Length; i++) t.Error(err[i], 10 * c.Tol(c.Sqrt * (norm * nd[i] + normG * ndg[i])), $"{name} changed the dynamics");
        }
        return t.Result();
    }
}
