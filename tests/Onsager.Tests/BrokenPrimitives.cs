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

    /// <summary>A plain product diag(m(x)) Lap of two PSD operators: not symmetric (memo L4).</summary>
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
