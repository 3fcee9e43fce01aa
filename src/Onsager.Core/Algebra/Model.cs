namespace Onsager.Algebra;

/// <summary>
/// A member of the generalized Onsager class, du/dt = -(M(u) + W(u)) dE(u), as an immutable value.
/// Either operator may be absent. Tensors and learnable parameters appear only when it is compiled
/// (<see cref="Dynamics.Compile"/>).
/// </summary>
public sealed record Model : IVectorField
{
    /// <summary>The grid; fixed at construction (every part is checked against it).</summary>
    public Grid Grid { get; }
    /// <summary>The number of fields (&gt;= 1); fixed at construction.</summary>
    public int Fields { get; }

    /// <summary>The energy: an anchor on every field, terms on existing fields (checked here too under <c>with</c>).</summary>
    public Energy Energy
    {
        get;
        init { Structure.ValidateEnergy(Checks.NotNull(value, "energy"), Grid, Fields); field = value; }
    }

    /// <summary>M, or null; its axes, fields and sizes fit the grid (checked here too under <c>with</c>).</summary>
    public Dissipation? Dissipation
    {
        get;
        init { if (value is not null) Structure.ValidateDissipation(value, Grid, Fields, "dissipation"); field = value; }
    }

    /// <summary>W, or null; its axes, fields and sizes fit the grid (checked here too under <c>with</c>).</summary>
    public Conservation? Conservation
    {
        get;
        init { if (value is not null) Structure.ValidateConservation(value, Grid, Fields, "conservation"); field = value; }
    }

    /// <summary>A model with the given number of fields.</summary>
    public Model(Grid grid, int fields, Energy energy, Dissipation? dissipation, Conservation? conservation)
    {
        Grid = Checks.NotNull(grid, "grid");
        Fields = Checks.AtLeast(fields, 1, "A member's number of fields", "fields");
        Energy = energy;
        Dissipation = dissipation;
        Conservation = conservation;
    }

    /// <summary>A single-field model.</summary>
    public Model(Grid grid, Energy energy, Dissipation? dissipation = null, Conservation? conservation = null)
        : this(grid, 1, energy, dissipation, conservation) { }

    /// <summary>The member's formula, e.g. <c>du/dt = -(theta^2(k) + i phi(k)) dE,  E = integral ...</c>.</summary>
    public string Describe() => Formula.Of(this);

    /// <inheritdoc />
    public override string ToString() => Describe();
}
