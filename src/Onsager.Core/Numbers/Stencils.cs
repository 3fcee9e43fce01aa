using static TorchSharp.torch;

namespace Onsager.Numbers;

/// <summary>
/// Finite-difference operators on periodic tensors (batch, field, x[, y]); the notation of docs/theory.md, section 1:
/// S u_i = u_{i+1}, D+ = (S - I)/h, D1 = (S - S^T)/(2h), D3 = (S^2 - 2S + 2S^T - S^T^2)/(2h^3).
/// </summary>
public static class Stencils
{
    private static long Dim(int axis) => 2 + axis;

    /// <summary>S^j u: (S^j u)_i = u_{i+j}.</summary>
    public static Tensor Shift(Tensor u, int j, int axis) => j == 0 ? u : u.roll(-j, Dim(axis));

    /// <summary>The periodic forward difference along the axis.</summary>
    public static Tensor Forward(Tensor u, Grid g, int axis) => (Shift(u, 1, axis) - u).Over(g.Spacing(axis));

    /// <summary>D+^T g = (S^T - I) g / h.</summary>
    public static Tensor ForwardTranspose(Tensor v, Grid g, int axis) => (Shift(v, -1, axis) - v).Over(g.Spacing(axis));

    /// <summary>The periodic central difference along the axis.</summary>
    public static Tensor Central(Tensor u, Grid g, int axis) => (Shift(u, 1, axis) - Shift(u, -1, axis)).Over(2 * g.Spacing(axis));

    /// <summary>The periodic third-derivative difference along the axis.</summary>
    public static Tensor Third(Tensor u, Grid g, int axis)
    {
        double h = g.Spacing(axis);
        return ((Shift(u, 2, axis) - Shift(u, 1, axis).Times(2)).Plus(Shift(u, -1, axis).Times(2)) - Shift(u, -2, axis)).Over(2 * h * h * h);
    }

    /// <summary>Average onto half points: (u_i + u_{i+1})/2.</summary>
    public static Tensor HalfPoint(Tensor u, int axis) => u.Plus(Shift(u, 1, axis)).Times(0.5);

    /// <summary>Apply a difference operator.</summary>
    public static Tensor Apply(DifferenceKind kind, Tensor u, Grid g, int axis) => kind switch
    {
        DifferenceKind.Forward => Forward(u, g, axis),
        DifferenceKind.Central => Central(u, g, axis),
        DifferenceKind.Third => Third(u, g, axis),
        DifferenceKind.Spectral => Spectral.Derivative(u, g, axis),
        _ => throw new ArgumentOutOfRangeException(nameof(kind))
    };

    /// <summary>Apply its transpose (the antisymmetric ones are minus themselves).</summary>
    public static Tensor ApplyTranspose(DifferenceKind kind, Tensor v, Grid g, int axis) => kind switch
    {
        DifferenceKind.Forward => ForwardTranspose(v, g, axis),
        _ => -Apply(kind, v, g, axis)
    };
}

/// <summary>Difference operators on the periodic grid (the notation of docs/theory.md, section 1).</summary>
public enum DifferenceKind
{
    /// <summary>D+ = (S - I)/h.</summary>
    Forward,
    /// <summary>D1 = (S - S^T)/(2h), antisymmetric.</summary>
    Central,
    /// <summary>D3 = (S^2 - 2S + 2S^T - S^T^2)/(2h^3), antisymmetric.</summary>
    Third,
    /// <summary>Spectral first derivative (Nyquist mode dropped), antisymmetric.</summary>
    Spectral,
}
