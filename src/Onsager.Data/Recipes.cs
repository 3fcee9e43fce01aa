using System.Collections.Immutable;

namespace Onsager.Data;

/// <summary>How one coefficient array of the random initial condition is stored: coef/u_ic/NAME with shape (samples, Length).</summary>
public sealed record CoefficientSpec(string Name, int Length);

/// <summary>
/// A dataset recipe: a closed hierarchy, one record per dataset. A recipe is pure data; <see cref="Generators.Sample"/>
/// turns (recipe, seed, index) into a trajectory.
/// </summary>
public abstract record Recipe
{
    private protected Recipe() { }

    /// <summary>CLI name of the dataset.</summary>
    public abstract string Key { get; }
    /// <summary>The number of frames per trajectory.</summary>
    public abstract int Frames { get; }
    /// <summary>Spacing of the saved frames (the model's time step).</summary>
    public abstract double Dt { get; }
    /// <summary>The grid.</summary>
    public abstract Grid Grid { get; }
    /// <summary>The number of fields.</summary>
    public virtual int Fields => 1;
    /// <summary>The names of the fields.</summary>
    public virtual ImmutableArray<string> FieldNames => ["u"];
    /// <summary>The equation, as text.</summary>
    public abstract string Equation { get; }
    /// <summary>The coefficients a fitted equation reports.</summary>
    public abstract ImmutableArray<CoefficientSpec> Coefficients { get; }
    /// <summary>Numerical scalars of the run (stored in pde_info).</summary>
    public abstract ImmutableSortedDictionary<string, double> Scalars { get; }
    /// <summary>The Onsager.Algebra.KnownMembers name whose energy this data should follow, if any.</summary>
    public virtual string? KnownMember => null;

    /// <summary>Domain length along each axis (2 pi unless set): the grid is x_j = Origin + j Length / N.</summary>
    public double Length
    {
        get;
        init => field = value > 0 && double.IsFinite(value) ? value : throw new ArgumentException($"A domain length must be positive and finite, got {value}.");
    } = TwoPi;

    /// <summary>Coordinate of the first grid point on each axis (0 unless set); the dynamics do not depend on it, the saved coordinates do.</summary>
    public double Origin
    {
        get;
        init => field = double.IsFinite(value) ? value : throw new ArgumentException($"A grid origin must be finite, got {value}.");
    }

    /// <summary>Gaussian measurement noise added to every saved value, as a share of the trajectory's rms (0: clean
    /// data). Seeded by the dataset's seed and the trajectory's index, independently of the solver's random numbers (and
    /// distinct from a recipe's own initial-condition noise, such as Cahn-Hilliard's).</summary>
    public double MeasurementNoise
    {
        get;
        init => field = value >= 0 && value <= 10 && double.IsFinite(value) ? value : throw new ArgumentException($"The noise level is a share of the rms in [0, 10], got {value}.");
    }

    /// <summary>The scalars as a sorted dictionary.</summary>
    protected static ImmutableSortedDictionary<string, double> S(params (string, double)[] xs) =>
        xs.ToImmutableSortedDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    /// <summary>Coefficient specs from name and count pairs.</summary>
    protected static ImmutableArray<CoefficientSpec> Coefs(params (string, int)[] xs) => xs.Select(x => new CoefficientSpec(x.Item1, x.Item2)).ToImmutableArray();

    /// <summary>2 pi.</summary>
    protected const double TwoPi = 2 * Math.PI;
}

/// <summary>ac: Allen-Cahn 1D, IC 3 sines (wavenumbers 1..10) rescaled to span [-1, 1].</summary>
public sealed record AllenCahnRecipe(int Points = 256, double Eps = 0.1, double FrameDt = 1e-3, int FrameCount = 101, int Substeps = 4) : Recipe
{
    /// <inheritdoc />
    public override string Key => "ac";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t = u_xx + (u - u^3)/eps^2";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("k", 3), ("amplitude", 3), ("phase", 3), ("rescale", 2));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("eps", Eps), ("dt", FrameDt), ("internal_dt", FrameDt / Substeps), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "allen-cahn";
}

/// <summary>kdv: u_t + 6 u u_x + u_xxx = 0, IC 3 sines (wavenumbers 1..6) normalised to unit std.</summary>
public sealed record KdVRecipe(int Points = 256, double FrameDt = 1e-3, int FrameCount = 101, int Substeps = 4) : Recipe
{
    /// <inheritdoc />
    public override string Key => "kdv";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t + 6 u u_x + u_xxx = 0";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("k", 3), ("amplitude", 3), ("phase", 3));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("dt", FrameDt), ("internal_dt", FrameDt / Substeps), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "kdv";
}

/// <summary>ac2d: Allen-Cahn 2D, IC 5 plane waves with distinct (kx, ky) in {-5..5}^2 \ (0,0), rescaled to [-1, 1].</summary>
public sealed record AllenCahn2DRecipe(int Points = 128, double Eps = 0.1, double FrameDt = 1e-3, int FrameCount = 101, int Substeps = 2) : Recipe
{
    /// <inheritdoc />
    public override string Key => "ac2d";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Length, Points, Points);
    /// <inheritdoc />
    public override string Equation => "u_t = u_xx + u_yy + (u - u^3)/eps^2";
    /// <summary>The 1D member's energy and mobility hold on any grid (the gradient term sums over the axes).</summary>
    public override string? KnownMember => "allen-cahn";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("kx", 5), ("ky", 5), ("amplitude", 5), ("phase", 5), ("rescale", 2));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("eps", Eps), ("dt", FrameDt), ("internal_dt", FrameDt / Substeps), ("L", Length), ("N", Points));
}

/// <summary>
/// A chain recipe (fput, fene): slow field u0 = 3 sines (wavenumbers 1..6, unit std), r_n = eps^2 u0(eps n),
/// rdot_n = -c eps^3 u0'(eps n), Verlet in lab time t = tau / eps^3, co-moving reconstruction on <c>Points</c> grid points.
/// </summary>
public abstract record ChainRecipe(int Sites, int Points, double SoundSpeed, double FrameDt, int FrameCount, int SlowSteps, int VerletPerSlow) : Recipe
{
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <summary>The lattice spacing 2 pi / sites.</summary>
    public double Epsilon => TwoPi / Sites;
    /// <summary>Slow-time step (tau).</summary>
    public double SlowStep => FrameDt / SlowSteps;
    /// <summary>Verlet step in lab time.</summary>
    public double LabStep => SlowStep / Math.Pow(Epsilon, 3) / VerletPerSlow;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("k", 3), ("amplitude", 3), ("phase", 3), ("attempts", 1));
    /// <summary>Samples rejected this many times in a row abort the run with an error.</summary>
    public const int MaxAttempts = 1000;

    /// <summary>
    /// The chain's Courant number c dt_chain that <see cref="AutoVerletSteps"/> keeps below. The reference says only
    /// "raised until c dt_chain &lt; 1", Verlet's stability bound; at that bound (19 steps, c dt_chain = 0.97) the fene
    /// field after one frame differs by 1.7e-2 from the converged chain's (more than the frame's own change, 1.5e-2) and
    /// spreads to all wavenumbers. At 0.05 it differs from a twice finer chain by 3.4e-5 after one frame (docs/data.md, "Chain step").
    /// </summary>
    public const double ChainCourant = 0.05;

    /// <summary>The least number of Verlet steps per slow step with c * dt_chain &lt; <paramref name="courant"/>.</summary>
    public static int AutoVerletSteps(int sites, double frameDt, int slowSteps, double c, double courant = ChainCourant)
    {
        double lab = frameDt / slowSteps / Math.Pow(TwoPi / sites, 3);
        return (int)Math.Floor(c * lab / courant) + 1;
    }

    /// <summary>The bond force.</summary>
    public abstract IBondForceFactory Force { get; }
    /// <summary>True when the sample must be rejected (checked on every saved frame's strains and reconstructed field).</summary>
    public abstract bool Reject(ReadOnlySpan<double> strains, ReadOnlySpan<double> u);
}

/// <summary>Makes the bond force of a chain recipe (kept as data so the Verlet loop is specialised per force type).</summary>
public abstract record IBondForceFactory
{
    private protected IBondForceFactory() { }
    /// <summary>The FPUT bond force c2 r + alpha r^2.</summary>
    /// <param name="C2">The linear coefficient.</param>
    /// <param name="Alpha">The quadratic coefficient.</param>
    public sealed record Fput(double C2, double Alpha) : IBondForceFactory;
    /// <summary>The FENE bond force h r / (1 - r^2 / R^2).</summary>
    /// <param name="H">The spring constant.</param>
    /// <param name="R">The maximum extension.</param>
    public sealed record Fene(double H, double R) : IBondForceFactory;
}

/// <summary>fput: FPUT chain, 128 sites, F(r) = c^2 r + alpha r^2, 50 Verlet steps per slow step of 1e-3, reject max |u| &gt; 20.</summary>
public sealed record FputRecipe(int Sites = 128, int Points = 256, double C = 1, double Alpha = 1, double FrameDt = 1e-2, int FrameCount = 101,
    int SlowSteps = 10, int VerletPerSlow = 50, double MaxAbs = 20)
    : ChainRecipe(Sites, Points, C, FrameDt, FrameCount, SlowSteps, VerletPerSlow)
{
    /// <inheritdoc />
    public override string Key => "fput";
    /// <inheritdoc />
    public override string Equation => "FPUT chain F(r) = c^2 r + alpha r^2; slow limit u_tau + u u_xi + u_xixixi/24 = 0";
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("c", C), ("alpha", Alpha), ("sites", Sites), ("eps", Epsilon),
        ("dt", FrameDt), ("slow_dt", SlowStep), ("lab_dt", LabStep), ("max_abs_u", MaxAbs), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override IBondForceFactory Force => new IBondForceFactory.Fput(C * C, Alpha);
    /// <inheritdoc />
    public override bool Reject(ReadOnlySpan<double> strains, ReadOnlySpan<double> u)
    {
        foreach (var x in u) if (!(Math.Abs(x) <= MaxAbs)) return true;
        return false;
    }
}

/// <summary>fene: FENE chain, 209 sites, F(r) = H r / (1 - (r/R)^2), R = 50 eps^2, reject max |r|/R &gt; 0.9; Verlet steps per slow
/// step the least with c dt_chain &lt; <see cref="ChainRecipe.ChainCourant"/> (369, lab step 0.0499).</summary>
public sealed record FeneRecipe(int Sites = 209, int Points = 256, double H = 1, double RFactor = 50, double FrameDt = 5e-3, int FrameCount = 101,
    int SlowSteps = 10, int VerletPerSlow = 0, double MaxRatio = 0.9)
    : ChainRecipe(Sites, Points, Math.Sqrt(H), FrameDt, FrameCount, SlowSteps,
        VerletPerSlow > 0 ? VerletPerSlow : AutoVerletSteps(Sites, FrameDt, SlowSteps, Math.Sqrt(H)))
{
    /// <inheritdoc />
    public override string Key => "fene";
    /// <summary>The maximum bond extension.</summary>
    public double R => RFactor * Epsilon * Epsilon;
    /// <inheritdoc />
    public override string Equation => "FENE chain F(r) = H r / (1 - (r/R)^2), R = 50 eps^2; no exact meso-scale equation";
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("H", H), ("R", R), ("sites", Sites), ("eps", Epsilon),
        ("dt", FrameDt), ("slow_dt", SlowStep), ("lab_dt", LabStep), ("verlet_per_slow", base.VerletPerSlow), ("max_ratio", MaxRatio), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override IBondForceFactory Force => new IBondForceFactory.Fene(H, R);
    /// <inheritdoc />
    public override bool Reject(ReadOnlySpan<double> strains, ReadOnlySpan<double> u)
    {
        double r = R;
        foreach (var x in strains) if (!(Math.Abs(x) / r <= MaxRatio)) return true;
        return false;
    }
}

/// <summary>ch: Cahn-Hilliard N = 128, eps = 0.1, mean in {0, 0.2} plus 0.05 Gaussian noise per grid point, stabilised SBDF2 dt = 1e-4.</summary>
public sealed record CahnHilliardRecipe(int Points = 128, double Eps = 0.1, double FrameDt = 5e-2, int FrameCount = 101, int Substeps = 500,
    double Stabilizer = 2, double Noise = 0.05) : Recipe
{
    /// <inheritdoc />
    public override string Key => "ch";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t = d_xx (u^3 - u - eps^2 u_xx)";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("mean", 1), ("noise_std", 1));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("eps", Eps), ("dt", FrameDt), ("internal_dt", FrameDt / Substeps),
        ("stabilizer", Stabilizer), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "cahn-hilliard";
}

/// <summary>burgers: u_t + u u_x = nu u_xx, nu = 0.1, IC random modes |k| &lt;= 4 at unit std.</summary>
public sealed record BurgersRecipe(int Points = 256, double Nu = 0.1, double FrameDt = 1e-2, int FrameCount = 101, int Substeps = 10, int MaxMode = 4) : Recipe
{
    /// <inheritdoc />
    public override string Key => "burgers";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t + u u_x = nu u_xx";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("cos", MaxMode), ("sin", MaxMode));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("nu", Nu), ("dt", FrameDt), ("internal_dt", FrameDt / Substeps), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "burgers";
}

/// <summary>kdv-burgers: u_t + 6 u u_x + u_xxx = nu u_xx, nu = 0.05, IC a sum of two solitons (c/2) sech^2(sqrt(c)(x - x_j)/2), c in [4, 16].</summary>
public sealed record KdVBurgersRecipe(int Points = 256, double Nu = 0.05, double FrameDt = 1e-3, int FrameCount = 101, int Substeps = 10,
    int Solitons = 2, double MinSpeed = 4, double MaxSpeed = 16) : Recipe
{
    /// <inheritdoc />
    public override string Key => "kdv-burgers";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t + 6 u u_x + u_xxx = nu u_xx";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("speed", Solitons), ("position", Solitons));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("nu", Nu), ("dt", FrameDt), ("internal_dt", FrameDt / Substeps), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "kdv-burgers";
}

/// <summary>wave: damped wave q_tt = q_xx - gamma q_t stored as the fields (v = q_x, p = q_t), exact in Fourier space.</summary>
public sealed record DampedWaveRecipe(int Points = 256, double Gamma = 0.1, double FrameDt = 1e-2, int FrameCount = 101, int MaxMode = 8) : Recipe
{
    /// <inheritdoc />
    public override string Key => "wave";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override int Fields => 2;
    /// <inheritdoc />
    public override ImmutableArray<string> FieldNames => ["v", "p"];
    /// <inheritdoc />
    public override string Equation => "q_tt = q_xx - gamma q_t; stored fields v = q_x, p = q_t: v_t = p_x, p_t = v_x - gamma p";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("q_cos", MaxMode), ("q_sin", MaxMode), ("p_cos", MaxMode), ("p_sin", MaxMode));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("gamma", Gamma), ("dt", FrameDt), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "wave";
}

/// <summary>heat: u_t = nu u_xx, nu = 0.1, IC random modes |k| &lt;= 8 at unit std, exact in Fourier space.</summary>
public sealed record HeatRecipe(int Points = 256, double Nu = 0.1, double FrameDt = 1e-2, int FrameCount = 101, int MaxMode = 8) : Recipe
{
    /// <inheritdoc />
    public override string Key => "heat";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t = nu u_xx";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("cos", MaxMode), ("sin", MaxMode));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("nu", Nu), ("dt", FrameDt), ("L", Length), ("N", Points));
    /// <inheritdoc />
    public override string? KnownMember => "heat";
}

/// <summary>
/// ks: Kuramoto-Sivashinsky u_t + u u_x + u_xx + u_xxxx = 0 on [0, 32 pi) (Kassam and Trefethen's domain), IC random modes
/// |k| &lt;= 16 at std 0.1 run for 100 time units onto the chaotic attractor (<see cref="Recipes.Get"/> sets the length 32 pi;
/// the record alone keeps the base's 2 pi, where KS decays to rest). Outside the class: no energy decreases along
/// it, so it is the control for `check-class`.
/// </summary>
public sealed record KuramotoSivashinskyRecipe(int Points = 256, double FrameDt = 0.4, int FrameCount = 251, int Substeps = 8, int MaxMode = 16,
    double Amplitude = 0.1, double Warmup = 100) : Recipe
{
    /// <inheritdoc />
    public override string Key => "ks";
    /// <inheritdoc />
    public override int Frames => FrameCount;
    /// <inheritdoc />
    public override double Dt => FrameDt;
    /// <inheritdoc />
    public override Grid Grid => Grid.Periodic(Length, Points);
    /// <inheritdoc />
    public override string Equation => "u_t + u u_x + u_xx + u_xxxx = 0";
    /// <inheritdoc />
    public override ImmutableArray<CoefficientSpec> Coefficients => Coefs(("cos", MaxMode), ("sin", MaxMode));
    /// <inheritdoc />
    public override ImmutableSortedDictionary<string, double> Scalars => S(("dt", FrameDt), ("internal_dt", FrameDt / Substeps), ("warmup", Warmup),
        ("L", Length), ("N", Points));
}

/// <summary>The recipes by CLI name, with the documented defaults.</summary>
public static class Recipes
{
    /// <summary>The recipe keys.</summary>
    public static ImmutableArray<string> Names { get; } = ["ac", "kdv", "ac2d", "fput", "fene", "ch", "burgers", "kdv-burgers", "wave", "heat", "ks"];

    /// <summary>The recipe of the key.</summary>
    public static Recipe Get(string key) => key switch
    {
        "ac" => new AllenCahnRecipe(),
        "kdv" => new KdVRecipe(),
        "ac2d" => new AllenCahn2DRecipe(),
        "fput" => new FputRecipe(),
        "fene" => new FeneRecipe(),
        "ch" => new CahnHilliardRecipe(),
        "burgers" => new BurgersRecipe(),
        "kdv-burgers" => new KdVBurgersRecipe(),
        "wave" => new DampedWaveRecipe(),
        "heat" => new HeatRecipe(),
        "ks" => new KuramotoSivashinskyRecipe() { Length = 32 * Math.PI },
        _ => throw new ArgumentException($"Unknown dataset '{key}'. Known: {string.Join(", ", Names)}.")
    };

    /// <summary>
    /// The recipe with another frame count, number of grid points (per axis), domain length, grid origin and/or frame spacing.
    /// A longer frame spacing takes more solver substeps, so that the solver's own step never grows past the recipe's.
    /// Chains fix their domain (the slow variable of a 2 pi periodic chain): another length is refused.
    /// </summary>
    public static Recipe With(Recipe r, int? frames = null, int? points = null, double? length = null, double? origin = null, double? dt = null,
                              double? noise = null)
    {
        if (frames is < 2) throw new ArgumentException($"A dataset needs at least 2 frames, got {frames}.");
        if (points is int p && (p < 8 || (p & (p - 1)) != 0))
            throw new ArgumentException($"Grid points must be a power of two of at least 8 (the FFT is radix 2), got {p}.");
        if (dt is double step && !(step > 0 && double.IsFinite(step))) throw new ArgumentException($"The frame spacing must be positive and finite, got {dt}.");
        if (r is ChainRecipe && length is double l && l != r.Length)
            throw new ArgumentException($"{r.Key} is a chain on the 2 pi periodic slow variable; its domain length cannot be changed (got {l}).");
        int F(int x) => frames ?? x;
        int P(int x) => points ?? x;
        double T(double x) => dt ?? x;
        // the solver's step stays at most the recipe's: FrameDt / Substeps
        int S(double frameDt, int substeps) => dt is double d ? Math.Max(substeps, (int)Math.Ceiling(d / (frameDt / substeps) - 1e-9)) : substeps;
        Recipe shaped = r switch
        {
            AllenCahnRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            KdVRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            AllenCahn2DRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            FputRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), SlowSteps = S(a.FrameDt, a.SlowSteps) },
            FeneRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), SlowSteps = S(a.FrameDt, a.SlowSteps) },
            CahnHilliardRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            BurgersRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            KdVBurgersRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            DampedWaveRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt) },
            HeatRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt) },
            KuramotoSivashinskyRecipe a => a with { FrameCount = F(a.FrameCount), Points = P(a.Points), FrameDt = T(a.FrameDt), Substeps = S(a.FrameDt, a.Substeps) },
            _ => throw new ArgumentException($"Unknown recipe {r.GetType().Name}.")
        };
        return shaped with { Length = length ?? r.Length, Origin = origin ?? r.Origin, MeasurementNoise = noise ?? r.MeasurementNoise };
    }
}
