using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Analysis;

/// <summary>Options of <see cref="Identifiability.Analyse"/>.</summary>
/// <param name="Nodes">Nodes of the piecewise-linear bases of F'(u), m(u) and b(u): the data quantiles 0, 1/(Nodes-1), ..., 1.</param>
/// <param name="MaxModes">At most this many modes (the most excited) carry symbol factors.</param>
/// <param name="Excitation">A mode counts as excited by the data when its mean power is at least this fraction of the strongest mode's.</param>
/// <param name="Threshold">sigma_min / sigma_max below this means "not identified" (see <see cref="Identifiability.DefaultThreshold"/>).</param>
/// <param name="EnergySymbols">Include a quadratic energy symbol per mode among the factors (default). Without it the energy
/// can only change through F'(u): the control that shows a heat flag comes from the K(k) E''(k) product, not from the method.</param>
public sealed record IdentifiabilityOptions(int Nodes = 12, int MaxModes = 32, double Excitation = 1e-6, double Threshold = Identifiability.DefaultThreshold,
                                            bool EnergySymbols = true);

/// <summary>A direction of factor space removed before the singular values are read, and how far J moves along it (||J r|| / ||r||, normalised columns).</summary>
public sealed record RemovedDirection(string Name, string Why, double Residual);

/// <summary>
/// The identifiability of a member's physical factors from f(u) on data states (docs/theory.md, section 3.6). <see cref="SingularValues"/>
/// are those of the column-normalised Jacobian d f(u_data) / d factors restricted to the complement of the
/// <see cref="Removed"/> directions (gauges and parametrisation redundancies), descending. <see cref="Ratio"/> =
/// sigma_min / sigma_max; <see cref="Identified"/> = Ratio &gt;= Threshold. <see cref="Weakest"/> tells which factor groups
/// the least identified direction moves (shares of its squared weight) and <see cref="WeakestFactors"/> its largest entries.
/// </summary>
public sealed record IdentifiabilityReport(
    int States, long Rows, ImmutableArray<string> Factors, ImmutableArray<string> Dropped, ImmutableArray<int> Modes,
    ImmutableArray<double> Nodes, ImmutableArray<RemovedDirection> Removed, ImmutableArray<double> SingularValues,
    double Ratio, double Threshold, ImmutableSortedDictionary<string, double> Weakest, ImmutableArray<string> WeakestFactors,
    int NearNull)
{
    /// <summary>Whether M depends on the state (probed at two data quantiles).</summary>
    public bool StateDependentM { get; init; }
    /// <summary>Whether W depends on the state (probed at two data quantiles).</summary>
    public bool StateDependentW { get; init; }

    /// <summary>
    /// Whether the ratio reaches the threshold and no operator depends on the state. A state-dependent M or W trades off
    /// against the energy along whole families of factorisations with the same equation (Burgers: any convex F with
    /// m = nu / F'' and b solving b F'' + b' F' / 2 = u), nonlinear gauges that the local factor basis here does not span,
    /// so its ratio cannot certify the factors.
    /// </summary>
    public bool Identified => Ratio >= Threshold && !StateDependentM && !StateDependentW;

    /// <summary>The factors not identified whatever the ratio: the energy and the state-dependent m(u) (M) and b(u) (W).</summary>
    public ImmutableArray<string> NotIdentified =>
        !StateDependentM && !StateDependentW ? []
        : [.. new[] { "the energy E", StateDependentM ? "the state-dependent M (m(u))" : null, StateDependentW ? "the state-dependent W (b(u))" : null }.OfType<string>()];

    /// <summary>One line: ratio, verdict and what the weakest direction mixes; for a state-dependent member, which factors
    /// are not identified and what is.</summary>
    public string Summary =>
        (NotIdentified.IsEmpty ? "" :
            $"factors NOT identified: {string.Join(", ", NotIdentified)} (M or W depends on u: whole families of factorisations give the same " +
            "equation, e.g. for Burgers any convex F with m = nu/F'', b solving b F'' + b' F'/2 = u); the identifiable read-out is the " +
            "equation (`onsager equation`); within the local factor basis: ") +
        $"sigma_min/sigma_max = {Ratio:G3} ({(Ratio >= Threshold ? "identified" : "NOT identified")} at threshold {Threshold:G2}); " +
        $"{NearNull} direction(s) below threshold; weakest direction: " +
        string.Join(", ", Weakest.Where(kv => kv.Value >= 0.05).OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:P0}"));
}

/// <summary>
/// Local identifiability of the physical factors of a member from its vector field on data (docs/theory.md, section 3.6), measured in a generic
/// factor space around the member rather than on raw network weights:
/// <list type="bullet">
/// <item>energy: F'(u) perturbed by piecewise-linear hats phi_j(u) at data quantiles (dE += c_j phi_j(u)), and a quadratic
/// energy symbol per excited mode (dE += l_k P_k u);</item>
/// <item>dissipation: a symbol per excited mode (M += mu_k P_k) and, when M depends on the state, a mobility m(u) in hats
/// in the member's own form (diag(phi_j(u)); D+^T diag(phi_j(ubar)) D+ for a divergence; L^T diag(phi_j(u)) L for a congruence
/// with a difference L, e.g. the polynomial family's spectral d);</item>
/// <item>conservation: an odd symbol per excited mode (W += i beta_k P_k) and, when W depends on the state, b(u) in hats
/// ((diag(phi_j) D + D diag(phi_j))/2 with the member's first derivative D: central D1, or spectral).</item>
/// </list>
/// J = d f / d factors at the member (f = -(M + W) dE is bilinear in the two sides, so each column is one operator
/// application). Columns are normalised (so the ratio does not depend on how each factor is scaled), then the directions
/// that change nothing by construction are removed: G2 (K up, E down: its coordinates are fitted by least squares, since
/// K and dE are only approximately in the factor span), G3 (F' + const, where mass is a Casimir), and the redundancies of the
/// parametrisation itself (a linear F' equals a constant energy symbol; a constant m(u) or b(u) equals a symbol). What remains
/// is genuine: the heat equation's K(k) E''(k) is only identified as a product per mode, so with both a dissipation and an
/// energy symbol at every excited mode J keeps one null direction per mode (Ratio ~ 1e-16); Allen-Cahn's nonlinear F'
/// pins the split (the theorem of docs/theory.md, section 3.6).
/// </summary>
public static class Identifiability
{
    /// <summary>
    /// sigma_min / sigma_max below 1e-6 is reported as not identified. Why 1e-6: genuine ambiguities are exact null
    /// directions (round-off, ~1e-15 relative); a direction with ratio r changes f by r relative to the best-determined
    /// direction, and data stored in float32 resolve about 6e-8 per value, i.e. ~1e-6 after the few-hundred-fold loss of
    /// fitting noisy windows. Measured on small generated sets (tests/DiagnosticsTests): heat 4.5e-15 with 7 null directions (8 excited modes less G2), Allen-Cahn 0.16.
    /// </summary>
    public const double DefaultThreshold = 1e-6;

    /// <param name="m">The compiled member.</param>
    /// <param name="states">Data states (batch, field, x[, y]) at which f is observed.</param>
    /// <param name="options">Bases, modes and threshold.</param>
    public static IdentifiabilityReport Analyse(CompiledModel m, Tensor states, IdentifiabilityOptions? options = null)
    {
        var o = options ?? new IdentifiabilityOptions();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();                                           // learned parameters: values only (dE still uses autograd inside)
        var g = m.Grid;
        var u = states.to(ScalarType.Float64).detach();
        long batch = u.shape[0];
        var dims = Enumerable.Range(2, g.Dimensions).Select(d => (long)d).ToArray();
        var sizes = g.Points.Select(p => (long)p).ToArray();
        var modeShape = g.Dimensions == 1 ? new long[] { Spectral.ModeCount(g) } : [g.Points[0], g.Points[1] / 2 + 1];

        var dE = m.VariationalDerivative(u).detach();
        var f = -m.Operator(u, dE);

        // --- modes the data excite: canonical rfft entries (a +-k pair is one mode), by mean power of u ---
        var (canon, sign) = Spectral.ModePairs(g);
        var power = fft.rfftn(u, dim: dims).abs().Squared().mean([0L, 1L]).flatten().data<double>().ToArray();
        var byMode = new Dictionary<int, double>();
        for (int j = 0; j < canon.Length; j++) byMode[canon[j]] = byMode.GetValueOrDefault(canon[j]) + power[j];
        double top = byMode.Values.Max();
        var modes = byMode.Where(kv => kv.Value >= o.Excitation * top).OrderByDescending(kv => kv.Value).Take(o.MaxModes)
                          .Select(kv => kv.Key).Order().ToArray();
        Tensor Mask(int c, bool odd)
        {
            var v = new double[canon.Length];
            for (int j = 0; j < canon.Length; j++) if (canon[j] == c) v[j] = odd ? sign[j] : 1;
            return tensor(v, ScalarType.Float64).reshape(modeShape);
        }
        var masks = stack(modes.Select(c => Mask(c, false)).ToArray());        // (K, modes...)
        var oddMasks = stack(modes.Select(c => Mask(c, true)).ToArray());
        var maskShape = new long[] { modes.Length, 1, 1 }.Concat(modeShape).ToArray();
        Tensor Project(Tensor x, Tensor mk, bool imaginary)                        // (K, batch, field, x..)
        {
            var hat = fft.rfftn(x, dim: dims).unsqueeze(0) * mk.reshape(maskShape);
            if (imaginary) hat = hat * complex(tensor(0.0, ScalarType.Float64), tensor(1.0, ScalarType.Float64));
            return fft.irfftn(hat, s: sizes, dim: dims.Select(d => d + 1).ToArray());
        }

        // --- hats at data quantiles ---
        var sorted = u.flatten().sort().Values.data<double>().ToArray();
        var nodes = Enumerable.Range(0, o.Nodes).Select(i => sorted[(int)Math.Round((sorted.Length - 1) * i / (double)(o.Nodes - 1))])
                              .Distinct().ToList();
        double span = nodes[^1] - nodes[0];
        nodes = nodes.Where((x, i) => i == 0 || x - nodes[i - 1] > 1e-9 * Math.Max(span, 1e-300)).ToList();
        if (nodes.Count < 2) throw new ArgumentException("The data states are constant: nothing to identify a density from.");
        Tensor Hat(Tensor x, int j)
        {
            Tensor up = j > 0 ? x.Minus(nodes[j - 1]).Over(nodes[j] - nodes[j - 1]) : ones_like(x);
            Tensor down = j < nodes.Count - 1 ? x.SubtractedFrom(nodes[j + 1]).Over(nodes[j + 1] - nodes[j]) : ones_like(x);
            return minimum(up, down).Between(0, 1);
        }

        // --- state dependence of the operators (probe at two data quantiles) ---
        double lo = sorted[(int)(0.05 * (sorted.Length - 1))], hi = sorted[(int)(0.95 * (sorted.Length - 1))];
        var (pm, pw, _) = Diagnose.Probe(m, [lo, hi], 0, Math.Min(3, g.Points[0] / 2), withEnergy: false);
        bool stateM = Differs(pm), stateW = Differs(pw);
        bool conserves = Structure.ConservesMass(m.Structure);

        // --- columns ---
        var columns = new List<Tensor>(); var labels = new List<string>(); var groups = new List<string>();
        void Add(Tensor c, string label, string group) { if (c.dtype != ScalarType.Float64) throw new InvalidOperationException($"{label}: {c.dtype}"); columns.Add(c.flatten()); labels.Add(label); groups.Add(group); }
        var uRep = u.unsqueeze(0).expand(new long[] { modes.Length }.Concat(u.shape).ToArray()).reshape(u.shape.Select((s, i) => i == 0 ? s * modes.Length : s).ToArray());
        int K = modes.Length;
        string ModeName(int c) => g.Dimensions == 1 ? $"k={c}" : $"mode {c}";

        var pdE = Project(dE, masks, false);
        for (int i = 0; i < K; i++) Add(-pdE[i], $"M symbol {ModeName(modes[i])}", "dissipation symbol");
        var wdE = Project(dE, oddMasks, true);
        for (int i = 0; i < K; i++) Add(-wdE[i], $"W symbol {ModeName(modes[i])}", "conservation symbol");
        if (o.EnergySymbols)
        {
            var pu = Project(u, masks, false).reshape(uRep.shape);
            var lcols = (-m.Operator(uRep, pu)).reshape(new long[] { K }.Concat(u.shape).ToArray());
            for (int i = 0; i < K; i++) Add(lcols[i], $"energy symbol {ModeName(modes[i])}", "energy symbol");
        }
        int hatStart = columns.Count;
        for (int j = 0; j < nodes.Count; j++) Add(-m.Operator(u, Hat(u, j)), $"F'(u={nodes[j]:G3})", "F'(u)");
        int mStart = columns.Count;
        if (stateM)
        {
            var mobility = MobilityDerivative(m.Structure.Dissipation, conserves);
            for (int j = 0; j < nodes.Count; j++) Add(-MobilityPerturbation(Hat(u, j), dE, g, mobility), $"m(u={nodes[j]:G3})", "m(u)");
        }
        int bStart = columns.Count;
        if (stateW)
        {
            var derivative = AdvectionDerivative(m.Structure.Conservation);
            for (int j = 0; j < nodes.Count; j++) Add(-AdvectionPerturbation(Hat(u, j), dE, g, derivative), $"b(u={nodes[j]:G3})", "b(u)");
        }
        int total = columns.Count;

        var J = stack(columns, 1);                                              // (rows, factors)
        var norms = J.Squared().sum([0L]).sqrt();
        double maxNorm = norms.max().item<double>();
        var keep = Scalars.With(1e-10 * maxNorm, floor => norms > floor).data<bool>().ToArray();
        var kept = Enumerable.Range(0, total).Where(i => keep[i]).ToArray();
        var dropped = Enumerable.Range(0, total).Where(i => !keep[i]).Select(i => labels[i]).ToImmutableArray();
        var idx = tensor(kept.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var Jn = J.index_select(1, idx) / norms.index_select(0, idx);          // column-normalised
        var D = norms.index_select(0, idx);                                      // raw -> normalised coordinates: x~ = D x
        int n = kept.Length;
        var pos = new Dictionary<int, int>(); for (int i = 0; i < n; i++) pos[kept[i]] = i;
        bool InGroup(int col, params string[] gs) => gs.Contains(groups[col]);

        // --- directions to remove, in normalised coordinates ---
        var removed = new List<(string Name, string Why, Tensor Dir)>();
        Tensor Raw(Func<int, double> value)                                     // a raw-coordinate vector -> normalised
        {
            var v = new double[n];
            for (int i = 0; i < n; i++) v[i] = value(kept[i]);
            return tensor(v, ScalarType.Float64) * D;
        }
        Tensor LeastSquares(Tensor A, Tensor b) => linalg.pinv(A, rtol: 1e-12).matmul(b);
        {   // G2: f = -K dE; scaling K by (1 + c) and E by (1 - c) leaves f unchanged to first order
            var fk = f.flatten();
            var kCols = Enumerable.Range(0, n).Where(i => !InGroup(kept[i], "energy symbol", "F'(u)")).ToArray();
            var eCols = Enumerable.Range(0, n).Where(i => InGroup(kept[i], "energy symbol", "F'(u)")).ToArray();
            var dir = zeros(n, ScalarType.Float64);
            if (kCols.Length > 0 && eCols.Length > 0)
            {
                var ki = tensor(kCols.Select(i => (long)i).ToArray(), ScalarType.Int64);
                var ei = tensor(eCols.Select(i => (long)i).ToArray(), ScalarType.Int64);
                dir.index_copy_(0, ki, LeastSquares(Jn.index_select(1, ki), fk));
                dir.index_copy_(0, ei, -LeastSquares(Jn.index_select(1, ei), fk));
                removed.Add(("G2 scale", "(K, E) -> (c K, E / c)", dir));
            }
        }
        if (conserves)
            removed.Add(("G3 Casimir shift", "F' + const: K 1 = 0 when mass is conserved", Raw(c => c >= hatStart && c < mStart ? 1 : 0)));
        if (o.EnergySymbols)
            removed.Add(("linear F' = constant energy symbol", "F' + s equals adding 1 to the energy symbol at every mode",
                         Raw(c => c >= hatStart && c < mStart ? nodes[c - hatStart] : groups[c] == "energy symbol" ? -1 : 0)));
        if (stateM) removed.Add(("constant m(u) = dissipation symbol", "m + 1 is a constant operator, i.e. a symbol", Redundancy(mStart, bStart, "dissipation symbol")));
        if (stateW) removed.Add(("constant b(u) = conservation symbol", "b + 1 is D1, i.e. an odd symbol", Redundancy(bStart, total, "conservation symbol")));
        Tensor Redundancy(int start, int end, string symbolGroup)
        {
            var hats = Raw(c => c >= start && c < end ? 1 : 0);
            var symCols = Enumerable.Range(0, n).Where(i => groups[kept[i]] == symbolGroup).ToArray();
            if (symCols.Length == 0) return hats;
            var si = tensor(symCols.Select(i => (long)i).ToArray(), ScalarType.Int64);
            var dir = hats.clone();
            dir.index_copy_(0, si, -LeastSquares(Jn.index_select(1, si), Jn.matmul(hats)));
            return dir;
        }

        // --- restrict to the complement of the removed span and read the singular values ---
        var R = stack(removed.Select(r => r.Dir / r.Dir.norm().AtLeast(1e-300)).ToArray(), 1);     // (n, g)
        var (ur, sr, _) = linalg.svd(R, fullMatrices: false);
        int rank = (int)(sr > sr.max().Times(1e-10)).sum().item<long>();
        var Qr = ur[TensorIndex.Colon, TensorIndex.Slice(0, rank)];
        var projector = eye(n, dtype: ScalarType.Float64) - Qr.matmul(Qr.T);
        var (_, evecs) = linalg.eigh(projector);                               // eigenvalues 0 (removed) then 1 (complement)
        var Qc = evecs[TensorIndex.Colon, TensorIndex.Slice(rank, null)];
        var (_, s, vh) = linalg.svd(Jn.matmul(Qc), fullMatrices: false);
        var sv = s.data<double>().ToArray();
        double ratio = sv.Length == 0 ? 0 : sv[^1] / sv[0];
        var weakest = Qc.matmul(vh[-1]).Squared().data<double>().ToArray();     // squared weights over kept factors (sum 1)
        var share = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++) share[groups[kept[i]]] = share.GetValueOrDefault(groups[kept[i]]) + weakest[i];
        var topFactors = Enumerable.Range(0, n).OrderByDescending(i => weakest[i]).Take(4)
                                   .Select(i => $"{labels[kept[i]]} ({weakest[i]:P0})").ToImmutableArray();
        var residuals = removed.Select(r => (Jn.matmul(r.Dir).norm() / r.Dir.norm().AtLeast(1e-300)).item<double>() / sv[0]).ToList();
        return new IdentifiabilityReport(
            (int)batch, J.shape[0], kept.Select(i => labels[i]).ToImmutableArray(), dropped, modes.ToImmutableArray(),
            nodes.ToImmutableArray<double>(),
            removed.Select((r, i) => new RemovedDirection(r.Name, r.Why, residuals[i])).ToImmutableArray(),
            sv.Select(x => x / sv[0]).ToImmutableArray(), ratio, o.Threshold, share.ToImmutableSortedDictionary(), topFactors,
            sv.Count(x => x / sv[0] < o.Threshold)) { StateDependentM = stateM, StateDependentW = stateW };
    }

    private static bool Differs(double[,] probe)
    {
        double scale = 0, diff = 0;
        for (int j = 1; j < probe.GetLength(1); j++)
        {
            scale = Math.Max(scale, Math.Max(Math.Abs(probe[0, j]), Math.Abs(probe[1, j])));
            diff = Math.Max(diff, Math.Abs(probe[0, j] - probe[1, j]));
        }
        return scale > 0 && diff > 1e-9 * scale;
    }

    /// <summary>How the member's state-dependent mobility differentiates: D+ with m at half points (a divergence), L^T diag(m(u)) L
    /// of a difference L (a congruence), or none (diag(m(u)), L2 relaxation).</summary>
    internal sealed record MobilityForm(DifferenceKind? Kind, bool HalfPoint, int Axis);

    /// <summary>The form of the mobility pieces of <paramref name="d"/> when they agree; else D+ at half points on
    /// mass-conserving members and diag(m(u)) on the others.</summary>
    internal static MobilityForm MobilityDerivative(Dissipation? d, bool conserves)
    {
        var forms = new List<MobilityForm>();
        void Walk(Dissipation x)
        {
            switch (x)
            {
                case Dissipation.Divergence: forms.Add(new MobilityForm(DifferenceKind.Forward, true, -1)); break;
                case Dissipation.Mobility: forms.Add(new MobilityForm(null, false, -1)); break;
                case Dissipation.Congruence { L: Linear.Difference l, Inner: Dissipation.Mobility }: forms.Add(new MobilityForm(l.Kind, false, l.Axis)); break;
                case Dissipation.Sum sum: foreach (var t in sum.Terms) Walk(t); break;
                case Dissipation.Scaled sc: Walk(sc.Inner); break;
                case Dissipation.Weighted w: Walk(w.Inner); break;
                default: break;                                                 // constant pieces and customs carry no m(u) form
            }
        }
        if (d is not null) Walk(d);
        var distinct = forms.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : conserves ? new MobilityForm(DifferenceKind.Forward, true, -1) : new MobilityForm(null, false, -1);
    }

    /// <summary>The first derivative of the member's advection pieces when they agree (central or spectral), else central D1.</summary>
    internal static DifferenceKind AdvectionDerivative(Conservation? w)
    {
        var kinds = new List<DifferenceKind>();
        void Walk(Conservation x)
        {
            switch (x)
            {
                case Conservation.Advection a: kinds.Add(a.Derivative); break;
                case Conservation.Sum sum: foreach (var t in sum.Terms) Walk(t); break;
                case Conservation.Scaled sc: Walk(sc.Inner); break;
                default: break;                                                 // constant pieces and customs carry no b(u)
            }
        }
        if (w is not null) Walk(w);
        var distinct = kinds.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : DifferenceKind.Central;
    }

    // diag(phi(u)) g; sum over axes D+^T diag(phi(ubar)) D+ g (divergence); or L^T diag(phi(u)) L g (congruence).
    private static Tensor MobilityPerturbation(Tensor phiOfU, Tensor g, Grid grid, MobilityForm form)
    {
        if (form.Kind is not { } kind) return phiOfU * g;
        if (!form.HalfPoint) return Stencils.ApplyTranspose(kind, phiOfU * Stencils.Apply(kind, g, grid, form.Axis), grid, form.Axis);
        Tensor? acc = null;
        for (int axis = 0; axis < grid.Dimensions; axis++)
        {
            var phiHalf = Stencils.HalfPoint(phiOfU, axis);
            var term = Stencils.ForwardTranspose(phiHalf * Stencils.Forward(g, grid, axis), grid, axis);
            acc = acc is null ? term : acc.Plus(term);
        }
        return acc!;
    }

    // (diag(phi) D + D diag(phi)) / 2 g along axis 0, with the member's first derivative D (central D1 or spectral).
    private static Tensor AdvectionPerturbation(Tensor phiOfU, Tensor g, Grid grid, DifferenceKind derivative) =>
        (phiOfU * Stencils.Apply(derivative, g, grid, 0)).Plus(Stencils.Apply(derivative, phiOfU * g, grid, 0)).Times(0.5);
}
