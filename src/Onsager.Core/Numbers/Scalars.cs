using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;
using TorchScalar = TorchSharp.Scalar;

namespace Onsager.Numbers;

/// <summary>
/// TorchSharp calls with a number operand, made with a Scalar that lives through the native call. TorchSharp turns a C#
/// number into a temporary Scalar (implicitly at the call, or inside its own members: <c>a + b</c> passes alpha = 1,
/// <c>x * 2.0</c>, <c>square()</c> is pow(2), <c>ToDouble()</c> reads a Scalar) whose finalizer frees its native memory,
/// and nothing keeps it alive while libtorch reads it: a garbage collection on another thread can free it mid-call
/// ("Unknown scalar type", "Expected false to be true" from c10/core/Scalar.h). Here each Scalar is made explicitly and
/// disposed after the call (the disposal keeps it reachable until then), or is one of two constants rooted for the
/// process. Every number that reaches libtorch from Onsager goes through this class (ScalarLifetimeTests checks the
/// compiled assemblies); the values and the libtorch calls are those of the operators they replace.
/// </summary>
public static class Scalars
{
    /// <summary>The int Scalar 1 (add's alpha): static, so never finalized.</summary>
    internal static readonly TorchScalar One = 1.ToScalar();

    /// <summary>The int Scalar 2 (square's exponent).</summary>
    private static readonly TorchScalar Two = 2.ToScalar();

    /// <summary><paramref name="op"/> applied to <paramref name="number"/> as a double Scalar that is disposed after the call.</summary>
    public static T With<T>(double number, Func<TorchScalar, T> op)
    {
        using var s = number.ToScalar();
        return op(s);
    }

    /// <summary><paramref name="op"/> applied to <paramref name="number"/> as an int Scalar (integer tensors stay integer).</summary>
    public static T With<T>(int number, Func<TorchScalar, T> op)
    {
        using var s = number.ToScalar();
        return op(s);
    }

    /// <summary>a + b (what TorchSharp's operator does: add with alpha 1).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + c.</summary>
    public static Tensor Plus(this Tensor a, double c) => With(c, s => a.add(s, One));

    /// <summary>a + c.</summary>
    public static Tensor Plus(this Tensor a, int c) => With(c, s => a.add(s, One));

    /// <summary>a - c.</summary>
    public static Tensor Minus(this Tensor a, double c) => With(c, s => a.sub(s));

    /// <summary>a - c.</summary>
    public static Tensor Minus(this Tensor a, int c) => With(c, s => a.sub(s));

    /// <summary>c - a (what TorchSharp's operator does: -a + c).</summary>
    public static Tensor SubtractedFrom(this Tensor a, double c) => With(c, s => a.negative().add(s, One));

    /// <summary>c - a.</summary>
    public static Tensor SubtractedFrom(this Tensor a, int c) => With(c, s => a.negative().add(s, One));

    /// <summary>a * c (and c * a: TorchSharp computes both as a.mul(c)).</summary>
    public static Tensor Times(this Tensor a, double c) => With(c, s => a.mul(s));

    /// <summary>a * c.</summary>
    public static Tensor Times(this Tensor a, int c) => With(c, s => a.mul(s));

    /// <summary>a / c.</summary>
    public static Tensor Over(this Tensor a, double c) => With(c, s => a.div(s));

    /// <summary>a / c.</summary>
    public static Tensor Over(this Tensor a, int c) => With(c, s => a.div(s));

    /// <summary>a^2 (TorchSharp's square(): pow with the int exponent 2).</summary>
    public static Tensor Squared(this Tensor a) => a.pow(Two);

    /// <summary>a^e.</summary>
    public static Tensor Power(this Tensor a, int e) => With(e, s => a.pow(s));

    /// <summary>max(a, min).</summary>
    public static Tensor AtLeast(this Tensor a, double min) => With(min, s => a.clamp_min(s));

    /// <summary>min(max(a, min), max).</summary>
    public static Tensor Between(this Tensor a, int min, int max) => With(min, lo => With(max, hi => a.clamp(lo, hi)));

    /// <summary>start, start + 1, ..., stop - 1 (TorchSharp's arange with int Scalars: start 0 and step 1 unless given).</summary>
    public static Tensor Range(int start, int stop, ScalarType? dtype = null, Device? device = null) =>
        With(start, from => With(stop, to => arange(from, to, One, dtype, device)));

    /// <summary>The number in a one-element tensor, as a double (TorchSharp's ToDouble() reads it through a temporary Scalar).</summary>
    public static double ToNumber(this Tensor t)
    {
        using var s = t.ToScalar();
        return s.ToDouble();
    }

    /// <summary>
    /// softplus(x) = log(1 + exp(beta x)) / beta, x itself where beta x &gt; threshold: libtorch's softplus with the Scalars
    /// kept alive. TorchSharp's public softplus(double, double) makes both Scalars itself and has no overload that takes
    /// them, so this calls the private method it delegates to (the one place Onsager reaches inside TorchSharp).
    /// </summary>
    public static Tensor Softplus(this Tensor x, double beta = 1, double threshold = 20) =>
        With(beta, b => With(threshold, t => SoftplusWithScalars(x, b, t)));

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "softplus1")]
    private static extern Tensor SoftplusWithScalars(Tensor x, TorchScalar beta, TorchScalar threshold);
}
