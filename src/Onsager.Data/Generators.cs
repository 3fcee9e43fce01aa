using System.Collections.Immutable;
using System.Diagnostics;

namespace Onsager.Data;

/// <summary>One generated trajectory: values[(frame * sites + site) * fields + field] and its IC coefficients (recipe order).</summary>
public sealed record Trajectory(long Index, float[] Values, ImmutableArray<double[]> Coefficients);

/// <summary>Trajectories [Start, Start + Count) of a recipe, values sample-major in the file layout.</summary>
public sealed record GeneratedBlock(Recipe Recipe, long Seed, long Start, int Count, float[] Values, ImmutableArray<double[,]> Coefficients);

/// <summary>How far generation has got.</summary>
/// <param name="Done">Samples done.</param>
/// <param name="Total">Samples in all.</param>
/// <param name="Elapsed">Time since generation started.</param>
public sealed record GenerationProgress(long Done, long Total, TimeSpan Elapsed);

/// <summary>Threads = 0 uses every core.</summary>
public sealed record GenerationOptions(int Threads = 0);

/// <summary>
/// Generators: each trajectory is a pure function of (recipe, seed, index); blocks run trajectories in parallel and place
/// results by index, so the output does not depend on the thread count.
/// </summary>
public static class Generators
{
    /// <summary>Trajectory <paramref name="index"/> of the dataset made from <paramref name="seed"/>.</summary>
    public static Trajectory Sample(Recipe recipe, long seed, long index) => WithNoise(recipe, seed, Clean(recipe, seed, index));

    /// <summary>The trajectory plus Gaussian noise of <see cref="Recipe.MeasurementNoise"/> times its rms (unchanged when 0).</summary>
    private static Trajectory WithNoise(Recipe recipe, long seed, Trajectory t)
    {
        if (recipe.MeasurementNoise == 0) return t;
        double rms = Math.Sqrt(t.Values.Average(v => (double)v * v));
        var rng = Rng.For(recipe.Key + "/noise", seed, t.Index);
        var noisy = t.Values.Select(v => (float)(v + recipe.MeasurementNoise * rms * rng.Normal())).ToArray();
        return t with { Values = noisy };
    }

    private static Trajectory Clean(Recipe recipe, long seed, long index) => recipe switch
    {
        AllenCahnRecipe r => AllenCahn(r, seed, index),
        KdVRecipe r => KdV(r, seed, index),
        AllenCahn2DRecipe r => AllenCahn2DPair(r, seed, index & ~1L).First(t => t.Index == index),
        ChainRecipe r => Chain(r, seed, index),
        CahnHilliardRecipe r => CahnHilliard(r, seed, index),
        BurgersRecipe r => Burgers(r, seed, index),
        KdVBurgersRecipe r => KdVBurgers(r, seed, index),
        DampedWaveRecipe r => Wave(r, seed, index),
        HeatRecipe r => Heat(r, seed, index),
        KuramotoSivashinskyRecipe r => KuramotoSivashinsky(r, seed, index),
        _ => throw new ArgumentException($"No generator for {recipe.GetType().Name}.")
    };

    /// <summary>Generates trajectories [start, start + count) in parallel (placed by index), with progress and cancellation.</summary>
    public static GeneratedBlock Generate(Recipe recipe, long seed, long start, int count, GenerationOptions? options = null,
        IProgress<GenerationProgress>? progress = null, CancellationToken cancel = default, long progressOffset = 0, long progressTotal = 0)
    {
        if (count < 0 || start < 0) throw new ArgumentException("Sample range must be non-negative.");
        var opts = options ?? new GenerationOptions();
        long perSample = (long)recipe.Frames * recipe.Grid.Sites * recipe.Fields;
        if (perSample * count > Array.MaxLength) throw new ArgumentException($"A block of {count} samples is too large for one array; use shards.");
        var values = new float[perSample * count];
        var coefs = recipe.Coefficients.Select(c => new double[count, c.Length]).ToImmutableArray();
        var clock = Stopwatch.StartNew();
        long done = 0, total = progressTotal > 0 ? progressTotal : count;
        void Place(Trajectory t)
        {
            int local = (int)(t.Index - start);
            if (local < 0 || local >= count) return;
            t.Values.CopyTo(values, local * perSample);
            for (int c = 0; c < coefs.Length; c++)
                for (int j = 0; j < t.Coefficients[c].Length; j++) coefs[c][local, j] = t.Coefficients[c][j];
            long d = Interlocked.Increment(ref done);
            progress?.Report(new GenerationProgress(progressOffset + d, total, clock.Elapsed));
        }
        var po = new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = opts.Threads > 0 ? opts.Threads : Environment.ProcessorCount };
        if (recipe is AllenCahn2DRecipe ac2)
        {
            long first = start & ~1L, last = start + count - 1;
            int pairs = count == 0 ? 0 : (int)((last - first) / 2 + 1);
            Parallel.For(0, pairs, po, p =>
            {
                foreach (var t in AllenCahn2DPair(ac2, seed, first + 2L * p)) Place(WithNoise(ac2, seed, t));
            });
        }
        else
        {
            Parallel.For(0, count, po, i => Place(Sample(recipe, seed, start + i)));
        }
        cancel.ThrowIfCancellationRequested();
        return new GeneratedBlock(recipe, seed, start, count, values, coefs);
    }

    // ---- initial conditions ----

    /// <summary>3 (or more) sines with distinct integer wavenumbers in [1, kmax], amplitudes U(0,1), phases U(0, 2 pi).</summary>
    public static (int[] K, double[] A, double[] Phase) RandomSines(ref Rng rng, int count, int kmax)
    {
        var k = rng.Distinct(count, 1, kmax);
        var a = new double[count];
        var ph = new double[count];
        for (int i = 0; i < count; i++) { a[i] = rng.NextDouble(); ph[i] = rng.Uniform(0, 2 * Math.PI); }
        return (k, a, ph);
    }

    /// <summary>The sum of sines a sin(k x + ph), x = 2 pi j / n, on n points times scale (or its x-derivative on a domain of the given length).</summary>
    public static double[] EvaluateSines(int[] k, double[] a, double[] ph, int n, double length, double scale = 1, bool derivative = false)
    {
        var u = new double[n];
        for (int j = 0; j < n; j++)
        {
            // the angle 2 pi x / L: wavenumber k is k periods over the domain, whatever its length
            double x = j * 2 * Math.PI / n, s = 0, along = 2 * Math.PI / length;
            for (int i = 0; i < k.Length; i++)
                s += derivative ? a[i] * k[i] * along * Math.Cos(k[i] * x + ph[i]) : a[i] * Math.Sin(k[i] * x + ph[i]);
            u[j] = s * scale;
        }
        return u;
    }

    /// <summary>Rescales to span exactly [-1, 1]; returns (min, max) before the rescale.</summary>
    private static (double Min, double Max) RescaleToUnit(double[] u)
    {
        double lo = u.Min(), hi = u.Max();
        if (!(hi > lo)) throw new InvalidOperationException("Cannot rescale a constant field to [-1, 1].");
        for (int j = 0; j < u.Length; j++) u[j] = -1 + 2 * (u[j] - lo) / (hi - lo);
        return (lo, hi);
    }

    private static double[] D(params int[] xs) => xs.Select(x => (double)x).ToArray();

    private static float[] ToFloat(double[] v)
    {
        var f = new float[v.Length];
        for (int i = 0; i < v.Length; i++) f[i] = (float)v[i];
        return f;
    }

    // ---- the datasets ----

    private static Trajectory AllenCahn(AllenCahnRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var (k, a, ph) = RandomSines(ref rng, 3, 10);
        var u0 = EvaluateSines(k, a, ph, r.Points, r.Length);
        var (lo, hi) = RescaleToUnit(u0);
        var u = Solvers.AllenCahn1D(u0, r.Length, r.Eps, r.FrameDt, r.FrameCount, r.Substeps);
        return new Trajectory(index, ToFloat(u), [D(k), a, ph, [lo, hi]]);
    }

    private static Trajectory KdV(KdVRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var (k, a, ph) = RandomSines(ref rng, 3, 6);
        double std = Math.Sqrt(a.Sum(x => x * x) / 2);
        var u0 = EvaluateSines(k, a, ph, r.Points, r.Length, 1 / std);
        var u = Solvers.KdV(u0, r.Length, r.FrameDt, r.FrameCount, r.Substeps);
        return new Trajectory(index, ToFloat(u), [D(k), a, ph]);
    }

    /// <summary>The two trajectories (first, first + 1) of ac2d, solved together as one complex field.</summary>
    public static Trajectory[] AllenCahn2DPair(AllenCahn2DRecipe r, long seed, long first)
    {
        int n = r.Points;
        var ics = new (double[] U, double[][] Coef)[2];
        for (int s = 0; s < 2; s++)
        {
            var rng = Rng.For(r.Key, seed, first + s);
            var kx = new int[5]; var ky = new int[5]; var a = new double[5]; var ph = new double[5];
            var codes = new HashSet<int>();
            for (int i = 0; i < 5; i++)
            {
                int x, y;
                do { x = rng.NextInt(-5, 5); y = rng.NextInt(-5, 5); } while ((x == 0 && y == 0) || !codes.Add(x * 100 + y));
                kx[i] = x; ky[i] = y;
            }
            for (int i = 0; i < 5; i++) { a[i] = rng.NextDouble(); ph[i] = rng.Uniform(0, 2 * Math.PI); }
            var u = new double[n * n];
            for (int ix = 0; ix < n; ix++)
                for (int iy = 0; iy < n; iy++)
                {
                    double x = ix * 2 * Math.PI / n, y = iy * 2 * Math.PI / n, v = 0;
                    for (int i = 0; i < 5; i++) v += a[i] * Math.Sin(kx[i] * x + ky[i] * y + ph[i]);
                    u[ix * n + iy] = v;
                }
            var (lo, hi) = RescaleToUnit(u);
            ics[s] = (u, [D(kx), D(ky), a, ph, [lo, hi]]);
        }
        var (o1, o2) = Solvers.AllenCahn2D(ics[0].U, ics[1].U, n, n, r.Length, r.Length, r.Eps, r.FrameDt, r.FrameCount, r.Substeps);
        return [new Trajectory(first, ToFloat(o1), [.. ics[0].Coef]), new Trajectory(first + 1, ToFloat(o2!), [.. ics[1].Coef])];
    }

    private static Trajectory Chain(ChainRecipe r, long seed, long index)
    {
        for (int attempt = 0; attempt < ChainRecipe.MaxAttempts; attempt++)
        {
            var rng = Rng.For(r.Key, seed, index, attempt);
            var (k, a, ph) = RandomSines(ref rng, 3, 6);
            var u = r.Force switch
            {
                IBondForceFactory.Fput f => RunChain(r, new FputForce(f.C2, f.Alpha), k, a, ph),
                IBondForceFactory.Fene f => RunChain(r, new FeneForce(f.H, f.R), k, a, ph),
                _ => throw new ArgumentException("Unknown bond force.")
            };
            if (u is not null) return new Trajectory(index, u, [D(k), a, ph, [attempt + 1]]);
        }
        throw new InvalidOperationException($"{r.Key}: sample {index} rejected {ChainRecipe.MaxAttempts} times in a row.");
    }

    /// <summary>Runs one chain trajectory; null when the recipe rejects it.</summary>
    public static float[]? RunChain<TF>(ChainRecipe r, TF force, int[] k, double[] a, double[] ph) where TF : struct, IBondForce
    {
        int sites = r.Sites, points = r.Points;
        double eps = r.Epsilon, c = r.SoundSpeed;
        double std = Math.Sqrt(a.Sum(x => x * x) / 2);
        var strain = EvaluateSines(k, a, ph, sites, 2 * Math.PI, eps * eps / std);
        var rdot = EvaluateSines(k, a, ph, sites, 2 * Math.PI, -c * eps * eps * eps / std, derivative: true);
        var p = Chains.MomentaFromStrainRate(rdot);
        var fPad = new double[sites + 1];
        var pPad = new double[sites + 1];
        var output = new float[r.FrameCount * points];
        var frame = new double[points];
        int steps = r.SlowSteps * r.VerletPerSlow;
        double h = r.LabStep;
        for (int f = 0; f < r.FrameCount; f++)
        {
            if (f > 0) Chains.Verlet(force, strain, p, h, steps, fPad, pPad);
            Chains.CoMoving(strain, eps, c, (double)f * steps * h, 2 * Math.PI, frame);
            if (r.Reject(strain, frame)) return null;
            for (int j = 0; j < points; j++) output[f * points + j] = (float)frame[j];
        }
        return output;
    }

    private static Trajectory CahnHilliard(CahnHilliardRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        double mean = rng.NextDouble() < 0.5 ? 0.0 : 0.2;
        var u0 = new double[r.Points];
        for (int j = 0; j < u0.Length; j++) u0[j] = r.Noise * rng.Normal();
        double m = u0.Average();
        for (int j = 0; j < u0.Length; j++) u0[j] += mean - m;
        var u = Solvers.CahnHilliard(u0, r.Length, r.Eps, r.Stabilizer, r.FrameDt, r.FrameCount, r.Substeps);
        return new Trajectory(index, ToFloat(u), [[mean], [r.Noise]]);
    }

    /// <summary>Random Fourier modes 1..kmax (cos and sin coefficients U(-1, 1)), scaled to unit std; returns coefficients after scaling.</summary>
    public static (double[] Cos, double[] Sin) RandomModes(ref Rng rng, int kmax)
    {
        var c = new double[kmax]; var s = new double[kmax];
        for (int i = 0; i < kmax; i++) { c[i] = rng.Uniform(-1, 1); s[i] = rng.Uniform(-1, 1); }
        double std = Math.Sqrt(Enumerable.Range(0, kmax).Sum(i => c[i] * c[i] + s[i] * s[i]) / 2);
        for (int i = 0; i < kmax; i++) { c[i] /= std; s[i] /= std; }
        return (c, s);
    }

    /// <summary>The Fourier series sum of c cos(k x) + s sin(k x), modes k = 1, 2, ..., on n points (or its x-derivative on a domain of the given length).</summary>
    public static double[] EvaluateModes(double[] c, double[] s, int n, double length, bool derivative = false)
    {
        var u = new double[n];
        for (int j = 0; j < n; j++)
        {
            double x = j * 2 * Math.PI / n, v = 0, along = 2 * Math.PI / length;      // the angle 2 pi x / L, as in EvaluateSines
            for (int i = 0; i < c.Length; i++)
            {
                int k = i + 1;
                v += derivative ? k * along * (-c[i] * Math.Sin(k * x) + s[i] * Math.Cos(k * x)) : c[i] * Math.Cos(k * x) + s[i] * Math.Sin(k * x);
            }
            u[j] = v;
        }
        return u;
    }

    private static Trajectory Burgers(BurgersRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var (c, s) = RandomModes(ref rng, r.MaxMode);
        var u = Solvers.Burgers(EvaluateModes(c, s, r.Points, r.Length), r.Length, r.Nu, r.FrameDt, r.FrameCount, r.Substeps);
        return new Trajectory(index, ToFloat(u), [c, s]);
    }

    private static Trajectory Heat(HeatRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var (c, s) = RandomModes(ref rng, r.MaxMode);
        var u = Solvers.Heat(EvaluateModes(c, s, r.Points, r.Length), r.Length, r.Nu, r.FrameDt, r.FrameCount);
        return new Trajectory(index, ToFloat(u), [c, s]);
    }

    /// <summary>Random modes |k| &lt;= MaxMode at amplitude Amplitude, run for Warmup time units onto the attractor, then saved.</summary>
    private static Trajectory KuramotoSivashinsky(KuramotoSivashinskyRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var (c, s) = RandomModes(ref rng, r.MaxMode);
        var u0 = EvaluateModes(c, s, r.Points, r.Length).Select(x => r.Amplitude * x).ToArray();
        double internalDt = r.FrameDt / r.Substeps;
        int warmupSteps = (int)Math.Ceiling(r.Warmup / internalDt);
        if (warmupSteps > 0)
            u0 = Solvers.KuramotoSivashinsky(u0, r.Length, warmupSteps * internalDt, 2, warmupSteps)[r.Points..];
        var u = Solvers.KuramotoSivashinsky(u0, r.Length, r.FrameDt, r.FrameCount, r.Substeps);
        return new Trajectory(index, ToFloat(u), [c, s]);
    }

    /// <summary>Sum of KdV solitons (c/2) sech^2(sqrt(c)(x - x_j)/2), periodised over neighbouring images.</summary>
    public static double[] Solitons(double[] speeds, double[] positions, int n, double length)
    {
        var u = new double[n];
        for (int j = 0; j < n; j++)
        {
            double x = j * length / n;
            for (int i = 0; i < speeds.Length; i++)
                for (int m = -4; m <= 4; m++)
                {
                    double z = Math.Sqrt(speeds[i]) * (x - positions[i] - m * length) / 2, ch = Math.Cosh(z);
                    u[j] += speeds[i] / 2 / (ch * ch);
                }
        }
        return u;
    }

    private static Trajectory KdVBurgers(KdVBurgersRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var c = new double[r.Solitons]; var x = new double[r.Solitons];
        for (int i = 0; i < r.Solitons; i++) { c[i] = rng.Uniform(r.MinSpeed, r.MaxSpeed); x[i] = rng.Uniform(0, r.Length); }
        var u = Solvers.KdVBurgers(Solitons(c, x, r.Points, r.Length), r.Length, r.Nu, r.FrameDt, r.FrameCount, r.Substeps);
        return new Trajectory(index, ToFloat(u), [c, x]);
    }

    private static Trajectory Wave(DampedWaveRecipe r, long seed, long index)
    {
        var rng = Rng.For(r.Key, seed, index);
        var (qc, qs) = RandomModes(ref rng, r.MaxMode);
        var (pc, ps) = RandomModes(ref rng, r.MaxMode);
        // scale q so that v = q_x has unit std
        double vstd = Math.Sqrt(Enumerable.Range(0, r.MaxMode).Sum(i => (i + 1.0) * (i + 1.0) * (qc[i] * qc[i] + qs[i] * qs[i])) / 2);
        for (int i = 0; i < r.MaxMode; i++) { qc[i] /= vstd; qs[i] /= vstd; }
        var v0 = EvaluateModes(qc, qs, r.Points, r.Length, derivative: true);
        var p0 = EvaluateModes(pc, ps, r.Points, r.Length);
        var u = Solvers.DampedWave(v0, p0, r.Length, r.Gamma, r.FrameDt, r.FrameCount);
        return new Trajectory(index, ToFloat(u), [qc, qs, pc, ps]);
    }
}
