using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Onsager.Data;
using ScottPlot;

namespace Onsager;

/// <summary>What <see cref="Report.Write"/> wrote: the markdown file and the PNGs (file names relative to the folder).</summary>
public sealed record ReportFiles(string Directory, string Markdown, ImmutableArray<string> Images);

/// <summary>
/// Renders a <see cref="DiagnosisResult"/> as PNGs (ScottPlot) and a self-contained report.md. The facade owns this because it
/// writes files; the numbers all come from the pure functions of <see cref="Diagnose"/> and <see cref="Identifiability"/>.
/// </summary>
public static class Report
{
    private const int Width = 1000, Height = 520;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static string G(double x, int digits = 3) => double.IsFinite(x) ? x.ToString("G" + digits, Inv) : x.ToString(Inv);

    /// <summary>Writes the diagnosis's figures and report into the directory.</summary>
    public static ReportFiles Write(DiagnosisResult d, string directory, ClassCheckVerdict? classCheck = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var images = new List<string>();
        string Save(Plot plot, string name, int width = Width, int height = Height)
        {
            plot.SavePng(Path.Combine(directory, name), width, height);
            images.Add(name);
            return name;
        }

        Save(EnergyPlot(d), "energy.png");
        Save(StepScalingPlot(d), "energy-steps.png");
        Save(DensityPlot(d, derivative: false), "density-F.png");
        Save(DensityPlot(d, derivative: true), "density-dF.png");
        Save(SpectrumPlot(d), "spectrum.png");
        Save(MobilityPlot(d), "mobility.png");
        Save(SplitPlot(d), "split.png");
        Save(DissipationRatePlot(d), "dissipation-rate.png");
        Save(OrderPlot(d), "energy-order.png");
        Save(IdentifiabilityPlot(d.Identifiability), "identifiability.png");
        Save(ErrorPlot(d), "rollout-error.png");
        var (pred, truth, err) = FieldImages(d);
        Save(pred, "field-prediction.png"); Save(truth, "field-truth.png"); Save(err, "field-error.png");

        var md = Path.Combine(directory, "report.md");
        Atomic.WriteText(md, Markdown(d, classCheck));
        return new ReportFiles(directory, md, [.. images]);
    }

    // ---------------- plots ----------------

    private static Plot New(string title, string x, string y)
    {
        var p = new Plot();
        p.Title(title);
        p.XLabel(x);
        p.YLabel(y);
        return p;
    }

    private static void Line(Plot p, IReadOnlyList<double> x, IReadOnlyList<double> y, string? label, Color color, bool dashed = false, bool markers = false)
    {
        var s = p.Add.Scatter(x.ToArray(), y.ToArray(), color);
        s.MarkerSize = markers ? 6 : 0;
        s.LineWidth = 2;
        if (dashed) s.LinePattern = LinePattern.Dashed;
        if (label is not null) s.LegendText = label;
    }

    private static readonly Color[] Palette = [Colors.C0, Colors.C1, Colors.C2, Colors.C3, Colors.C4, Colors.C5, Colors.C6, Colors.C7];

    private static Plot EnergyPlot(DiagnosisResult d)
    {
        var p = New($"Energy along test trajectories ({d.DataName}; solid: data, dashed with dots: {d.Scheme} rollout)", "time t", "E(u(t))");
        for (int b = 0; b < d.DataEnergy.Trajectories; b++)
        {
            var c = Palette[b % Palette.Length];
            Line(p, d.DataEnergy.Times, Row(d.DataEnergy.Energy, b), $"data #{d.TestTrajectories[b]}", c);
            Line(p, d.RolloutEnergy.Times, Row(d.RolloutEnergy.Energy, b), $"rollout #{d.TestTrajectories[b]}", c, dashed: true, markers: true);
        }
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot StepScalingPlot(DiagnosisResult d)
    {
        var p = New("Energy change per step against the step size", "log10 step dt", "log10 |E(u_k+1) - E(u_k)|");
        void Add(StepScaling s, string who, Color c)
        {
            var x = s.Dts.Select(Math.Log10).ToArray();
            Line(p, x, s.Median.Select(Log10).ToArray(), $"{who}: median (slope {G(s.MedianSlope, 2)})", c, markers: true);
            Line(p, x, s.Max.Select(Log10).ToArray(), $"{who}: max (slope {G(s.MaxSlope, 2)})", c, dashed: true, markers: true);
        }
        Add(d.DataScaling, "data", Colors.C0);
        Add(d.RolloutScaling, "rollout", Colors.C1);
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot DensityPlot(DiagnosisResult d, bool derivative)
    {
        string what = derivative ? "F'(u)" : "F(u)";
        var p = New($"Pointwise energy density {what} (gauge: F(0) = 0{(Structure.ConservesMass(d.Model) ? ", F'(0) = 0" : "")})", "u", what);
        for (int i = 0; i < d.Density.Length; i++)
        {
            var curve = d.DensityVsTruth.IsDefaultOrEmpty ? d.Density[i] : d.DensityVsTruth[i].Model;
            string scale = d.DensityVsTruth.IsDefaultOrEmpty ? "" : $" (x {G(d.DensityVsTruth[i].Scale)}, G2 gauge)";
            Line(p, curve.U, derivative ? curve.DF : curve.F, $"model{(d.Density.Length > 1 ? $" field {i}" : "")}{scale}", Palette[2 * i % 8]);
            if (!d.DensityVsTruth.IsDefaultOrEmpty)
            {
                var t = d.DensityVsTruth[i].Truth;
                Line(p, t.U, derivative ? t.DF : t.F, "truth (known member)", Colors.Black, dashed: true);
            }
        }
        // the data's range
        var lo = p.Add.VerticalLine(d.DataMin); lo.LinePattern = LinePattern.Dotted; lo.Color = Colors.Gray; lo.LegendText = "data range";
        var hi = p.Add.VerticalLine(d.DataMax); hi.LinePattern = LinePattern.Dotted; hi.Color = Colors.Gray;
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot SpectrumPlot(DiagnosisResult d)
    {
        // signed log scale: E'' (and the rate) change sign where a mode is linearly unstable (Allen-Cahn at u = 0, k < 10)
        var p = New("Operator symbols at u = 0 (dashed: truth)", "wavenumber k", "sign(s) log10(1 + |s|)");
        void Add(OperatorSpectrum s, bool truth)
        {
            var k = s.Wavenumbers.Skip(1).ToArray();
            string suffix = truth ? " truth" : "";
            Line(p, k, s.M.Skip(1).Select(SymLog).ToArray(), "K_M(k)" + suffix, Colors.C0, dashed: truth);
            if (s.W.Any(w => w != 0)) Line(p, k, s.W.Skip(1).Select(SymLog).ToArray(), "K_W(k)" + suffix, Colors.C1, dashed: truth);
            Line(p, k, s.EnergySymbol.Skip(1).Select(SymLog).ToArray(), "E''(k)" + suffix, Colors.C2, dashed: truth);
            Line(p, k, s.Rate.Skip(1).Select(x => SymLog(-x)).ToArray(), "K_M E'' (decay rate)" + suffix, Colors.C3, dashed: truth);
        }
        Add(d.Spectrum, false);
        if (d.TruthSpectrum is not null) Add(d.TruthSpectrum, true);
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot MobilityPlot(DiagnosisResult d)
    {
        string m = d.Mobility.DivergenceForm ? "m(u) (divergence form)" : "m(u)";
        var p = New("Mobility and transport coefficient at uniform states (dashed: truth)", "u", "m(u), b(u)");
        Line(p, d.Mobility.U, d.Mobility.M, m, Colors.C0);
        Line(p, d.Mobility.U, d.Mobility.B, "b(u)", Colors.C1);
        if (d.TruthMobility is { } t)
        {
            Line(p, t.U, t.M, "m(u) truth", Colors.C0, dashed: true);
            Line(p, t.U, t.B, "b(u) truth", Colors.C1, dashed: true);
        }
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot SplitPlot(DiagnosisResult d)
    {
        var p = New("Split of the vector field over the data", "time t", "norm (L2_h), mean over trajectories");
        Line(p, d.Split.Times, d.Split.Dissipative, "||M dE||", Colors.C0);
        Line(p, d.Split.Times, d.Split.Conservative, "||W dE||", Colors.C1);
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot DissipationRatePlot(DiagnosisResult d)
    {
        var p = New("Dissipation rate over the data (dE/dt = -rate)", "time t", "<dE, M dE>_h");
        Line(p, d.Split.Times, d.Split.DissipationRate, "<dE, M dE>", Colors.C3);
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot OrderPlot(DiagnosisResult d)
    {
        var o = d.Order;
        var p = New($"Energy order: slope {G(o.Order)} (small a: {G(o.SmallScaleSlope)}, large a: {G(o.LargeScaleSlope)})",
                    "log10 a", "log10 |E(a u0) - E(0)|");
        Line(p, o.Scales.Select(Math.Log10).ToArray(), o.Energies.Select(Log10).ToArray(), "E(a u0), mean over test u0", Colors.C0, markers: true);
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot IdentifiabilityPlot(IdentifiabilityReport r)
    {
        var p = New($"Identifiability: singular values of d f / d factors (gauges removed); ratio {G(r.Ratio)}",
                    "index", "log10 sigma_i / sigma_max");
        Line(p, Enumerable.Range(1, r.SingularValues.Length).Select(i => (double)i).ToArray(), r.SingularValues.Select(Log10).ToArray(),
             "singular values", Colors.C0, markers: true);
        var t = p.Add.HorizontalLine(Math.Log10(r.Threshold));
        t.LinePattern = LinePattern.Dashed; t.Color = Colors.Red; t.LegendText = $"threshold {G(r.Threshold)}";
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static Plot ErrorPlot(DiagnosisResult d)
    {
        var p = New($"Rollout error ({d.Scheme}, from frame 0 of the test trajectories)", "time t", "||u_pred - u||_h / ||u||_h");
        Line(p, d.Error.Times, d.Error.Relative, "relative error (mean)", Colors.C3, markers: d.Error.Times.Length < 30);
        p.ShowLegend(Edge.Right);
        return p;
    }

    private static (Plot Prediction, Plot Truth, Plot Error) FieldImages(DiagnosisResult d)
    {
        // first test trajectory, field 0, the line y = 0 on 2D grids; rows = time (bottom t = 0), columns = x
        double[,] Slice(ModelTrajectories t)
        {
            int frames = t.Frames, n = d.Grid.Points[0], fields = (int)t.Shape[2];
            int stride = d.Grid.Dimensions == 1 ? 1 : d.Grid.Points[1];
            long per = (long)fields * d.Grid.Sites;
            var a = new double[frames, n];
            for (int f = 0; f < frames; f++)
                for (int i = 0; i < n; i++) a[frames - 1 - f, i] = t.Values[f * per + i * stride];
            return a;
        }
        var pred = Slice(d.Predicted); var truth = Slice(d.Observed);
        var err = new double[pred.GetLength(0), pred.GetLength(1)];
        for (int i = 0; i < err.GetLength(0); i++) for (int j = 0; j < err.GetLength(1); j++) err[i, j] = pred[i, j] - truth[i, j];
        double lo = Math.Min(Min(pred), Min(truth)), hi = Math.Max(Max(pred), Max(truth));
        Plot Image(double[,] a, string title, string label, double? min = null, double? max = null)
        {
            var p = New(title, "x", "time t");
            var h = p.Add.Heatmap(a);
            h.Extent = new CoordinateRect(0, d.Grid.Lengths[0], 0, d.Observed.Times[^1]);
            h.Colormap = new ScottPlot.Colormaps.Viridis();
            if (min is not null) h.ManualRange = new ScottPlot.Range(min.Value, max!.Value);
            var bar = p.Add.ColorBar(h);
            bar.Label = label;
            return p;
        }
        double e = Math.Max(Math.Max(-Min(err), Max(err)), 1e-300);
        string where = d.Grid.Dimensions == 1 ? "" : " (line y = 0)";
        return (Image(pred, $"Prediction u(x, t), trajectory #{d.TestTrajectories[0]}{where}", "u", lo, hi),
                Image(truth, $"Data u(x, t), trajectory #{d.TestTrajectories[0]}{where}", "u", lo, hi),
                Image(err, $"Error prediction - data (max |error| {G(e)})", "u_pred - u", -e, e));
    }

    // ---------------- markdown ----------------

    /// <summary>
    /// <see cref="ClassCheck"/>'s full verdict when one was saved (<paramref name="classCheck"/>, from `check-class --out`);
    /// else its energy half, by its rule (rises above its tolerance of max |E| in at most its share of frame steps), on the
    /// test trajectories the report traces, said to be half: the other half, the error against an unconstrained fit at an
    /// equal budget, needs that fit, which `onsager check-class` makes.
    /// </summary>
    public static string ClassLine(DiagnosisResult d, ClassCheckVerdict? classCheck = null)
    {
        if (classCheck is { } full)
            return $"**Class check: {full.Verdict}** (check-class on `{full.Data ?? "unrecorded data"}`" +
                   (full.Data is { } p && !SamePath(p, d.DataPath) ? $"; this report diagnoses `{d.DataPath}`, other data)." : ").");
        var rule = new ClassCheckOptions();
        double rises = Diagnose.Trace(d.DataEnergy.Energy, d.DataEnergy.Times, rule.RiseTolerance).RiseShare;
        bool ok = rises <= rule.MaxRiseShare;
        return string.Format(CultureInfo.InvariantCulture,
            "**Class check (energy): {0}** — the member's energy rises along the test data in {1:P1} of frame steps ({2} {3:P0}, check-class's rule); " +
            "this is half of the verdict: for the other half (the comparison with an unconstrained fit at an equal budget) run " +
            "`onsager check-class --data {4} --out MODEL/" + ClassCheckVerdict.FileName + "` and report again.",
            ok ? "consistent with the Onsager class" : "not consistent with the Onsager class", rises, ok ? "at most" : "more than", rule.MaxRiseShare, d.DataPath);
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);

    /// <summary>The diagnosis as a markdown report.</summary>
    public static string Markdown(DiagnosisResult d, ClassCheckVerdict? classCheck = null)
    {
        var s = new StringBuilder();
        var r = d.Identifiability;
        s.AppendLine($"# Diagnostics: {d.Model.Describe()}");
        s.AppendLine();
        s.AppendLine(ClassLine(d, classCheck));
        s.AppendLine();
        s.AppendLine($"Data: `{d.DataPath}` ({d.DataName}), grid {d.Grid}, dt {G(d.Dt)}; test trajectories {string.Join(", ", d.TestTrajectories)} " +
                     $"(the reference split: the last 10 % in file order); rollouts with `{d.Scheme}` at the data's dt. " +
                     (d.Truth is null ? "The data name no known member: no truth to compare with." : $"Truth: `{d.Truth.Describe()}`."));
        s.AppendLine();
        s.AppendLine("## Summary");
        s.AppendLine();
        s.AppendLine("| quantity | value |");
        s.AppendLine("|---|---|");
        s.AppendLine($"| identifiability sigma_min / sigma_max | {G(r.Ratio)} ({(r.Identified ? "identified" : "**not identified**")}, threshold {G(r.Threshold)}) |");
        s.AppendLine($"| energy rises (data / rollout), share of steps | {G(d.DataEnergy.RiseShare)} / {G(d.RolloutEnergy.RiseShare)} |");
        s.AppendLine($"| rollout error at the last frame | {G(d.Error.Relative[^1])} |");
        s.AppendLine($"| time at which the rollout error first exceeds 0.1 | {(d.Error.TimeToTenPercent is { } tt ? G(tt) : "never within the data")} |");
        s.AppendLine($"| energy order (slope of log E(a u0)) | {G(d.Order.Order)} |");
        s.AppendLine($"| dissipative share of the vector field | {G(d.Split.DissipativeShare)} |");
        if (!d.DensityVsTruth.IsDefaultOrEmpty)
            s.AppendLine($"| F' against the truth (relative L2, after the G2 scale) | {string.Join(", ", d.DensityVsTruth.Select(c => G(c.RelativeErrorDF)))} |");
        if (d.TruthSpectrum is { } ts)
            s.AppendLine($"| growth rate -K_M E'' against the truth (max over k of the difference / max abs(truth)) | {G(MaxRelative(d.Spectrum.Rate, ts.Rate))} |");
        if (d.TruthMobility is { } tm)
            s.AppendLine($"| m(u), b(u) against the truth (max difference / max abs(truth)) | {G(MaxRelative(d.Mobility.M, tm.M))}, {G(MaxRelative(d.Mobility.B, tm.B))} |");
        s.AppendLine($"| max mass drift over {d.Drift.Steps} steps | {string.Join(", ", d.Drift.MaxMassDrift.Select(x => G(x)))}{(d.Drift.ConservesMass ? "" : " (the member does not conserve mass)")} |");
        if (d.Drift.Conservative) s.AppendLine($"| max relative energy drift over {d.Drift.Steps} steps (no dissipation) | {G(d.Drift.MaxRelativeEnergyDrift)} |");
        s.AppendLine();

        s.AppendLine("## Energy along the test trajectories");
        s.AppendLine();
        s.AppendLine("E(u(t)) of the model's energy on the data (solid) and on its own rollout from the same initial state (dashed). " +
                     $"A step counts as a rise when E grows by more than {G(Diagnose.RiseTolerance)} x max |E|.");
        s.AppendLine();
        s.AppendLine("![energy](energy.png)");
        s.AppendLine();
        s.AppendLine("| | share of rising steps | median abs(dE) per step | max abs(dE) per step | slope of median vs dt | slope of max vs dt |");
        s.AppendLine("|---|---|---|---|---|---|");
        s.AppendLine($"| data | {G(d.DataEnergy.RiseShare)} | {G(d.DataEnergy.MedianStep)} | {G(d.DataEnergy.MaxStep)} | {G(d.DataScaling.MedianSlope)} | {G(d.DataScaling.MaxSlope)} |");
        s.AppendLine($"| rollout | {G(d.RolloutEnergy.RiseShare)} | {G(d.RolloutEnergy.MedianStep)} | {G(d.RolloutEnergy.MaxStep)} | {G(d.RolloutScaling.MedianSlope)} | {G(d.RolloutScaling.MaxSlope)} |");
        s.AppendLine();
        s.AppendLine("How the per-step change scales with the step (frames s dt apart, s = 1, 2, 4, 8; slope 1 means a smooth E(t)):");
        s.AppendLine();
        s.AppendLine("![energy steps](energy-steps.png)");
        s.AppendLine();

        s.AppendLine("## Pointwise energy density");
        s.AppendLine();
        s.AppendLine("F(s) = E(s 1) / |Omega| and F'(s) = dE(s 1): the energy per volume of a uniform state (gradient terms vanish there). " +
                     "Gauge: F(0) = 0 (G1)" + (Structure.ConservesMass(d.Model) ? " and F'(0) = 0 (G3: the mass is a Casimir)" : "") +
                     (d.DensityVsTruth.IsDefaultOrEmpty ? "." : "; the model's curves are multiplied by the G2 factor that best matches the truth's F' (K / c, c E is the same member)."));
        s.AppendLine();
        s.AppendLine("![F](density-F.png)");
        s.AppendLine();
        s.AppendLine("![F'](density-dF.png)");
        s.AppendLine();
        if (!d.DensityVsTruth.IsDefaultOrEmpty)
        {
            s.AppendLine("| field | G2 scale c | relative error of F | relative error of F' |");
            s.AppendLine("|---|---|---|---|");
            foreach (var c in d.DensityVsTruth) s.AppendLine($"| {c.Model.Field} | {G(c.Scale)} | {G(c.RelativeErrorF)} | {G(c.RelativeErrorDF)} |");
            s.AppendLine();
        }

        s.AppendLine("## Operators");
        s.AppendLine();
        s.AppendLine("Symbols probed with cos(kx) and sin(kx) at u = 0: K_M(k) = <e, M e>/<e, e>, W e^{ikx} = i K_W(k) e^{ikx}, E''(k) the second " +
                     "variation of E along the mode; K_M E'' is the decay rate of mode k (negative: the mode grows), the only combination that linear data identify.");
        s.AppendLine();
        s.AppendLine("![spectrum](spectrum.png)");
        s.AppendLine();
        s.AppendLine("| k | K_M | K_W | E'' | K_M E'' |" + (d.TruthSpectrum is null ? "" : " truth K_M | truth E'' | truth K_M E'' |"));
        s.AppendLine("|---|---|---|---|---|" + (d.TruthSpectrum is null ? "" : "---|---|---|"));
        foreach (int j in SpectrumRows(d.Spectrum.Wavenumbers.Length))
        {
            var sp = d.Spectrum;
            s.Append($"| {G(sp.Wavenumbers[j])} | {G(sp.M[j])} | {G(sp.W[j])} | {G(sp.EnergySymbol[j])} | {G(-sp.Rate[j])} |");
            if (d.TruthSpectrum is { } t) s.Append($" {G(t.M[j])} | {G(t.EnergySymbol[j])} | {G(-t.Rate[j])} |");
            s.AppendLine();
        }
        s.AppendLine();
        s.AppendLine($"Mobility m(u) and transport coefficient b(u) at uniform states, read off the longest wave " +
                     $"(m {(d.Mobility.StateDependentM ? "depends" : "does not depend")} on u; b {(d.Mobility.StateDependentW ? "depends" : "does not depend")} on u" +
                     (d.Mobility.DivergenceForm ? "; m is divided by |D+(k1)|^2 since the member conserves mass" : "") + "):");
        s.AppendLine();
        s.AppendLine("![mobility](mobility.png)");
        s.AppendLine();

        s.AppendLine("## Split of the vector field and dissipation");
        s.AppendLine();
        s.AppendLine($"Mean over the test trajectories; dissipative share sum norm(M dE) / sum (norm(M dE) + norm(W dE)) = {G(d.Split.DissipativeShare)}.");
        s.AppendLine();
        s.AppendLine("![split](split.png)");
        s.AppendLine();
        s.AppendLine("![dissipation rate](dissipation-rate.png)");
        s.AppendLine();

        s.AppendLine("## Energy order");
        s.AppendLine();
        s.AppendLine($"Fit of log |E(a u0) - E(0)| against log a for a in [{G(d.Order.Scales[0])}, {G(d.Order.Scales[^1])}] over the test initial states: " +
                     $"slope {G(d.Order.Order)} (first segment {G(d.Order.SmallScaleSlope)}, last {G(d.Order.LargeScaleSlope)}). A quadratic energy gives 2, a quartic well 4 at large a.");
        s.AppendLine();
        s.AppendLine("![order](energy-order.png)");
        s.AppendLine();

        s.AppendLine("## Identifiability");
        s.AppendLine();
        s.AppendLine($"Jacobian of f(u) on {r.States} data states ({r.Rows} values) with respect to the physical factors: F'(u) at {r.Nodes.Length} data quantiles " +
                     $"({string.Join(", ", r.Nodes.Select(x => G(x)))}), an energy, a dissipation and a conservation symbol at each of the {r.Modes.Length} modes the data excite" +
                     (r.Factors.Any(f => f.StartsWith("m(")) ? ", m(u) at the quantiles" : "") + (r.Factors.Any(f => f.StartsWith("b(")) ? ", b(u) at the quantiles" : "") +
                     $": {r.Factors.Length} factors" + (r.Dropped.IsEmpty ? "" : $" ({r.Dropped.Length} dropped: f does not depend on them on these data: {string.Join(", ", r.Dropped)})") +
                     ". Columns are normalised; then these directions, which change nothing by construction, are removed:");
        s.AppendLine();
        s.AppendLine("| removed direction | why | norm(J r) / sigma_max |");
        s.AppendLine("|---|---|---|");
        foreach (var x in r.Removed) s.AppendLine($"| {x.Name} | {x.Why} | {G(x.Residual, 2)} |");
        s.AppendLine();
        s.AppendLine($"**{r.Summary}.** Largest entries of the weakest direction: {string.Join(", ", r.WeakestFactors)}. " +
                     $"Threshold {G(r.Threshold)}: genuine ambiguities are exact null directions (round-off), and a direction below 1e-6 of the best " +
                     "determined one is below what float32 data resolve. A flag that mixes a dissipation symbol with an energy symbol at the same mode is " +
                     "the heat equation's ambiguity: K(k) E''(k) is identified only as a product (docs/theory.md, section 3.6).");
        s.AppendLine();
        s.AppendLine("![identifiability](identifiability.png)");
        s.AppendLine();

        s.AppendLine("## Rollout");
        s.AppendLine();
        s.AppendLine("First test trajectory, field 0: the model's rollout, the data, and their difference (x horizontal, time upwards).");
        s.AppendLine();
        s.AppendLine("![prediction](field-prediction.png)");
        s.AppendLine();
        s.AppendLine("![data](field-truth.png)");
        s.AppendLine();
        s.AppendLine("![error](field-error.png)");
        s.AppendLine();
        s.AppendLine("![rollout error](rollout-error.png)");
        s.AppendLine();
        s.AppendLine($"Drift over a rollout of {d.Drift.Steps} steps of {G(d.Drift.Dt)} from the test initial states: max |mass(t) - mass(0)| = " +
                     $"{string.Join(", ", d.Drift.MaxMassDrift.Select(x => G(x)))}" + (d.Drift.ConservesMass ? " (the member conserves mass: should be round-off)" : " (the member does not promise mass conservation)") +
                     $"; max |E(t) - E(0)| / |E(0)| = {G(d.Drift.MaxRelativeEnergyDrift)}" + (d.Drift.Conservative ? " (no dissipation: should be at the solver tolerance)." : " (dissipative member: E falls)."));
        return s.ToString();
    }

    private static IEnumerable<int> SpectrumRows(int count)
    {
        var rows = new SortedSet<int> { 0, 1, 2, 3, 4 };
        for (int j = 8; j < count; j *= 2) rows.Add(j);
        rows.Add(count - 1);
        return rows.Where(j => j < count);
    }

    // ---------------- helpers ----------------

    // max |a - b| / max |b| (0 when both vanish, the absolute difference when only the truth vanishes)
    private static double MaxRelative(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double diff = a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max(), scale = b.Select(Math.Abs).DefaultIfEmpty(0).Max();
        return scale > 0 ? diff / scale : diff;
    }

    private static double SymLog(double x) => Math.Sign(x) * Math.Log10(1 + Math.Abs(x));
    private static double Log10(double x) => Math.Log10(Math.Max(Math.Abs(x), 1e-300));
    private static double[] Row(double[,] a, int i) => Enumerable.Range(0, a.GetLength(1)).Select(j => a[i, j]).ToArray();
    private static double Min(double[,] a) { double m = double.PositiveInfinity; foreach (var x in a) m = Math.Min(m, x); return m; }
    private static double Max(double[,] a) { double m = double.NegativeInfinity; foreach (var x in a) m = Math.Max(m, x); return m; }
}
