using static TorchSharp.torch;

namespace Onsager.Time;

/// <summary>Pure functions on vector fields of either kind.</summary>
public static class VectorField
{
    /// <summary>Compiles a member (<see cref="Dynamics.Compile"/>) or a force field (<see cref="ForceFieldCompiler.Compile"/>).</summary>
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
    public static Tensor CheckState(Grid grid, int fields, Tensor u) => StateShape.Check(grid, fields, u);

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
