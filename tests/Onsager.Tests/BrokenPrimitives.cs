using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>Deliberately broken primitives: each breaks one promise of the class, so that each law is shown to fail.</summary>
internal static class Broken
{
    /// <summary>A "mobility" diag(m) with m = 1 except m = -0.5 at three sites.</summary>
    public sealed class NegativeAtFewSites(int seed) : ICustomOperator
    {
        public string Formula => "diag(m) with m < 0 at 3 sites";
        public Tensor Apply(Tensor u, Tensor g, Grid grid)
        {
            var rng = new Random(seed);
            var m = Enumerable.Repeat(1.0, grid.Sites).ToArray();
            for (int k = 0; k < 3; k++) m[rng.Next(grid.Sites)] = -0.5;
            return g * tensor(m, g.dtype).reshape(grid.Points.Select(p => (long)p).ToArray());
        }
        public bool ShiftEquivariant => false;
    }

    /// <summary>D+ offered as a dissipation: neither symmetric nor PSD.</summary>
    public sealed class ForwardDifference : ICustomOperator
    {
        public string Formula => "D+";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) => Stencils.Forward(g, grid, 0);
    }

    /// <summary>A plain product diag(m(x)) Lap of two PSD operators: not symmetric (L4 of docs/theory.md, section 3.7).</summary>
    public sealed class Product : ICustomOperator
    {
        public string Formula => "diag(m(x)) D+^T D+";
        public Tensor Apply(Tensor u, Tensor g, Grid grid)
        {
            var m = Enumerable.Range(0, grid.Sites).Select(i => 1.0 + 0.9 * Math.Sin(2 * Math.PI * i / grid.Sites)).ToArray();
            return tensor(m, g.dtype).reshape(grid.Points.Select(p => (long)p).ToArray()) * Stencils.ForwardTranspose(Stencils.Forward(g, grid, 0), grid, 0);
        }
        public bool ShiftEquivariant => false;
    }

    /// <summary>c I with any c: offered as a conservation it is symmetric; with c &lt; 0 as a dissipation it is negative.</summary>
    public sealed class Identity(double c, bool claimsMass = false) : ICustomOperator
    {
        public string Formula => $"{c} I";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) => c * g;
        public bool ConservesMass => claimsMass;
    }

    /// <summary>A position-dependent mobility that claims to commute with shifts.</summary>
    public sealed class PositionDependent : ICustomOperator
    {
        public string Formula => "diag(1 + x/L)";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) =>
            g * tensor(Enumerable.Range(0, grid.Sites).Select(i => 1.0 + (double)i / grid.Sites).ToArray(), g.dtype).reshape(grid.Points.Select(p => (long)p).ToArray());
    }

    /// <summary>integral c u^p with a claimed lower bound and a (possibly wrong) closed-form derivative.</summary>
    public sealed class PowerTerm(double c, int power, double claimedLowerBound, double derivativeFactor = 1) : ICustomEnergy
    {
        public string Formula => $"{c} u^{power}";
        public Tensor Energy(Tensor u, Grid grid) => c * u.pow(power).flatten(1).sum(1) * grid.CellVolume;
        public bool HasVariationalDerivative => true;
        public Tensor? VariationalDerivative(Tensor u, Grid grid) => derivativeFactor * c * power * u.pow(power - 1);
        public double LowerBound(Grid grid) => claimedLowerBound;
    }
}

/// <summary>Deliberately broken combinators (what a bug in the compiler of Sum, Scaled, Weighted or Congruence would do):
/// each is offered as the combinator of a closure law through <see cref="Laws.Closure"/>, which must catch it.</summary>
internal static class BrokenCombinator
{
    private static Func<Tensor, Tensor, Tensor> Compiled(Model like, Dissipation d) => Dynamics.Compile(like with { Dissipation = d, Conservation = null }).Dissipation;
    private static Func<Tensor, Tensor, Tensor> Compiled(Model like, Conservation w) => Dynamics.Compile(like with { Dissipation = null, Conservation = w }).Conservation;

    /// <summary>A + B with an off-by-one: B's result lands one site over (S B is neither symmetric nor antisymmetric).</summary>
    public sealed class ShiftedSum(Func<Tensor, Tensor, Tensor> a, Func<Tensor, Tensor, Tensor> b) : ICustomOperator
    {
        public ShiftedSum(Model like, Dissipation a, Dissipation b) : this(Compiled(like, a), Compiled(like, b)) { }
        public ShiftedSum(Model like, Conservation a, Conservation b) : this(Compiled(like, a), Compiled(like, b)) { }
        public string Formula => "A + S B";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) => a(u, g) + b(u, g).roll(1, 2);
    }

    /// <summary>c A with c &lt; 0, as if the factor's validation were bypassed: symmetric but negative.</summary>
    public sealed class NegativeScaled(double c, Func<Tensor, Tensor, Tensor> a) : ICustomOperator
    {
        public NegativeScaled(double c, Model like, Dissipation a) : this(c, Compiled(like, a)) { }
        public string Formula => $"{c} A";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) => c * a(u, g);
    }

    /// <summary>diag(s) A with s(x) = 1 + sin(x)/2 instead of diag(s)^(1/2) A diag(s)^(1/2): weighted on one side only.</summary>
    public sealed class OneSidedWeight(Func<Tensor, Tensor, Tensor> a) : ICustomOperator
    {
        public OneSidedWeight(Model like, Dissipation a) : this(Compiled(like, a)) { }
        public string Formula => "diag(s) A";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) =>
            tensor(Enumerable.Range(0, grid.Sites).Select(i => 1.0 + 0.5 * Math.Sin(2 * Math.PI * i / grid.Sites)).ToArray(), g.dtype)
                .reshape(grid.Points.Select(p => (long)p).ToArray()) * a(u, g);
        public bool ShiftEquivariant => false;
    }

    /// <summary>D+ A D+ instead of D+^T A D+: not a congruence (the transpose is missing).</summary>
    public sealed class UntransposedCongruence(Func<Tensor, Tensor, Tensor> a) : ICustomOperator
    {
        public UntransposedCongruence(Model like, Dissipation a) : this(Compiled(like, a)) { }
        public UntransposedCongruence(Model like, Conservation a) : this(Compiled(like, a)) { }
        public string Formula => "D+ A D+";
        public Tensor Apply(Tensor u, Tensor g, Grid grid) => Stencils.Forward(a(u, Stencils.Forward(g, grid, 0)), grid, 0);
    }
}

/// <summary>A primitive that throws: a crash must be reported as a crash, never as a violation of a law.</summary>
internal sealed class Throwing : ICustomOperator
{
    public string Formula => "throws";
    public Tensor Apply(Tensor u, Tensor g, Grid grid) => throw new InvalidOperationException("the broken operator threw");
}

/// <summary>Marks a test that shows the named law (a name in <see cref="Laws.Names"/> or <see cref="SchemeLaws.Names"/>,
/// or <see cref="SchemeLaws.Crashed"/>) failing on something built to break it. The guard
/// <see cref="CanFailRegistryTests"/> requires one for every law.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class BreaksLawAttribute(string law) : Attribute
{
    public string Law { get; } = law;
}
