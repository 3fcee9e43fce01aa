namespace Onsager.Data;

/// <summary>
/// A small deterministic random stream (xoshiro256** seeded through SplitMix64). The stream of a trajectory is a pure
/// function of (dataset key, seed, sample index, attempt), so results do not depend on thread count or scheduling.
/// </summary>
public struct Rng
{
    private ulong s0, s1, s2, s3;

    /// <summary>A generator from the seed.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
    }

    /// <summary>The stream of one trajectory attempt.</summary>
    public static Rng For(string key, long seed, long index, int attempt = 0)
    {
        ulong h = 1469598103934665603UL;
        foreach (char c in key) { h ^= c; h *= 1099511628211UL; }
        ulong x = h ^ (ulong)seed * 0x9E3779B97F4A7C15UL;
        x = Mix(x) ^ (ulong)index * 0xC2B2AE3D27D4EB4FUL;
        x = Mix(x) ^ (ulong)attempt * 0x165667B19E3779F9UL;
        return new Rng(Mix(x));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong SplitMix(ref ulong x) { x += 0x9E3779B97F4A7C15UL; return Mix(x); }

    private static ulong Rotl(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>The next 64 random bits.</summary>
    public ulong NextULong()
    {
        ulong result = Rotl(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = Rotl(s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform draw from [a, b).</summary>
    public double Uniform(double a, double b) => a + (b - a) * NextDouble();

    /// <summary>Uniform integer in [lo, hi] inclusive.</summary>
    public int NextInt(int lo, int hi) => lo + (int)(NextULong() % (ulong)(hi - lo + 1));

    /// <summary>Standard normal (Box-Muller, one value per call).</summary>
    public double Normal()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary><paramref name="count"/> distinct integers drawn uniformly from [lo, hi], in draw order.</summary>
    public int[] Distinct(int count, int lo, int hi)
    {
        if (hi - lo + 1 < count) throw new ArgumentException($"Cannot draw {count} distinct integers from [{lo}, {hi}].");
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k;
            do k = NextInt(lo, hi); while (Array.IndexOf(result, k, 0, i) >= 0);
            result[i] = k;
        }
        return result;
    }
}
