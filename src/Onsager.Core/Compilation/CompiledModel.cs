using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Compilation;

/// <summary>
/// Where and in what precision a member is compiled. Float64 and exact by default (the laws, steppers and rollouts need
/// it). <see cref="Tabulation"/> (off by default) evaluates density networks on a table of nodes instead of at every
/// site: the training options turn it on, since it is measured faster there (docs/benchmarks.md, "Training-step cost").
/// </summary>
public sealed record CompileOptions(ScalarType DType = ScalarType.Float64, Device? Device = null)
{
    /// <summary>The default options.</summary>
    public static CompileOptions Default { get; } = new();
    /// <summary>The device to compile to: the given one, else the CPU.</summary>
    public Device ResolvedDevice => Device ?? CPU;

    /// <summary>Density networks tabulated on nodes (null: evaluated exactly at every site).</summary>
    public Tabulation? Tabulation { get; init; }

    /// <summary>The options of a training run: tabulated densities in either precision (measured faster in both).</summary>
    public static CompileOptions Training(ScalarType dtype, Device? device = null) =>
        new(dtype, device) { Tabulation = Onsager.Algebra.Tabulation.Default };
}

/// <summary>
/// A member compiled to tensors: a TorchSharp module that owns the learnable parameters. All functions take and
/// return tensors of layout (batch, field, x[, y]); <see cref="Snapshot"/> gives the value back with the learned numbers.
/// </summary>
public sealed class CompiledModel : CompiledVectorField<Model>
{
    private readonly CompiledPiece<Energy> energy;
    private readonly CompiledOperator<Dissipation>? dissipation;
    private readonly CompiledOperator<Conservation>? conservation;

    internal CompiledModel(Model model, CompileOptions options) : base("onsager", model, options)
    {
        var store = Store;
        energy = EnergyCompiler.Compile(model.Energy, model.Grid, store, options.Tabulation?.Validate());
        Tabulated = options.Tabulation is not null;
        if (model.Dissipation is not null) dissipation = OperatorCompiler.Compile(model.Dissipation, model.Grid, model.Fields, store, "M");
        if (model.Conservation is not null) conservation = OperatorCompiler.Compile(model.Conservation, model.Grid, model.Fields, store, "W");
        RegisterParameters();
    }

    internal ImmutableArray<EnergyPart> EnergyParts => energy.Parts;

    /// <summary>Its density networks run on tables (<see cref="CompileOptions.Tabulation"/>).</summary>
    internal bool Tabulated { get; }

    /// <summary>L u: the L2 gradient of the energy's quadratic part 1/2 &lt;u, L u&gt;_h (zero when it has none).</summary>
    public Tensor LinearPart(Tensor u)
    {
        Tensor acc = zeros_like(u);
        foreach (var p in energy.Parts.Where(p => p.Kind == PartKind.Quadratic)) acc = acc.Plus(p.Linear!(u));
        return acc;
    }

    /// <summary>
    /// N(u) = dE(u) - L u: the L2 gradient of every part but the quadratic one (closed forms where known, autograd on
    /// the rest), without computing L u twice. The semi-implicit training steps treat L exactly and N explicitly.
    /// </summary>
    public Tensor NonlinearPart(Tensor u, bool createGraph = false)
    {
        Check(u);
        Tensor acc = zeros_like(u);
        var open = new List<Func<Tensor, Tensor>>();
        foreach (var p in energy.Parts)
        {
            if (p.Kind == PartKind.Density)
            {
                var s = u.select(1, p.Field);
                var d = p.DensityDerivative is not null ? p.DensityDerivative(s) : DiscreteGradient.PointwiseDerivative(p.Density!, s, createGraph);
                acc = acc.Plus(EnergyCompiler.OnField(u, p.Field, d));
            }
            else if (p.Kind == PartKind.General && p.Gradient is not null) acc = acc.Plus(p.Gradient(u));
            else if (p.Kind == PartKind.General) open.Add(p.Value);
        }
        if (open.Count > 0) acc = acc.Plus(EnergyCompiler.AutogradGradient(open, u, Grid, createGraph));
        return EnergyCompiler.WithShift(acc, u, Shift);
    }

    /// <summary>The Fourier symbol of L (real, rfft layout) on a one-field member when every quadratic part is a multiplier; else null.</summary>
    public Tensor? LinearSymbol()
    {
        if (Fields != 1) return null;
        var quad = energy.Parts.Where(p => p.Kind == PartKind.Quadratic).ToList();
        if (quad.Any(p => p.Symbol is null)) return null;
        Tensor acc = zeros(Spectral.ModeCount(Grid), DType, Device);
        foreach (var p in quad) acc = acc.Plus(p.Symbol!());
        return acc;
    }

    /// <summary>The complex Fourier symbol of K = M + W on a one-field member when both are state-independent multipliers; else null.</summary>
    public Tensor? OperatorSymbol()
    {
        if (Fields != 1) return null;
        if (dissipation is not null && dissipation.Symbol is null) return null;
        if (conservation is not null && conservation.Symbol is null) return null;
        Tensor acc = complex(zeros(Spectral.ModeCount(Grid), DType, Device), zeros(Spectral.ModeCount(Grid), DType, Device));
        if (dissipation is not null) acc = acc.Plus(dissipation.Symbol!());
        if (conservation is not null) acc = acc.Plus(conservation.Symbol!());
        return acc;
    }

    /// <summary>The Casimir shifts (one per field) of the energy.</summary>
    internal ImmutableArray<double> Shift => Structure.Energy.Shift;

    /// <summary>True when dE has a closed form for every term (else autograd is used).</summary>
    public bool HasClosedFormDerivative => energy.Closed is not null;

    /// <summary>Whether the model has a dissipation M.</summary>
    public bool HasDissipation => dissipation is not null;
    /// <summary>Whether the model has a conservation W.</summary>
    public bool HasConservation => conservation is not null;

    /// <summary>E(u) per sample, (batch).</summary>
    public Tensor Energy(Tensor u) => energy.Value(Check(u));

    /// <summary>dE = (1/h) grad_u E, in closed form where known, else by autograd.</summary>
    public Tensor VariationalDerivative(Tensor u, bool createGraph = false) =>
        energy.Closed is not null ? energy.Closed(Check(u)) : energy.Mixed is not null ? energy.Mixed(Check(u), createGraph) : AutogradDerivative(u, createGraph);

    /// <summary>The closed form of dE (autograd only on the pieces that have none), or null when no piece has one.</summary>
    public Tensor? ClosedFormDerivative(Tensor u) => energy.Closed?.Invoke(Check(u)) ?? energy.Mixed?.Invoke(Check(u), false);

    /// <summary>dE by autograd: (1/h) grad_u sum_batch E(u).</summary>
    public Tensor AutogradDerivative(Tensor u, bool createGraph = false)
    {
        Check(u);
        bool leaf = !u.requires_grad;
        var x = leaf ? u.detach().requires_grad_(true) : u;
        using var enabled = enable_grad();
        var e = energy.Value(x).sum();
        var g = autograd.grad([e], [x], retain_graph: createGraph, create_graph: createGraph)[0];
        return createGraph ? g.Over(Grid.CellVolume) : g.detach().Over(Grid.CellVolume);
    }

    /// <summary>M(u) g (zero when the member has no dissipation).</summary>
    public Tensor Dissipation(Tensor u, Tensor g) => dissipation is null ? zeros_like(g) : dissipation.Apply(u, g);

    /// <summary>W(u) g (zero when the member has no conservation).</summary>
    public Tensor Conservation(Tensor u, Tensor g) => conservation is null ? zeros_like(g) : conservation.Apply(u, g);

    /// <summary>K(u) g = (M(u) + W(u)) g.</summary>
    public Tensor Operator(Tensor u, Tensor g) => Dissipation(u, g).Plus(Conservation(u, g));

    /// <summary>
    /// f(u) = -(M + W) dE(u). When K = M + W and the quadratic part L are Fourier multipliers (one field), in Fourier
    /// space: f = -F^-1 K^ (L^ F u + F N(u)), two FFTs fewer than applying L, M and W one by one.
    /// </summary>
    public override Tensor Rhs(Tensor u, bool createGraph = false)
    {
        var k = OperatorSymbol();
        var l = k is null ? null : LinearSymbol();
        if (k is null || l is null) return -Operator(u, VariationalDerivative(u, createGraph));
        var g = Grid;
        var dE = (Spectral.Shaped(l, g) * Spectral.Forward(u, g)).Plus(Spectral.Forward(NonlinearPart(u, createGraph), g));
        return -Spectral.Inverse(Spectral.Shaped(k, g) * dE, g);
    }

    /// <summary>The discrete L2 product &lt;a, b&gt;_h per sample.</summary>
    public Tensor Inner(Tensor a, Tensor b) => (a * b).flatten(1).sum(1).Times(Grid.CellVolume);

    /// <summary>dE/dt = &lt;dE, f&gt;_h per sample.</summary>
    public Tensor EnergyRate(Tensor u) { var d = VariationalDerivative(u); return Inner(d, -Operator(u, d)); }

    /// <summary>&lt;dE, M dE&gt;_h per sample: the dissipation rate, so dE/dt = -DissipationRate.</summary>
    public Tensor DissipationRate(Tensor u) { var d = VariationalDerivative(u); return Inner(d, Dissipation(u, d)); }

    /// <summary>Mass h sum u per field, (batch, field).</summary>
    public Tensor Mass(Tensor u) => Check(u).flatten(2).sum(2).Times(Grid.CellVolume);

    /// <summary>d/dt of the mass per field along f: (batch, field).</summary>
    public Tensor MassFlux(Tensor u) => Mass(Rhs(u));

    /// <summary>The member as a value with the current (learned) numbers.</summary>
    public override Model Snapshot() => new(Grid, Fields, energy.Snapshot(), dissipation?.Snapshot(), conservation?.Snapshot());   // the constructor re-validates

    private Tensor Check(Tensor u) => StateShape.Check(Grid, Fields, u);
}

/// <summary>Pure functions of members: compile a value to tensors, and the vector field of the class.</summary>
public static class Dynamics
{
    /// <summary>Compile a member to a TorchSharp module (float64 on CPU unless told otherwise).</summary>
    public static CompiledModel Compile(Model model, CompileOptions? options = null) => new(model, options ?? CompileOptions.Default);

    /// <summary>Back to a value with the learned numbers.</summary>
    public static Model Snapshot(CompiledModel compiled) => compiled.Snapshot();

    /// <summary>The right-hand side du/dt = -(M + W) dE/du of the compiled model at u.</summary>
    public static Tensor Rhs(CompiledModel m, Tensor u) => m.Rhs(u);
    /// <summary>The energy E(u) of the compiled model.</summary>
    public static Tensor Energy(CompiledModel m, Tensor u) => m.Energy(u);
    /// <summary>The variational derivative dE/du of the compiled model at u.</summary>
    public static Tensor VariationalDerivative(CompiledModel m, Tensor u) => m.VariationalDerivative(u);

    /// <summary>A tensor of states from a flat array, shaped for <paramref name="model"/>'s grid and fields. A length other
    /// than batch x fields x sites is an <see cref="ArgumentException"/> naming both.</summary>
    public static Tensor State(Model model, double[] values, long batch = 1, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(values);
        var shape = StateShape.CheckFlat(model.Grid, model.Fields, values.LongLength, batch);
        var o = options ?? CompileOptions.Default;
        return tensor(values, o.DType, o.ResolvedDevice).reshape(shape);
    }

    /// <summary>A tensor of states [batch, fields, sites] on <paramref name="model"/>'s 1-D grid. A shape that does not fit
    /// the model is an <see cref="ArgumentException"/> naming the expected and the given shape.</summary>
    public static Tensor State(Model model, double[,,] values, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (flat, shape) = StateShape.Flatten(model.Grid, model.Fields, values);
        var o = options ?? CompileOptions.Default;
        return tensor(flat, o.DType, o.ResolvedDevice).reshape(shape);
    }

    /// <summary>A tensor of states [batch, fields, x, y] on <paramref name="model"/>'s 2-D grid. A shape that does not fit
    /// the model is an <see cref="ArgumentException"/> naming the expected and the given shape.</summary>
    public static Tensor State(Model model, double[,,,] values, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (flat, shape) = StateShape.Flatten(model.Grid, model.Fields, values);
        var o = options ?? CompileOptions.Default;
        return tensor(flat, o.DType, o.ResolvedDevice).reshape(shape);
    }
}
