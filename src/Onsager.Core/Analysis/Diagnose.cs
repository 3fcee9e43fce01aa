using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Analysis;

/// <summary>
/// E(u(t)) along a set of trajectories (data or rollouts) with the step statistics of the issue: the share of steps
/// where E rises (by more than <see cref="Diagnose.RiseTolerance"/> relative to max |E|), and the median and
/// maximum of |E(u_{k+1}) - E(u_k)|.
/// </summary>
public sealed record EnergyTrace(ImmutableArray<double> Times, double[,] Energy, double RiseShare, double MedianStep, double MaxStep)
{
    /// <summary>The number of trajectories traced.</summary>
    public int Trajectories => Energy.GetLength(0);
    /// <summary>The number of frames per trajectory.</summary>
    public int Frames => Energy.GetLength(1);
    /// <summary>The mean over trajectories at each frame.</summary>
    public ImmutableArray<double> Mean => Enumerable.Range(0, Frames).Select(f => Enumerable.Range(0, Trajectories).Average(b => Energy[b, f])).ToImmutableArray();
}

/// <summary>How |E(u_{k+s}) - E(u_k)| scales with the step s dt: median and maximum per step size, and the fitted log-log slopes.</summary>
public sealed record StepScaling(ImmutableArray<double> Dts, ImmutableArray<double> Median, ImmutableArray<double> Max, double MedianSlope, double MaxSlope);

/// <summary>
/// The pointwise density as the energy per volume of a uniform state: F(s) = E(s 1)/|Omega|, F'(s) = dE(s 1) (gradient
/// terms vanish on uniform states, a circulant energy contributes its k = 0 symbol). Gauge-fixed: F(0) = 0 (G1) and, where
/// the mass is a Casimir, F'(0) = 0 (G3). The G2 scale is the model's own.
/// </summary>
public sealed record DensityCurve(int Field, ImmutableArray<double> U, ImmutableArray<double> F, ImmutableArray<double> DF);

/// <summary>
/// A learned density against the truth modulo the gauge: the learned curves are multiplied by the G2 factor
/// <see cref="Scale"/> that best matches F' (least squares); errors are relative L2 over the u grid.
/// </summary>
public sealed record DensityComparison(DensityCurve Model, DensityCurve Truth, double Scale, double RelativeErrorF, double RelativeErrorDF);

/// <summary>
/// Symbols of the operators at a uniform state s, measured by probing with cos(kx) and sin(kx) along axis 0 (so any member,
/// custom pieces included, has one): K_M(k) = &lt;e, M e&gt;/&lt;e, e&gt;, K_W(k) with W e^{ikx} = i K_W(k) e^{ikx}, and the energy's
/// second variation E''(k) along the mode. For multiplier members they are the exact symbols; for state-dependent members
/// they are the linearisation at s. <see cref="Rate"/> = -K_M E'': the growth rate of mode k (negative: it decays), the
/// product that linear data identify.
/// </summary>
public sealed record OperatorSpectrum(double State, ImmutableArray<double> Wavenumbers, ImmutableArray<double> M, ImmutableArray<double> W,
                                      ImmutableArray<double> EnergySymbol)
{
    /// <summary>The decay rate -m e of each mode (dissipation symbol times energy symbol).</summary>
    public ImmutableArray<double> Rate => M.Zip(EnergySymbol, (m, e) => -m * e).ToImmutableArray();
}

/// <summary>
/// Mobility m(s) and transport coefficient b(s) at uniform states s, read off the longest wave k1 = 2 pi / L: m(s) = K_M(k1; s),
/// divided by the forward-difference symbol |D+(k1)|^2 when the member conserves mass (so divergence-form members give their m);
/// b(s) = K_W(k1; s) / D1(k1), D1(k) = sin(k h)/h (so (b D1 + D1 b)/2 gives its b, plus any constant dispersive part at k1).
/// </summary>
public sealed record MobilityCurves(ImmutableArray<double> U, ImmutableArray<double> M, ImmutableArray<double> B, bool DivergenceForm,
                                    bool StateDependentM, bool StateDependentW);

/// <summary>||M dE||_h and ||W dE||_h (means over trajectories) and the dissipation rate &lt;dE, M dE&gt;_h per frame.</summary>
public sealed record VectorFieldSplit(ImmutableArray<double> Times, ImmutableArray<double> Dissipative, ImmutableArray<double> Conservative,
                                      ImmutableArray<double> DissipationRate)
{
    /// <summary>Share of the vector field that is dissipative, sum ||M dE|| / sum (||M dE|| + ||W dE||).</summary>
    public double DissipativeShare => Dissipative.Sum() / Math.Max(Dissipative.Sum() + Conservative.Sum(), double.Epsilon);
}

/// <summary>The energy's order: the slope of log |E(a u0) - E(0)| against log a (a homogeneous E of degree p gives p).</summary>
public sealed record EnergyOrder(ImmutableArray<double> Scales, ImmutableArray<double> Energies, double Order, double SmallScaleSlope, double LargeScaleSlope);

/// <summary>Drift of the invariants along a (long) rollout: max over samples and frames of |mass(t) - mass(0)| per field,
/// and of |E(t) - E(0)| / |E(0)| (meaningful when the member has no dissipation).</summary>
public sealed record Drift(int Steps, double Dt, ImmutableArray<double> MaxMassDrift, double MaxRelativeEnergyDrift, bool ConservesMass, bool Conservative);

/// <summary>Relative rollout error eps(t) = ||u_pred - u||_h / ||u||_h (mean over trajectories) and when it first exceeds 0.1.</summary>
public sealed record RolloutError(ImmutableArray<double> Times, ImmutableArray<double> Relative, double? TimeToTenPercent);

/// <summary>Pure diagnostics of a compiled member on states (float64). States of trajectories have layout (trajectory, frame, field, x[, y]).</summary>
public static class Diagnose
{
    /// <summary>
    /// An energy change counts as a rise when it exceeds this fraction of max |E|. E of float32 data is uncertain at about
    /// 1e-7 relative (KdV data, whose E is conserved, wander by 1e-8 to 1e-7 from frame to frame), so one order above that.
    /// </summary>
    public const double RiseTolerance = 1e-6;

    /// <summary>E(u) at every frame of trajectories (trajectory, frame, field, x[, y]).</summary>
    public static EnergyTrace Energy(CompiledModel m, Tensor trajectories, IReadOnlyList<double> times)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = trajectories.shape[0], f = trajectories.shape[1];
        var flat = trajectories.to(ScalarType.Float64).reshape(new[] { b * f }.Concat(trajectories.shape.Skip(2)).ToArray());
        var e = Chunks.Map(m.Grid, flat, m.Energy).reshape(b, f).data<double>().ToArray();
        var energy = new double[b, f];
        for (int i = 0; i < b; i++) for (int j = 0; j < f; j++) energy[i, j] = e[i * f + j];
        return Trace(energy, times);
    }

    /// <summary>Step statistics of given energies (trajectory, frame); a step rises when it exceeds
    /// <paramref name="riseTolerance"/> (default <see cref="RiseTolerance"/>) of max |E|.</summary>
    public static EnergyTrace Trace(double[,] energy, IReadOnlyList<double> times, double riseTolerance = RiseTolerance)
    {
        int b = energy.GetLength(0), f = energy.GetLength(1);
        double scale = 0;
        foreach (var x in energy) scale = Math.Max(scale, Math.Abs(x));
        var steps = new List<double>();
        int rises = 0;
        for (int i = 0; i < b; i++)
            for (int j = 0; j + 1 < f; j++)
            {
                double d = energy[i, j + 1] - energy[i, j];
                steps.Add(Math.Abs(d));
                if (d > riseTolerance * scale) rises++;
            }
        return new EnergyTrace(times.ToImmutableArray(), energy, steps.Count == 0 ? 0 : (double)rises / steps.Count,
                               Median(steps), steps.Count == 0 ? 0 : steps.Max());
    }

    /// <summary>|E(u_{k+s}) - E(u_k)| for strides s = 1, 2, 4, ... (frames s dt apart), with log-log slopes against s dt.</summary>
    public static StepScaling StepScaling(EnergyTrace trace, double dt, int strides = 4)
    {
        var dts = new List<double>(); var med = new List<double>(); var max = new List<double>();
        for (int s = 1, n = 0; n < strides && s < trace.Frames; s *= 2, n++)
        {
            var d = new List<double>();
            for (int i = 0; i < trace.Trajectories; i++)
                for (int j = 0; j + s < trace.Frames; j += s) d.Add(Math.Abs(trace.Energy[i, j + s] - trace.Energy[i, j]));
            dts.Add(s * dt); med.Add(Median(d)); max.Add(d.Max());
        }
        return new StepScaling(dts.ToImmutableArray(), med.ToImmutableArray(), max.ToImmutableArray(), Slope(dts, med), Slope(dts, max));
    }

    /// <summary>F and F' on <paramref name="points"/> values of s in [lo, hi] for one field (the others held at 0), gauge-fixed.</summary>
    public static DensityCurve Density(CompiledModel m, double lo, double hi, int points = 101, int field = 0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = Linspace(lo, hi, points);
        var shape = m.Grid.Shape(points + 1, m.Fields);
        var u = zeros(shape, ScalarType.Float64);
        var values = tensor(s.Append(0.0).ToArray(), ScalarType.Float64);   // the last sample is s = 0 (the gauge point)
        u[TensorIndex.Colon, field] = values.reshape(new[] { (long)points + 1 }.Concat(Enumerable.Repeat(1L, m.Grid.Dimensions)).ToArray())
                                             .expand(new[] { (long)points + 1 }.Concat(m.Grid.Points.Select(p => (long)p)).ToArray());
        var e = Chunks.Map(m.Grid, u, m.Energy).Over(m.Grid.Volume).data<double>().ToArray();
        var d = Chunks.Map(m.Grid, u, x => m.VariationalDerivative(x)[TensorIndex.Colon, field].flatten(1).mean([1L])).data<double>().ToArray();
        double f0 = e[points], d0 = Structure.ConservesMass(m.Structure) ? d[points] : 0;
        return new DensityCurve(field, s.ToImmutableArray(),
            s.Select((x, i) => e[i] - f0 - d0 * x).ToImmutableArray(), s.Select((_, i) => d[i] - d0).ToImmutableArray());
    }

    /// <summary>A model's density against the truth's on the same u grid, modulo the G2 scale (least squares on F').</summary>
    public static DensityComparison Compare(DensityCurve model, DensityCurve truth)
    {
        if (!model.U.SequenceEqual(truth.U)) throw new ArgumentException("Compare densities on the same u grid.");
        double num = model.DF.Zip(truth.DF, (a, b) => a * b).Sum(), den = model.DF.Sum(a => a * a);
        double c = den > 0 ? num / den : 1;
        var scaled = new DensityCurve(model.Field, model.U, model.F.Select(x => c * x).ToImmutableArray(), model.DF.Select(x => c * x).ToImmutableArray());
        return new DensityComparison(scaled, truth, c, RelativeL2(scaled.F, truth.F), RelativeL2(scaled.DF, truth.DF));
    }

    /// <summary>Probed symbols (see <see cref="OperatorSpectrum"/>) at the uniform state s on field <paramref name="field"/>, modes 0..N/2 along axis 0.</summary>
    public static OperatorSpectrum Spectrum(CompiledModel m, double state = 0, int field = 0, int? maxMode = null)
    {
        int top = maxMode ?? m.Grid.Points[0] / 2;
        // Shift-equivariant members (every class member but a custom piece that depends on x): the operators at a uniform
        // state are Fourier multipliers, so one impulse response gives every mode; else one cos/sin probe pair per mode.
        var (mk, wk, ek) = ImpulseProbe(m, state, field, top) is { } fast ? (fast.M, fast.W, (double[,]?)fast.E) : Probe(m, [state], field, top, withEnergy: true);
        int modes = mk.GetLength(1);
        var k = Enumerable.Range(0, modes).Select(j => 2 * Math.PI * j / m.Grid.Lengths[0]).ToImmutableArray();
        return new OperatorSpectrum(state, k, Row(mk, 0), Row(wk, 0), Row(ek!, 0));
    }

    /// <summary>The symbols of <see cref="Spectrum"/> probed mode by mode with cos(kx) and sin(kx) (one probe pair per mode, any
    /// member); <see cref="Spectrum"/> takes one impulse response instead where the member is shift-equivariant.</summary>
    public static OperatorSpectrum ProbedSpectrum(CompiledModel m, double state = 0, int field = 0, int? maxMode = null)
    {
        var (mk, wk, ek) = Probe(m, [state], field, maxMode ?? m.Grid.Points[0] / 2, withEnergy: true);
        var k = Enumerable.Range(0, mk.GetLength(1)).Select(j => 2 * Math.PI * j / m.Grid.Lengths[0]).ToImmutableArray();
        return new OperatorSpectrum(state, k, Row(mk, 0), Row(wk, 0), Row(ek!, 0));
    }

    /// <summary>
    /// The symbols of <see cref="Probe"/> (one state, modes 0..modes) from impulse responses, for members whose M and W commute
    /// with grid shifts: M, W and the central difference of dE (step 1e-4, as <see cref="Probe"/>) applied to a unit impulse on
    /// the first grid plane of one field; the rfft of the response along axis 0 is the symbol sigma(k), and K_M = Re sigma_M,
    /// K_W = Im sigma_W, E'' = Re sigma_E'' (what a cos/sin pair gives for a multiplier). The energy's multiplier parts go
    /// through the impulse; its pointwise densities are differentiated at the state alone (their central-difference error
    /// matched to the probe's); the others (low-mode and dense networks, custom terms) are probed mode by mode as in
    /// <see cref="Probe"/>. The three add up to the E'' that <see cref="Probe"/> measures.
    /// does not promise shift equivariance, or when a second impulse, a third of the grid further on, does not give the same
    /// response shifted (to 1e-9 of its size).
    /// </summary>
    internal static (double[,] M, double[,] W, double[,] E)? ImpulseProbe(CompiledModel m, double state, int field, int modes)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = m.Grid;
        var model = m.Structure;
        int n0 = g.Points[0], rest = g.Sites / n0, shift = Math.Max(1, n0 / 3), count = modes + 1;
        if (count > n0 / 2 + 1 || model.Dissipation is { PromisesShiftEquivariance: false } || model.Conservation is { PromisesShiftEquivariance: false }) return null;
        var local = m.EnergyParts.Where(p => p.Kind == PartKind.Quadratic && p.Symbol is not null).ToList();
        var densities = m.EnergyParts.Where(p => p.Kind == PartKind.Density).ToList();
        var other = m.EnergyParts.Where(p => !local.Contains(p) && !densities.Contains(p)).ToList();
        var shape = g.Shape(2, m.Fields);
        var values = new double[2 * m.Fields * g.Sites];
        var uniform = new double[values.Length];
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < rest; r++)
            {
                values[(b * m.Fields + field) * g.Sites + (b == 0 ? 0 : shift) * rest + r] = 1;
                for (int i = 0; i < n0; i++) uniform[(b * m.Fields + field) * g.Sites + i * rest + r] = state;
            }
        var p = tensor(values, ScalarType.Float64).reshape(shape);
        var u = tensor(uniform, ScalarType.Float64).reshape(shape);
        const double eps = 1e-4;
        var responses = new[]
        {
            m.Dissipation(u, p), m.Conservation(u, p),
            (PartsDerivative(m, local, u.Plus(p.Times(eps))) - PartsDerivative(m, local, u - p.Times(eps))).Over(2 * eps)
        };
        var symbols = new List<double[]>();
        foreach (var response in responses)
        {
            // the line of the probed field at the first grid point of the other axes: (2, n0)
            var line = response.select(1, field).reshape(2, n0, rest).select(2, 0);
            var first = line[0]; var second = line[1].roll(-shift, 0);
            double size = first.abs().max().item<double>(), gap = (first - second).abs().max().item<double>();
            if (!(gap <= 1e-9 * size)) return null;
            var hat = fft.rfft(first).narrow(0, 0, count);
            symbols.Add(hat.real.contiguous().data<double>().ToArray());
            symbols.Add(hat.imag.contiguous().data<double>().ToArray());
        }
        var energy = symbols[4];
        var x = g.Coordinates(0).ToArray();
        if (densities.Any(d => d.Field == field))
        {
            // A pointwise density F on the probed field: the cos/sin probe's central difference is F''(s) + eps^2/6 F''''(s) T4(k)
            // + O(eps^4), T4(k) = sum(c^4 + s^4) / sum(c^2 + s^2) of the probe's values; F'' and eps^2/6 F'''' from central
            // differences with steps eps and 2 eps (ga = F'' + C, gb = F'' + 4 C), so the symbol equals the probe's.
            var steps = tensor(new[] { eps, -eps, 2 * eps, -2 * eps }, ScalarType.Float64).Plus(state)
                            .reshape(new long[] { 4 }.Concat(Enumerable.Repeat(1L, g.Dimensions)).ToArray()).expand(new long[] { 4 }.Concat(g.Points.Select(q => (long)q)).ToArray());
            double second = 0, fourth = 0;
            foreach (var part in densities.Where(d => d.Field == field))
            {
                var d = (part.DensityDerivative is not null ? part.DensityDerivative(steps) : DiscreteGradient.PointwiseDerivative(part.Density!, steps, false))
                            .flatten(1).select(1, 0).data<double>().ToArray();
                double ga = (d[0] - d[1]) / (2 * eps), gb = (d[2] - d[3]) / (4 * eps);
                second += (4 * ga - gb) / 3; fourth += (gb - ga) / 3;
            }
            for (int j = 0; j < count; j++)
            {
                double k = 2 * Math.PI * j / g.Lengths[0], num = 0, den = 0;
                foreach (var v in x)
                {
                    double c = Math.Cos(k * v), sn = Math.Sin(k * v), c2 = c * c, s2 = sn * sn;
                    num += c2 * c2 + s2 * s2; den += c2 + s2;
                }
                energy[j] += second + fourth * num / den;
            }
        }
        if (other.Count > 0)
        {
            // the other parts mode by mode: cos and sin probes, E'' = (<c, H c> + <s, H s>) / (<c, c> + <s, s>)
            var probe = zeros(g.Shape(2 * count, m.Fields), ScalarType.Float64);
            var along = g.Points.Select((q, a) => a == 0 ? (long)q : 1L).ToArray();
            var full = g.Points.Select(q => (long)q).ToArray();
            for (int j = 0; j < count; j++)
            {
                double k = 2 * Math.PI * j / g.Lengths[0];
                probe[2 * j, field] = tensor(x.Select(v => Math.Cos(k * v)).ToArray(), ScalarType.Float64).reshape(along).expand(full);
                probe[2 * j + 1, field] = tensor(x.Select(v => Math.Sin(k * v)).ToArray(), ScalarType.Float64).reshape(along).expand(full);
            }
            var at = zeros(g.Shape(2 * count, m.Fields), ScalarType.Float64);
            Scalars.With(state, value => at[TensorIndex.Colon, field].fill_(value));
            var hp = Chunks.Map(g, 2 * count, (start, length) =>
            {
                var ui = at.narrow(0, start, length); var pi = probe.narrow(0, start, length);
                return (PartsDerivative(m, other, ui.Plus(pi.Times(eps))) - PartsDerivative(m, other, ui - pi.Times(eps))).Over(2 * eps);
            });
            var cos = probe[TensorIndex.Slice(0, null, 2)]; var sin = probe[TensorIndex.Slice(1, null, 2)];
            var norm = m.Inner(cos, cos).Plus(m.Inner(sin, sin)).data<double>().ToArray();
            var ee = m.Inner(cos, hp[TensorIndex.Slice(0, null, 2)]).Plus(m.Inner(sin, hp[TensorIndex.Slice(1, null, 2)])).data<double>().ToArray();
            energy = energy.Select((e, j) => e + ee[j] / norm[j]).ToArray();
        }
        double[,] AsRow(double[] a) { var r = new double[1, count]; for (int j = 0; j < count; j++) r[0, j] = a[j]; return r; }
        return (AsRow(symbols[0]), AsRow(symbols[3]), AsRow(energy));
    }

    /// <summary>The L2 gradient of the given energy parts at u, composed as <see cref="CompiledModel.LinearPart"/> and
    /// <see cref="CompiledModel.NonlinearPart"/> compose all of them (without the Casimir shift, a constant that central
    /// differences cancel).</summary>
    private static Tensor PartsDerivative(CompiledModel m, IReadOnlyList<EnergyPart> parts, Tensor u)
    {
        Tensor acc = zeros_like(u);
        var open = new List<Func<Tensor, Tensor>>();
        foreach (var p in parts)
        {
            switch (p.Kind)
            {
                case PartKind.Quadratic:
                    acc = acc.Plus(p.Linear!(u));
                    break;
                case PartKind.Density:
                    var s = u.select(1, p.Field);
                    var d = p.DensityDerivative is not null ? p.DensityDerivative(s) : DiscreteGradient.PointwiseDerivative(p.Density!, s, false);
                    acc = acc.Plus(EnergyCompiler.OnField(u, p.Field, d));
                    break;
                case PartKind.General when p.Gradient is not null:
                    acc = acc.Plus(p.Gradient(u));
                    break;
                case PartKind.General:
                    open.Add(p.Value);
                    break;
                default:
                    throw new NotSupportedException($"Unknown energy part {p.Kind}.");
            }
        }
        return open.Count > 0 ? acc.Plus(EnergyCompiler.AutogradGradient(open, u, m.Grid, false)) : acc;
    }

    /// <summary>m(s) and b(s) (see <see cref="MobilityCurves"/>) on <paramref name="points"/> values in [lo, hi].</summary>
    public static MobilityCurves Mobility(CompiledModel m, double lo, double hi, int points = 41, int field = 0)
    {
        var s = Linspace(lo, hi, points);
        var (mk, wk, _) = Probe(m, s, field, 1, withEnergy: false);
        double h = m.Grid.Spacing(0), k1 = 2 * Math.PI / m.Grid.Lengths[0];
        bool divergence = Structure.ConservesMass(m.Structure);
        double dplus = Math.Pow(2 / h * Math.Sin(k1 * h / 2), 2), d1 = Math.Sin(k1 * h) / h;
        var mm = s.Select((_, i) => divergence ? mk[i, 1] / dplus : mk[i, 1]).ToImmutableArray();
        var bb = s.Select((_, i) => wk[i, 1] / d1).ToImmutableArray();
        return new MobilityCurves(s.ToImmutableArray(), mm, bb, divergence, Varies(mm), Varies(bb));
    }

    private static bool Varies(ImmutableArray<double> x)
    {
        double scale = x.Max(Math.Abs);
        return scale > 0 && x.Max() - x.Min() > 1e-9 * scale;
    }

    /// <summary>
    /// Symbols at uniform states: for each state s_i and mode j = 0..modes, K_M, K_W and (optionally) E'' by probing with
    /// cos and sin on one field (central differences of dE with step 1e-4 for E'').
    /// </summary>
    internal static (double[,] M, double[,] W, double[,]? E) Probe(CompiledModel m, IReadOnlyList<double> states, int field, int modes, bool withEnergy)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = m.Grid;
        int n0 = g.Points[0], count = modes + 1, ns = states.Count;
        var x = g.Coordinates(0).ToArray();
        // probes (mode, {cos, sin}) on field `field`, constant along other axes
        var probe = zeros(g.Shape(2 * count, m.Fields), ScalarType.Float64);
        var shapeAlong = new long[] { 1 }.Concat(g.Points.Select((p, a) => a == 0 ? (long)p : 1L)).ToArray();
        for (int j = 0; j < count; j++)
        {
            double k = 2 * Math.PI * j / g.Lengths[0];
            probe[2 * j, field] = tensor(x.Select(v => Math.Cos(k * v)).ToArray(), ScalarType.Float64).reshape(shapeAlong.Skip(1).ToArray()).expand(g.Points.Select(p => (long)p).ToArray());
            probe[2 * j + 1, field] = tensor(x.Select(v => Math.Sin(k * v)).ToArray(), ScalarType.Float64).reshape(shapeAlong.Skip(1).ToArray()).expand(g.Points.Select(p => (long)p).ToArray());
        }
        var mk = new double[ns, count]; var wk = new double[ns, count]; var ek = withEnergy ? new double[ns, count] : null;
        for (int i = 0; i < ns; i++)
        {
            using var perState = NewDisposeScope();                             // state-dependent operators' temporaries die per state
            var u = zeros(g.Shape(2 * count, m.Fields), ScalarType.Float64);
            Scalars.With(states[i], value => u[TensorIndex.Colon, field].fill_(value));
            Tensor Sliced(Func<Tensor, Tensor, Tensor> f) => Chunks.Map(g, 2 * count, (start, length) => f(u.narrow(0, start, length), probe.narrow(0, start, length)));
            var mp = Sliced(m.Dissipation); var wp = Sliced(m.Conservation);
            var cos = probe[TensorIndex.Slice(0, null, 2)]; var sin = probe[TensorIndex.Slice(1, null, 2)];
            var norm = m.Inner(cos, cos).Plus(m.Inner(sin, sin)).data<double>().ToArray();
            var mm = m.Inner(cos, mp[TensorIndex.Slice(0, null, 2)]).Plus(m.Inner(sin, mp[TensorIndex.Slice(1, null, 2)])).data<double>().ToArray();
            // W cos = -phi sin, W sin = phi cos
            var ww = (m.Inner(cos, wp[TensorIndex.Slice(1, null, 2)]) - m.Inner(sin, wp[TensorIndex.Slice(0, null, 2)])).data<double>().ToArray();
            double[]? ee = null;
            if (withEnergy)
            {
                const double eps = 1e-4;
                var hp = Sliced((x, p) => (m.VariationalDerivative(x.Plus(p.Times(eps))) - m.VariationalDerivative(x - p.Times(eps))).Over(2 * eps));
                ee = m.Inner(cos, hp[TensorIndex.Slice(0, null, 2)]).Plus(m.Inner(sin, hp[TensorIndex.Slice(1, null, 2)])).data<double>().ToArray();
            }
            for (int j = 0; j < count; j++)
            {
                double nrm = norm[j];
                mk[i, j] = mm[j] / nrm; wk[i, j] = ww[j] / nrm;
                if (ek is not null) ek[i, j] = ee![j] / nrm;
            }
        }
        _ = n0;
        return (mk, wk, ek);
    }

    /// <summary>The split of the vector field over frames of trajectories (trajectory, frame, field, x[, y]).</summary>
    public static VectorFieldSplit Split(CompiledModel m, Tensor trajectories, IReadOnlyList<double> times)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = trajectories.shape[0], f = trajectories.shape[1];
        var dis = new double[f]; var con = new double[f]; var rate = new double[f];
        for (int j = 0; j < f; j++)
        {
            using var frame = NewDisposeScope();                                // else every frame's temporaries live to the end of the report
            var u = trajectories[TensorIndex.Colon, j].to(ScalarType.Float64);
            var d = m.VariationalDerivative(u);
            var md = m.Dissipation(u, d); var wd = m.Conservation(u, d);
            dis[j] = m.Inner(md, md).sqrt().mean().item<double>();
            con[j] = m.Inner(wd, wd).sqrt().mean().item<double>();
            rate[j] = m.Inner(d, md).mean().item<double>();
        }
        return new VectorFieldSplit(times.ToImmutableArray(), dis.ToImmutableArray(), con.ToImmutableArray(), rate.ToImmutableArray());
    }

    /// <summary>E(a u0) for a in [aMin, aMax] (log-spaced), averaged over the states u0 (batch, field, x[, y]), and the fitted order.</summary>
    public static EnergyOrder Order(CompiledModel m, Tensor u0, double aMin = 0.25, double aMax = 4, int points = 9)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = Enumerable.Range(0, points).Select(i => aMin * Math.Pow(aMax / aMin, i / (double)(points - 1))).ToArray();
        var x = u0.to(ScalarType.Float64);
        double e0 = m.Energy(zeros_like(x)).mean().item<double>();
        var e = a.Select(s => Math.Abs(m.Energy(x.Times(s)).mean().item<double>() - e0)).ToArray();
        var la = a.Select(v => Math.Log(v)).ToList(); var le = e.Select(v => Math.Log(Math.Max(v, double.Epsilon))).ToList();
        return new EnergyOrder(a.ToImmutableArray(), e.ToImmutableArray(), FitSlope(la, le),
                               (le[1] - le[0]) / (la[1] - la[0]), (le[^1] - le[^2]) / (la[^1] - la[^2]));
    }

    /// <summary>Drift of mass and energy along a rollout (from <see cref="Rollout.Run"/>).</summary>
    public static Drift Drift(Model model, Trajectory t, double dt)
    {
        int b = t.Energy.GetLength(0), f = t.Energy.GetLength(1), fields = t.Mass.GetLength(2);
        var mass = new double[fields]; double energy = 0;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < f; j++)
            {
                for (int c = 0; c < fields; c++) mass[c] = Math.Max(mass[c], Math.Abs(t.Mass[i, j, c] - t.Mass[i, 0, c]));
                energy = Math.Max(energy, Math.Abs(t.Energy[i, j] - t.Energy[i, 0]) / Math.Max(Math.Abs(t.Energy[i, 0]), double.Epsilon));
            }
        return new Drift(t.Statistics.Steps, dt, mass.ToImmutableArray(), energy, Structure.ConservesMass(model), model.Dissipation is null);
    }

    /// <summary>eps(t) between predicted and true trajectories of the same layout (trajectory, frame, field, x[, y]).</summary>
    public static RolloutError Error(Tensor predicted, Tensor truth, IReadOnlyList<double> times, double threshold = 0.1)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (!predicted.shape.SequenceEqual(truth.shape))
            throw new ArgumentException($"Predicted ({string.Join(", ", predicted.shape)}) and true ({string.Join(", ", truth.shape)}) trajectories differ in shape.");
        var p = predicted.to(ScalarType.Float64).flatten(2); var u = truth.to(ScalarType.Float64).flatten(2);
        var rel = ((p - u).Squared().sum(2).sqrt() / u.Squared().sum(2).sqrt().AtLeast(1e-300)).mean([0L]).data<double>().ToArray();
        double? first = null;
        for (int j = 0; j < rel.Length; j++) if (rel[j] > threshold) { first = times[j]; break; }
        return new RolloutError(times.ToImmutableArray(), rel.ToImmutableArray(), first);
    }

    // ---- small numerical helpers ----

    internal static double[] Linspace(double lo, double hi, int n) =>
        n == 1 ? [lo] : Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1)).ToArray();

    internal static double Median(IReadOnlyCollection<double> x)
    {
        if (x.Count == 0) return 0;
        var s = x.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    private static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var pts = x.Zip(y).Where(p => p.First > 0 && p.Second > 0).ToList();
        return pts.Count < 2 ? double.NaN : FitSlope(pts.Select(p => Math.Log(p.First)).ToList(), pts.Select(p => Math.Log(p.Second)).ToList());
    }

    private static double FitSlope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum(), sxx = x.Sum(a => (a - mx) * (a - mx));
        return sxx > 0 ? sxy / sxx : double.NaN;
    }

    private static double RelativeL2(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double num = a.Zip(b, (x, y) => (x - y) * (x - y)).Sum(), den = b.Sum(y => y * y);
        return den > 0 ? Math.Sqrt(num / den) : Math.Sqrt(num);
    }

    private static ImmutableArray<double> Row(double[,] a, int i) => Enumerable.Range(0, a.GetLength(1)).Select(j => a[i, j]).ToImmutableArray();
}
