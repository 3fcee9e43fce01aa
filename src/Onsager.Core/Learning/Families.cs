using System.Collections.Immutable;

namespace Onsager.Learning;

/// <summary>Sizes of the reference-class member (seed-benchmark.md, "The reference model").</summary>
public sealed record SpectralOptions(int Width = 64, int Depth = 3, int LowModes = 16, int LowModesWidth = 64, int LowModesDepth = 2,
                                     double Theta = 1.0, double Kappa = 0.1, double A = 1.0, double NetworkScale = 0.1,
                                     bool ConserveMass = false)
{
    /// <summary>The default options.</summary>
    public static SpectralOptions Default { get; } = new();
}

/// <summary>
/// Sizes of the baselines (seed-benchmark.md, "Their table"): the Fourier neural operator with 16 modes, width 64 and 4
/// layers as published; the convolutional force field 32 wide, 4 layers of 5-site kernels; OnsagerNet with rank-8
/// factors and a 64x2 dense energy network.
/// </summary>
public sealed record BaselineOptions(int FnoModes = 16, int FnoWidth = 64, int FnoLayers = 4, int FnoProjection = 128,
                                     int CnnWidth = 32, int CnnDepth = 4, int CnnKernel = 5,
                                     int Rank = 8, int EnergyWidth = 64, int EnergyDepth = 2, double Beta = 1.0, double A = 1.0)
{
    /// <summary>The default options.</summary>
    public static BaselineOptions Default { get; } = new();
}

/// <summary>
/// The families that `onsager train --kind` learns, as initial values on a grid: members of the class (spectral, local,
/// classical, onsagernet) and the baseline force fields outside it (unconstrained, fno).
/// </summary>
public static class Families
{
    /// <summary>The names of the model families.</summary>
    public static ImmutableArray<string> Kinds { get; } = ["spectral", "local", "polynomial", "classical", "onsagernet", "unconstrained", "fno"];

    /// <summary>The kinds fitted by least squares instead of trained (<see cref="PolynomialFamily"/>).</summary>
    public static ImmutableArray<string> Fitted { get; } = ["polynomial"];

    /// <summary>The kinds that are not members of the class (force fields: no energy, explicit schemes only).</summary>
    public static ImmutableArray<string> ForceFields { get; } = ["unconstrained", "fno"];

    /// <summary>
    /// The training scheme of a kind when none is given: dg for the class members it fits (Fourier-multiplier K and L),
    /// rk4-adaptive for the state-dependent local members (stable at the data's frame spacing, where their mobilities make
    /// one explicit step diverge; docs/training.md), explicit Euler for the baselines, as the reference trained them
    /// (OnsagerNet's dense K has no Fourier symbol, so the training dg step cannot take it; the force fields have no energy).
    /// </summary>
    public static Stepper DefaultScheme(string kind) =>
        kind is "onsagernet" || ForceFields.Contains(kind) ? new Stepper.Euler() : kind is "local" ? new Stepper.Rk4Adaptive()
        : kind is "polynomial" ? new Stepper.Rk4Adaptive(AdaptiveOptions.Etdrk4) : new Stepper.DiscreteGradient();

    /// <summary>The initial member of a kind. <paramref name="conserveMass"/> builds members whose M and W kill constants
    /// (spectral: d^T K d; local: the divergence-form mobility only; polynomial: no damping); the force fields and the
    /// classical and OnsagerNet kinds refuse it.</summary>
    public static IVectorField Create(string kind, Grid grid, int fields = 1, int seed = 0, string? knownMember = null, SpectralOptions? spectral = null,
                                      BaselineOptions? baseline = null, bool conserveMass = false)
    {
        if (conserveMass && kind is not ("spectral" or "local" or "polynomial"))
            throw new ArgumentException($"--conserve-mass applies to the spectral, local and polynomial kinds, not to '{kind}'.");
        if (conserveMass && kind == "spectral") spectral = (spectral ?? SpectralOptions.Default) with { ConserveMass = true };
        var m = kind == "local" && conserveMass ? Local(grid, seed, conserveMass: true)
              : Build(kind, grid, fields, seed, knownMember, spectral, baseline ?? BaselineOptions.Default);
        return m.Fields == fields ? m : throw new ArgumentException($"The kind '{kind}' builds a {m.Fields}-field member; the data has {fields} field(s).");
    }

    private static IVectorField Build(string kind, Grid grid, int fields, int seed, string? knownMember, SpectralOptions? spectral, BaselineOptions b) => kind switch
    {
        "spectral" => Spectral(grid, seed, spectral),
        "local" => Local(grid, seed),
        "polynomial" => PolynomialFamily.Build(grid, new double[PolynomialFamily.Terms.Length]),
        "classical" => Classical(knownMember ?? throw new ArgumentException("The classical baseline needs data whose true equation is known (a known_member note)."), grid),
        "onsagernet" => OnsagerNet(grid, fields, seed, b),
        "unconstrained" => ForceField.CreateConvolutional(grid, fields, b.CnnWidth, b.CnnDepth, b.CnnKernel, seed),
        "fno" => ForceField.CreateFourier(grid, fields, b.FnoModes, b.FnoWidth, b.FnoLayers, b.FnoProjection, seed),
        _ => throw new ArgumentException($"Unknown kind '{kind}'. Kinds: {string.Join(", ", Kinds)}.")
    };

    /// <summary>
    /// OnsagerNet (Yu, Tian, E and Li, Phys. Rev. Fluids 6, 114402, 2021) on the grid as an ODE in R^n, n = fields x sites:
    /// M = beta I + B B^T, W = B' C^T - C B'^T (dense rank-r factors, constant), E = a/2 |u|^2 + |Omega| G(u) with G a
    /// bounded network of the whole state, so E is coercive for every weight. A member of the class (non-local, dense
    /// operators): the laws, the model files, the diagnostics and the dg rollout apply to it as to any member.
    /// </summary>
    public static Model OnsagerNet(Grid grid, int fields = 1, int seed = 0, BaselineOptions? options = null)
    {
        var o = options ?? BaselineOptions.Default;
        int n = fields * grid.Sites;
        ParamArray Factor(int s)
        {
            var rng = new Random(s);
            double bound = 1.0 / Math.Sqrt((double)n * o.Rank);
            return new ParamArray(Enumerable.Range(0, n * o.Rank).Select(_ => (2 * rng.NextDouble() - 1) * bound).ToImmutableArray(), true);
        }
        var anchors = Enumerable.Range(0, fields).Select(f => (Anchor)new Anchor.Quadratic(new Param.Learned(o.A), f)).ToImmutableArray();
        var energy = new Energy(anchors, [new EnergyTerm.Dense(Network.Create(n, o.EnergyWidth, o.EnergyDepth, Head.Bounded, seed, outputScale: 0.1))]);
        return new Model(grid, fields, energy, new Dissipation.LowRank(new Param.Learned(o.Beta), o.Rank, Factor(seed + 1)),
                         new Conservation.LowRank(o.Rank, Factor(seed + 2), Factor(seed + 3)));
    }

    /// <summary>
    /// The reference class with correct L2 gradients: K_M = theta_k^2, K_W = i phi_k (one number per rfft mode),
    /// E = integral a/2 u^2 + G(u) + kappa/2 |grad u|^2 (+ a bounded network of the lowest modes in 1D). a and kappa
    /// are positive by softplus; G is bounded (sine head, no output bias), so E is coercive for every weight.
    /// </summary>
    public static Model Spectral(Grid grid, int seed = 0, SpectralOptions? options = null)
    {
        var o = options ?? SpectralOptions.Default;
        int modes = Onsager.Numbers.Spectral.ModeCount(grid);
        var terms = ImmutableArray.CreateBuilder<EnergyTerm>();
        terms.Add(new EnergyTerm.Gradient(new Param.Learned(o.Kappa), Derivative.Spectral));
        int low = Math.Min(o.LowModes, grid.Points[0] / 2 - 1);   // the low-mode term takes modes 1 .. N/2 - 1
        if (grid.Dimensions == 1 && low > 0)
            terms.Add(new EnergyTerm.LowModes(low, Network.Create(2 * low, o.LowModesWidth, o.LowModesDepth, Head.Bounded, seed + 1, outputScale: 0.01)));
        var energy = new Energy([new Anchor.SineNetwork(new Param.Learned(o.A), Network.Create(1, o.Width, o.Depth, Head.Bounded, seed, outputScale: o.NetworkScale))],
                                terms.ToImmutable());
        if (!o.ConserveMass)
            return new Model(grid, energy, new Dissipation.Multiplier(ParamArray.Filled(modes, o.Theta, true)),
                             new Conservation.Multiplier(ParamArray.Filled(modes, 0.0, true)));
        // Mass-conserving: d^T K d with d the spectral derivative kills constants (K_M(0) = K_W(0) = 0); theta_k / |k|
        // starts the symbol where the plain family starts it, theta^2, on every other mode (docs/theory.md, conservation laws).
        var k = Onsager.Numbers.Spectral.WavenumbersOfModes(grid, 0, dropNyquist: true);
        var scaled = k.Select(kk => kk == 0 ? o.Theta : o.Theta / Math.Abs(kk)).ToImmutableArray();
        var d = new Linear.Difference(DifferenceKind.Spectral);
        return new Model(grid, energy, new Dissipation.Congruence(d, new Dissipation.Multiplier(new ParamArray(scaled, true))),
                         new Conservation.Congruence(d, new Conservation.Multiplier(ParamArray.Filled(modes, 0.0, true))));
    }

    /// <summary>
    /// State-dependent members: E = integral a u^4 + cubic(u) + G(u) + kappa/2 u_x^2; M = D+^T m(u) D+ + s(u)
    /// (divergence-form and pointwise mobilities, non-negative networks); W = learned D1/D3 stencils + the skew
    /// advection (b(u) D1 + D1 b(u))/2. Burgers (b linear) and KdV (stencil + b linear) lie in it.
    /// </summary>
    public static Model Local(Grid grid, int seed = 0, bool conserveMass = false)
    {
        if (grid.Dimensions != 1) throw new ArgumentException("The local family is one-dimensional.");
        var energy = new Energy(new Anchor.CoerciveNetwork(new Param.Learned(0.05), ParamArray.Learn(0, 0.5, 0), Network.Create(1, 32, 2, Head.Bounded, seed, outputScale: 0.1)),
                                new EnergyTerm.Gradient(new Param.Learned(0.01), Derivative.Forward));
        Dissipation m = new Dissipation.Divergence(new NonNegative.Softplus(new Scalar.Net(Network.Create(1, 16, 2, Head.Free, seed + 1, outputScale: 0.1))));
        if (!conserveMass)
            m += new Dissipation.Mobility(new NonNegative.Softplus(new Scalar.Net(Network.Create(1, 16, 2, Head.Free, seed + 2, outputScale: 0.1))));
        var w = new Conservation.Stencil(ParamArray.Learn(0.0, 0.0), 3) + new Conservation.Stencil(ParamArray.Learn(0.0), 1)
              + new Conservation.Advection(new Scalar.Net(Network.Create(1, 16, 2, Head.Free, seed + 3, outputScale: 0.1)));
        return new Model(grid, energy, m, w);
    }

    /// <summary>The true equation of a known-truth dataset (spectral derivatives where the member offers them).</summary>
    public static Model Classical(string knownMember, Grid grid) => KnownMembers.Get(knownMember, grid, spectral: true);
}
