namespace Onsager.Algebra;

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
