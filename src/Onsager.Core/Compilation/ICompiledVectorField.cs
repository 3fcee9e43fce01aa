using static TorchSharp.torch;

namespace Onsager.Compilation;

/// <summary>
/// A vector field compiled to tensors: a TorchSharp module owning its parameters, with the differentiable
/// right-hand side f(u) on states (batch, field, x[, y]).
/// </summary>
public interface ICompiledVectorField : IDisposable
{
    /// <summary>The grid.</summary>
    Grid Grid { get; }
    /// <summary>The number of fields of the state.</summary>
    int Fields { get; }
    /// <summary>The tensor dtype.</summary>
    ScalarType DType { get; }
    /// <summary>The device.</summary>
    Device Device { get; }

    /// <summary>f(u); <paramref name="createGraph"/> keeps the graph to the parameters through any inner derivative.</summary>
    Tensor Rhs(Tensor u, bool createGraph = false);

    /// <summary>The learnable parameters (TorchSharp's module method).</summary>
    IEnumerable<TorchSharp.Modules.Parameter> parameters(bool recurse = true);

    /// <summary>The value with the current (learned) numbers.</summary>
    IVectorField Snapshot();
}
