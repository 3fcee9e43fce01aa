namespace Onsager;

/// <summary>
/// A member of the generalized Onsager class, du/dt = -(M(u) + W(u)) dE(u), as an immutable value.
/// Either operator may be absent. Tensors and learnable parameters appear only when it is compiled
/// (<see cref="Dynamics.Compile"/>).
/// </summary>
public sealed record Model : IVectorField
{
    public Grid Grid { get; init; }
    public int Fields { get; init; }
    public Energy Energy { get; init; }
    public Dissipation? Dissipation { get; init; }
    public Conservation? Conservation { get; init; }

    public Model(Grid grid, int fields, Energy energy, Dissipation? dissipation, Conservation? conservation)
    {
        Grid = grid ?? throw new ArgumentNullException(nameof(grid));
        if (fields < 1) throw new ArgumentException($"A member needs at least one field, got {fields}.");
        Fields = fields;
        Energy = energy ?? throw new ArgumentNullException(nameof(energy));
        Dissipation = dissipation;
        Conservation = conservation;
        Structure.Validate(this);
    }

    public Model(Grid grid, Energy energy, Dissipation? dissipation = null, Conservation? conservation = null)
        : this(grid, 1, energy, dissipation, conservation) { }

    /// <summary>The member's formula, e.g. <c>du/dt = -(theta^2(k) + i phi(k)) dE,  E = integral ...</c>.</summary>
    public string Describe() => Formula.Of(this);

    public override string ToString() => Describe();
}
