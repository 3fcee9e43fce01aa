using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>
/// A user's own energy term (not coercive alone: it can only be added to a member's coercive anchor).
/// Its promises are what the laws check: <see cref="Laws"/> runs every law on a member that contains it.
/// </summary>
public interface ICustomEnergy
{
    /// <summary>How the term prints inside a formula, e.g. "integral G(u)".</summary>
    string Formula { get; }

    /// <summary>The term's value per sample: u is (batch, field, x[, y]) on <paramref name="grid"/>; the result is (batch).</summary>
    Tensor Energy(Tensor u, Grid grid);

    /// <summary>True when <see cref="VariationalDerivative"/> gives the L2 gradient in closed form.</summary>
    bool HasVariationalDerivative => false;

    /// <summary>Its L2 gradient (1/h) grad_u E, (batch, field, x[, y]), where known in closed form; else null (autograd is used).</summary>
    Tensor? VariationalDerivative(Tensor u, Grid grid) => null;

    /// <summary>A certified lower bound of the term on <paramref name="grid"/> (must be finite: L6 needs bounded below).</summary>
    double LowerBound(Grid grid);

    /// <summary>True when the term is invariant under a shift of the grid (site-local or circulant).</summary>
    bool ShiftInvariant => true;
}

/// <summary>
/// A user's own operator: applies K(u) to g, both (batch, field, x[, y]).
/// Used as a dissipation it promises symmetric PSD; as a conservation, antisymmetric.
/// </summary>
public interface ICustomOperator
{
    /// <summary>The operator's formula, as text.</summary>
    string Formula { get; }

    /// <summary>Applies the operator to the variational derivative g at the state u on the grid.</summary>
    Tensor Apply(Tensor u, Tensor g, Grid grid);

    /// <summary>Promise: K 1 = 0 and K^T 1 = 0 per field (mass conservation for every energy).</summary>
    bool ConservesMass => false;

    /// <summary>Promise: K commutes with grid shifts (site-local or circulant).</summary>
    bool ShiftEquivariant => true;
}
