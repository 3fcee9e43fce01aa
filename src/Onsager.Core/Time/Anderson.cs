using System.Collections.Immutable;
using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>
/// Anderson acceleration of a fixed-point iteration v -> G(v), per sample (Anderson 1965; Walker &amp; Ni, "Anderson
/// acceleration for fixed-point iterations", SIAM J. Numer. Anal. 49, 2011): from the last pairs (v_i, g_i = G(v_i)) with
/// residuals f_i = g_i - v_i, the next iterate is g - dG gamma with gamma minimising |f - dF gamma| (dF, dG the differences of
/// consecutive f and g). It has the iteration's fixed points and no others; with unlimited depth on a linear problem it is
/// GMRES on the fixed-point equation (Walker &amp; Ni). The DG solve uses it on its Fourier Picard map (docs/benchmarks.md,
/// "Rollout cost of a trained member").
/// A value: <see cref="Mix"/> returns the next iterate and the history with the newest pair.
/// </summary>
internal sealed record Anderson(ImmutableList<(Tensor V, Tensor G)> History, int Depth)
{
    /// <summary>How many past differences enter a mix by default.</summary>
    public const int DefaultDepth = 3;

    /// <summary>No history yet: the first mix is the plain iteration.</summary>
    public static Anderson Start(int depth = DefaultDepth) =>
        depth >= 1 ? new([], depth) : throw new ArgumentException($"Anderson acceleration needs a depth of at least 1, got {depth}.");

    /// <summary>The history forgotten (after an iterate that raised the residual): the next mix is the plain iteration.</summary>
    public Anderson Restart() => this with { History = [] };

    /// <summary>The mixed iterate from the newest pair (v, g = G(v)), and the history holding it. Samples whose least-squares
    /// problem is degenerate or whose mix is not finite take g.</summary>
    public (Tensor Next, Anderson After) Mix(Tensor v, Tensor g)
    {
        var history = History.Add((v, g));
        if (history.Count > Depth + 1) history = history.RemoveAt(0);
        var after = this with { History = history };
        if (history.Count < 2) return (g, after);
        long b = v.shape[0];
        Tensor Flat(Tensor t) => t.reshape(b, -1);
        var f = history.Select(p => Flat(p.G - p.V)).ToList();
        var dF = stack(Enumerable.Range(1, f.Count - 1).Select(i => f[i] - f[i - 1]).ToArray(), 2);                             // (b, n, k)
        var dG = stack(Enumerable.Range(1, history.Count - 1).Select(i => Flat(history[i].G - history[i - 1].G)).ToArray(), 2);   // (b, n, k)
        // Least squares by QR (Householder; the normal equations would square dF's condition, which near convergence is
        // large): gamma = R^-1 Q^T f. A numerically rank-deficient R (repeated differences) leaves the plain iterate.
        var (q, r) = linalg.qr(dF);
        var diagonal = r.diagonal(0, 1, 2).abs();                                                                               // (b, k)
        var degenerate = (diagonal.amin(1) <= diagonal.amax(1).Times(1e-13)) | diagonal.amax(1).isfinite().logical_not();
        var safeR = r.Plus(diag_embed(where(degenerate.unsqueeze(1), ones_like(diagonal), zeros_like(diagonal))));
        var gamma = linalg.solve(safeR, q.transpose(1, 2).matmul(f[^1].unsqueeze(2)));                                       // (b, k, 1)
        var mixed = g - dG.matmul(gamma).reshape(g.shape);
        var good = Flat(mixed).isfinite().all(1) & degenerate.logical_not();
        return (where(good.reshape(new long[] { b }.Concat(Enumerable.Repeat(1L, (int)g.dim() - 1)).ToArray()), mixed, g), after);
    }
}
