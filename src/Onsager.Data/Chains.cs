using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Onsager.Data;

/// <summary>A nearest-neighbour bond force F(r) = V'(r) on strains, with its potential.</summary>
public interface IBondForce
{
    /// <summary>The bond force at extension r.</summary>
    double Force(double r);
    /// <summary>The bond force at each extension in r.</summary>
    Vector<double> Force(Vector<double> r);
    /// <summary>The bond potential at extension r.</summary>
    double Potential(double r);
}

/// <summary>FPUT bond: F(r) = c^2 r + alpha r^2, V = c^2 r^2 / 2 + alpha r^3 / 3.</summary>
public readonly struct FputForce(double c2, double alpha) : IBondForce
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public double Force(double r) => r * (c2 + alpha * r);
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector<double> Force(Vector<double> r) => r * (new Vector<double>(c2) + new Vector<double>(alpha) * r);
    /// <inheritdoc />
    public double Potential(double r) => r * r * (c2 / 2 + alpha * r / 3);
}

/// <summary>FENE bond: F(r) = H r / (1 - (r/R)^2), V = -(H R^2 / 2) log(1 - (r/R)^2).</summary>
public readonly struct FeneForce(double h, double rmax) : IBondForce
{
    private readonly double invR2 = 1 / (rmax * rmax);
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public double Force(double r) => h * r / (1 - r * r * invR2);
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector<double> Force(Vector<double> r) => new Vector<double>(h) * r / (Vector<double>.One - r * r * new Vector<double>(invR2));
    /// <inheritdoc />
    public double Potential(double r) => -0.5 * h * rmax * rmax * Math.Log(1 - r * r * invR2);
}

/// <summary>
/// Periodic chains in strain-momentum form: r_n = q_{n+1} - q_n, r_n' = p_{n+1} - p_n, p_n' = F(r_n) - F(r_{n-1}),
/// H = sum p_n^2 / 2 + V(r_n). Stormer-Verlet (kick-drift-kick, symplectic) with vectorised loops.
/// </summary>
public static class Chains
{
    /// <summary>The state of a chain: strains and momenta (length = sites).</summary>
    public sealed record State(double[] Strain, double[] Momentum);

    /// <summary>Momenta p with p_{n+1} - p_n = rdot_n and zero mean (rdot must sum to zero for periodicity).</summary>
    public static double[] MomentaFromStrainRate(ReadOnlySpan<double> rdot)
    {
        int n = rdot.Length;
        var p = new double[n];
        for (int i = 0; i + 1 < n; i++) p[i + 1] = p[i] + rdot[i];
        double mean = p.Average();
        for (int i = 0; i < n; i++) p[i] -= mean;
        return p;
    }

    /// <summary>The chain's Hamiltonian: kinetic energy of p plus the bond potentials of r.</summary>
    public static double Hamiltonian<TF>(TF force, ReadOnlySpan<double> r, ReadOnlySpan<double> p) where TF : struct, IBondForce
    {
        double h = 0;
        for (int i = 0; i < r.Length; i++) h += 0.5 * p[i] * p[i] + force.Potential(r[i]);
        return h;
    }

    /// <summary>
    /// Advances (r, p) in place by <paramref name="steps"/> Verlet steps of size h. Work arrays: fPad and pPad of length sites + 1.
    /// </summary>
    public static void Verlet<TF>(TF force, Span<double> r, Span<double> p, double h, int steps, Span<double> fPad, Span<double> pPad)
        where TF : struct, IBondForce
    {
        int n = r.Length;
        if (p.Length != n || fPad.Length < n + 1 || pPad.Length < n + 1) throw new ArgumentException("Chain work arrays have the wrong length.");
        p.CopyTo(pPad[..n]);
        Forces(force, r, fPad);
        Kick(pPad, fPad, 0.5 * h, n);
        for (int s = 0; s < steps; s++)
        {
            pPad[n] = pPad[0];
            Drift(r, pPad, h, n);
            Forces(force, r, fPad);
            Kick(pPad, fPad, s == steps - 1 ? 0.5 * h : h, n);
        }
        pPad[..n].CopyTo(p);
    }

    // fPad[0] = F(r_{n-1}), fPad[i + 1] = F(r_i)
    private static void Forces<TF>(TF force, ReadOnlySpan<double> r, Span<double> fPad) where TF : struct, IBondForce
    {
        int n = r.Length, w = Vector<double>.Count, i = 0;
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double ff = ref Unsafe.Add(ref MemoryMarshal.GetReference(fPad), 1);
        for (; i + w <= n; i += w) force.Force(Vector.LoadUnsafe(ref rr, (nuint)i)).StoreUnsafe(ref ff, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref ff, i) = force.Force(Unsafe.Add(ref rr, i));
        fPad[0] = fPad[n];
    }

    // p_i += h (F(r_i) - F(r_{i-1})) = h (fPad[i + 1] - fPad[i])
    private static void Kick(Span<double> pPad, ReadOnlySpan<double> fPad, double h, int n)
    {
        if (pPad.Length < n || fPad.Length < n + 1) throw new ArgumentException("Chain work arrays have the wrong length.");
        int w = Vector<double>.Count, i = 0;
        var hv = new Vector<double>(h);
        ref double pp = ref MemoryMarshal.GetReference(pPad);
        ref double f0 = ref MemoryMarshal.GetReference(fPad);
        ref double f1 = ref Unsafe.Add(ref f0, 1);
        for (; i + w <= n; i += w)
            (Vector.LoadUnsafe(ref pp, (nuint)i) + hv * (Vector.LoadUnsafe(ref f1, (nuint)i) - Vector.LoadUnsafe(ref f0, (nuint)i))).StoreUnsafe(ref pp, (nuint)i);
        for (; i < n; i++) pPad[i] += h * (fPad[i + 1] - fPad[i]);
    }

    // r_i += h (p_{i+1} - p_i), pPad[n] = p_0
    private static void Drift(Span<double> r, ReadOnlySpan<double> pPad, double h, int n)
    {
        if (r.Length < n || pPad.Length < n + 1) throw new ArgumentException("Chain work arrays have the wrong length.");
        int w = Vector<double>.Count, i = 0;
        var hv = new Vector<double>(h);
        ref double rr = ref MemoryMarshal.GetReference(r);
        ref double p0 = ref MemoryMarshal.GetReference(pPad);
        ref double p1 = ref Unsafe.Add(ref p0, 1);
        for (; i + w <= n; i += w)
            (Vector.LoadUnsafe(ref rr, (nuint)i) + hv * (Vector.LoadUnsafe(ref p1, (nuint)i) - Vector.LoadUnsafe(ref p0, (nuint)i))).StoreUnsafe(ref rr, (nuint)i);
        for (; i < n; i++) r[i] += h * (pPad[i + 1] - pPad[i]);
    }

    /// <summary>
    /// Co-moving reconstruction: u(x_j) = r(s) / eps^2 with the fractional site s = x_j / eps + c t (mod sites), r linearly
    /// interpolated between sites (periodically). x_j = j L / points.
    /// </summary>
    public static void CoMoving(ReadOnlySpan<double> r, double eps, double c, double labTime, double length, Span<double> u)
    {
        int sites = r.Length, points = u.Length;
        double shift = c * labTime;
        shift -= Math.Floor(shift / sites) * sites;
        double scale = 1 / (eps * eps);
        for (int j = 0; j < points; j++)
        {
            double s = j * length / points / eps + shift;
            s -= Math.Floor(s / sites) * sites;
            int i0 = (int)s;
            if (i0 >= sites) i0 -= sites;
            double w = s - i0;
            int i1 = i0 + 1 == sites ? 0 : i0 + 1;
            u[j] = ((1 - w) * r[i0] + w * r[i1]) * scale;
        }
    }
}
