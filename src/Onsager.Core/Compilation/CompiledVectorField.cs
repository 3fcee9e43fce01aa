using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Compilation;

/// <summary>
/// What every compiled vector field holds: its value, precision and device, and the parameter store its numbers are
/// compiled into (registered with the module once the subclass has built its pieces). Subclasses live in this
/// assembly: <see cref="CompiledModel"/> and <see cref="CompiledForceField"/>.
/// </summary>
public abstract class CompiledVectorField<T> : nn.Module, ICompiledVectorField where T : IVectorField
{
    /// <summary>The vector field that was compiled.</summary>
    public T Structure { get; }
    /// <summary>The grid of the vector field.</summary>
    public Grid Grid => Structure.Grid;
    /// <summary>The number of fields of the state.</summary>
    public int Fields => Structure.Fields;
    /// <summary>The tensor dtype the field is compiled to.</summary>
    public ScalarType DType { get; }
    /// <summary>The device the field is compiled to.</summary>
    public Device Device { get; }

    private protected ParameterStore Store { get; }

    private protected CompiledVectorField(string name, T value, CompileOptions options) : base(name)
    {
        NativeSettings.Apply();
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
