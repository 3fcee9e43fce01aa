using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>Restarted GMRES(m) for A x = b, matrix-free, on tensors treated as one vector (a batch is block diagonal).</summary>
public static class Gmres
{
    /// <summary>The outcome of a GMRES solve.</summary>
    /// <param name="X">The approximate solution.</param>
    /// <param name="RelativeResidual">The final residual relative to the right-hand side.</param>
    /// <param name="Iterations">The number of iterations run.</param>
    /// <param name="Converged">Whether the tolerance was reached.</param>
    public sealed record Result(Tensor X, double RelativeResidual, int Iterations, bool Converged);

    /// <summary>Solves A x = b to a relative residual below <paramref name="tolerance"/>, or reports the closest x found.</summary>
    /// <param name="apply">x -> A x.</param>
    /// <param name="b">The right-hand side.</param>
    /// <param name="x0">The initial guess (zero when null).</param>
    /// <param name="tolerance">The target residual |b - A x| / |b|.</param>
    /// <param name="restart">The Krylov dimension between restarts (m of GMRES(m)).</param>
    /// <param name="maxIterations">The iterations allowed over all restarts.</param>
    /// <param name="precondition">Right preconditioner z -> P^-1 z (identity when null).</param>
    public static Result Solve(Func<Tensor, Tensor> apply, Tensor b, Tensor? x0, double tolerance, int restart = 40, int maxIterations = 400,
                               Func<Tensor, Tensor>? precondition = null)
    {
        var pre = precondition ?? (z => z);
        var x = x0 ?? zeros_like(b);
        double bnorm = b.norm().item<double>();
        if (bnorm == 0) return new Result(zeros_like(b), 0, 0, true);
        int total = 0;
        double rel = double.PositiveInfinity;
        while (total < maxIterations)
        {
            var r = b - apply(x);
            double beta = r.norm().item<double>();
            rel = beta / bnorm;
            if (rel <= tolerance) return new Result(x, rel, total, true);
            int m = Math.Min(restart, maxIterations - total);
            var v = new List<Tensor> { r.Over(beta) };
            var z = new List<Tensor>();
            var h = new double[m + 1, m];
            var cs = new double[m]; var sn = new double[m];
            var g = new double[m + 1]; g[0] = beta;
            int k = 0;
            for (; k < m; k++)
            {
                // The Gram-Schmidt temporaries (k + 1 per iteration) die here; only the new basis vectors move out.
                using (var scope = NewDisposeScope())
                {
                    var zk = pre(v[k]);
                    var w = apply(zk);
                    for (int i = 0; i <= k; i++)
                    {
                        h[i, k] = (w * v[i]).sum().item<double>();
                        w = w - v[i].Times(h[i, k]);
                    }
                    h[k + 1, k] = w.norm().item<double>();
                    z.Add(zk.MoveToOuterDisposeScope());
                    v.Add((h[k + 1, k] > 0 ? w.Over(h[k + 1, k]) : w).MoveToOuterDisposeScope());
                }
                for (int i = 0; i < k; i++)
                {
                    double t = cs[i] * h[i, k] + sn[i] * h[i + 1, k];
                    h[i + 1, k] = -sn[i] * h[i, k] + cs[i] * h[i + 1, k];
                    h[i, k] = t;
                }
                double den = Math.Sqrt(h[k, k] * h[k, k] + h[k + 1, k] * h[k + 1, k]);
                cs[k] = den == 0 ? 1 : h[k, k] / den; sn[k] = den == 0 ? 0 : h[k + 1, k] / den;
                h[k, k] = den; h[k + 1, k] = 0;
                g[k + 1] = -sn[k] * g[k]; g[k] = cs[k] * g[k];
                total++;
                if (Math.Abs(g[k + 1]) / bnorm <= tolerance) { k++; break; }
            }
            var y = new double[k];
            for (int i = k - 1; i >= 0; i--)
            {
                double s = g[i];
                for (int j = i + 1; j < k; j++) s -= h[i, j] * y[j];
                y[i] = h[i, i] == 0 ? 0 : s / h[i, i];
            }
            for (int i = 0; i < k; i++) x = x.Plus(z[i].Times(y[i]));
        }
        var final = (b - apply(x)).norm().item<double>() / bnorm;
        return new Result(x, final, total, final <= tolerance);
    }
}
