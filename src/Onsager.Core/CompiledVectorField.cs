using TorchSharp;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>
/// What every compiled vector field holds: its value, precision and device, and the parameter store its numbers are
/// compiled into (registered with the module once the subclass has built its pieces). Subclasses live in this
/// assembly: <see cref="CompiledModel"/> and <see cref="CompiledForceField"/>.
/// </summary>
public abstract class CompiledVectorField<T> : nn.Module, ICompiledVectorField where T : IVectorField
{
    public T Structure { get; }
    public Grid Grid => Structure.Grid;
    public int Fields => Structure.Fields;
    public ScalarType DType { get; }
    public Device Device { get; }

    private protected ParameterStore Store { get; }

    private protected CompiledVectorField(string name, T value, CompileOptions options) : base(name)
    {
        Structure = value;
        DType = options.DType;
        Device = options.ResolvedDevice;
        Store = new ParameterStore(DType, Device);
    }

    /// <summary>Registers the store's parameters with the module (call at the end of the subclass's constructor).</summary>
    private protected void RegisterParameters()
    {
        foreach (var (name, p) in Store.Parameters) register_parameter(name, p);
    }

    /// <inheritdoc/>
    public abstract Tensor Rhs(Tensor u, bool createGraph = false);

    /// <summary>The value with the current (learned) numbers.</summary>
    public abstract T Snapshot();

    IVectorField ICompiledVectorField.Snapshot() => Snapshot();
}
