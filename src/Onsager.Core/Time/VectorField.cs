using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>
/// A learnable vector field du/dt = f(u) on a grid, as a value: a member of the class (<see cref="Model"/>) or a
/// baseline force field without the class's structure (<see cref="ForceField"/>). What training, model files and the
/// rollout error need; everything else (energy, M and W, the laws, dg and sbdf1) needs a <see cref="Model"/>.
/// </summary>
public interface IVectorField
{
    /// <summary>The grid.</summary>
    Grid Grid { get; }
    /// <summary>The number of fields of the state.</summary>
    int Fields { get; }

    /// <summary>The formula (members) or the architecture (force fields).</summary>
    string Describe();
}

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

/// <summary>Pure functions on vector fields of either kind.</summary>
public static class VectorField
{
    /// <summary>Compiles a member (<see cref="Dynamics.Compile"/>) or a force field (<see cref="ForceField.Compile"/>).</summary>
    public static ICompiledVectorField Compile(IVectorField field, CompileOptions? options = null) => field switch
    {
        Model m => Dynamics.Compile(m, options),
        ForceField f => f.Compile(options),
        null => throw new ArgumentNullException(nameof(field)),
        _ => throw new NotSupportedException($"Unknown vector field {field.GetType().FullName}: a Model or a ForceField."),
    };

    /// <summary>
    /// The compiled member behind <paramref name="f"/> for a scheme that needs the class's structure (sbdf1 and dg solve
    /// with K = M + W and the energy); a force field has neither, so it is refused with the schemes it can use.
    /// </summary>
    public static CompiledModel Member(ICompiledVectorField f, Stepper scheme) =>
        f as CompiledModel ?? throw new ArgumentException(
            $"The scheme '{scheme.Name}' steps a member of the Onsager class (it needs the energy and K = M + W); this model is a " +
            "force field without them (a baseline). Use an explicit scheme: euler (the reference's step), rk2, rk3 or rk4.");

    /// <summary>Refuses a scheme the field cannot be stepped with before any work is done.</summary>
    public static void CheckScheme(ICompiledVectorField f, Stepper scheme)
    {
        if (!scheme.IsExplicit) Member(f, scheme);
    }

    /// <summary>Throws naming the expected shape when u is not a batch of states (batch, fields, points...) of this grid.</summary>
    public static Tensor CheckState(Grid grid, int fields, Tensor u)
    {
        var expected = grid.Shape(1, fields).Skip(1).ToArray();
        if (u.dim() != expected.Length + 1 || !u.shape.Skip(1).SequenceEqual(expected))
            throw new ArgumentException($"Expected a state of shape (batch, {string.Join(", ", expected)}), got ({string.Join(", ", u.shape)}).");
        return u;
    }

    /// <summary>The one grid-compatibility rule (data against a model, files against files): the same dimensions and points,
    /// and lengths equal to 1e-9 relative (lengths are written to files as float64, so they round-trip exactly).</summary>
    public static bool SameGrid(Grid a, Grid b) =>
        a.Dimensions == b.Dimensions && a.Points.SequenceEqual(b.Points) &&
        a.Lengths.Zip(b.Lengths).All(p => Math.Abs(p.First - p.Second) <= 1e-9 * Math.Max(1, Math.Abs(p.Second)));

    /// <summary>Throws an <see cref="ArgumentException"/> naming both sides when the field's grid or field count differs.</summary>
    public static void CheckCompatible(IVectorField field, Grid grid, int fields, string data)
    {
        if (field.Fields != fields)
            throw new ArgumentException($"The model has {field.Fields} field(s) but the data '{data}' have {fields}.");
        if (!SameGrid(grid, field.Grid))
            throw new ArgumentException($"Grid mismatch: the model lives on {field.Grid}, the data '{data}' on {grid}. " +
                                        "Use a model built (or trained) on the data's grid.");
    }
}
