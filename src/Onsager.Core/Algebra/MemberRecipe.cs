using System.Collections.Immutable;

namespace Onsager.Algebra;

/// <summary>
/// A random member as the recipe that <see cref="RandomMembers"/> followed: the sequence of its random draws, each a
/// number in [0, 1), and the generator's options. <see cref="FromSeed"/> records the draws of
/// <c>RandomMembers.Generate(seed, options)</c>, so its member is exactly <c>verify</c>'s member <c>random:seed</c>;
/// <see cref="ToModel"/> replays them (a draw past the end is 0, the generator's first choice). Shrinking works on the
/// recipe, not on the member: <see cref="Shrink"/> proposes simpler recipes (1D grids, one field, shallower trees,
/// fewer, smaller draws), each of which still builds a valid member because the generator itself interprets the draws.
/// One generator thus serves <c>verify</c>, <see cref="Laws.CheckVariant"/> and the FsCheck properties of Onsager.Testing.
/// </summary>
public sealed record MemberRecipe
{
    /// <summary>The draws, in the order the generator asked for them, each in [0, 1).</summary>
    public ImmutableArray<double> Draws { get; }

    /// <summary>What the generator may produce.</summary>
    public RandomMemberOptions Options { get; }

    /// <summary>The seed the draws were recorded from; null once the recipe has been shrunk.</summary>
    public int? Seed { get; }

    /// <summary>A recipe from explicit draws (each clamped into [0, 1)).</summary>
    public MemberRecipe(ImmutableArray<double> draws, RandomMemberOptions? options = null, int? seed = null)
    {
        Draws = draws.IsDefault ? [] : draws.Select(Clamp).ToImmutableArray();
        Options = options ?? RandomMemberOptions.Default;
        Seed = seed;
    }

    private static double Clamp(double u) => double.IsNaN(u) ? 0 : Math.Clamp(u, 0, Math.BitDecrement(1.0));

    /// <summary>The recipe of <c>RandomMembers.Generate(seed, options)</c> (the same member, draw for draw).</summary>
    public static MemberRecipe FromSeed(int seed, RandomMemberOptions? options = null)
    {
        var o = options ?? RandomMemberOptions.Default;
        var recorder = new Recorder(new Random(seed));
        RandomMembers.Generate(recorder, o);
        return new MemberRecipe(recorder.Draws.ToImmutableArray(), o, seed);
    }

    /// <summary>The member this recipe stands for.</summary>
    public Model ToModel() => RandomMembers.Generate(new Replayer(Draws), Options);

    /// <summary>
    /// Simpler recipes, most aggressive first: options without 2D grids, second fields or a level of tree depth, and
    /// with half the points; the draws truncated (the rest taken as 0); each draw set to 0; each draw halved. Every
    /// candidate is strictly simpler (options narrower, or fewer draws, or the same draws with a smaller sum), so
    /// repeated shrinking ends.
    /// </summary>
    public IEnumerable<MemberRecipe> Shrink()
    {
        var o = Options;
        if (o.TwoDimensionalShare > 0) yield return With(o with { TwoDimensionalShare = 0 });
        if (o.MultiFieldShare > 0) yield return With(o with { MultiFieldShare = 0 });
        if (o.MaxDepth > 0) yield return With(o with { MaxDepth = o.MaxDepth - 1 });
        if (o.MaxPoints > o.MinPoints) yield return With(o with { MaxPoints = Math.Max(o.MinPoints, o.MaxPoints / 2) });
        if (o.MaxPoints2D > 4) yield return With(o with { MaxPoints2D = Math.Max(4, o.MaxPoints2D / 2) });
        int n = Draws.Length;
        for (int keep = 0; keep < n; keep = keep == 0 ? 1 : keep * 2)
            if (keep < n) yield return With(Draws.Take(keep).ToImmutableArray());
        for (int i = 0; i < n; i++)
            if (Draws[i] > 0) yield return With(Draws.SetItem(i, 0));
        for (int i = 0; i < n; i++)
            if (Draws[i] > 1e-3) yield return With(Draws.SetItem(i, Draws[i] / 2));
    }

    private MemberRecipe With(RandomMemberOptions o) => new(Draws, o);
    private MemberRecipe With(ImmutableArray<double> draws) => new(draws, Options);

    /// <summary>"random:SEED" for a recorded recipe, else the options and the draws (enough to rebuild it).</summary>
    public override string ToString() =>
        Seed is int s && Options == RandomMemberOptions.Default ? $"random:{s}"
        : Seed is int t ? $"random:{t} ({Options})"
        : $"a shrunk recipe ({Options}) of {Draws.Length} draws [{string.Join(", ", Draws.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]";

    /// <summary>A Random that answers only what RandomMembers asks (ints and doubles); anything else would escape the recipe.</summary>
    private abstract class IntsAndDoubles : Random
    {
        protected override double Sample() => NextDouble();

        public override long NextInt64() => throw new NotSupportedException("RandomMembers draws ints and doubles only.");
        public override long NextInt64(long maxValue) => throw new NotSupportedException("RandomMembers draws ints and doubles only.");
        public override long NextInt64(long minValue, long maxValue) => throw new NotSupportedException("RandomMembers draws ints and doubles only.");
        public override float NextSingle() => throw new NotSupportedException("RandomMembers draws ints and doubles only.");
        public override void NextBytes(byte[] buffer) => throw new NotSupportedException("RandomMembers draws ints and doubles only.");
        public override void NextBytes(Span<byte> buffer) => throw new NotSupportedException("RandomMembers draws ints and doubles only.");
    }

    /// <summary>Passes a source's draws through, writing each down as a number in [0, 1) that <see cref="Replayer"/> maps back to it.</summary>
    private sealed class Recorder(Random source) : IntsAndDoubles
    {
        public List<double> Draws { get; } = [];

        public override int Next() { int v = source.Next(); Draws.Add((v + 0.5) / int.MaxValue); return v; }

        public override int Next(int maxValue)
        {
            int v = source.Next(maxValue);
            Draws.Add(maxValue <= 0 ? 0 : (v + 0.5) / maxValue);
            return v;
        }

        public override int Next(int minValue, int maxValue)
        {
            int v = source.Next(minValue, maxValue);
            long range = (long)maxValue - minValue;
            Draws.Add(range <= 0 ? 0 : (v - (long)minValue + 0.5) / range);
            return v;
        }

        public override double NextDouble() { double u = source.NextDouble(); Draws.Add(u); return u; }
    }

    /// <summary>Answers the generator from recorded draws; past the end every draw is 0 (the first choice, the lower end).</summary>
    private sealed class Replayer(ImmutableArray<double> draws) : IntsAndDoubles
    {
        private int next;

        private double U() => next < draws.Length ? draws[next++] : 0.0;

        public override int Next() => (int)Math.Min(int.MaxValue - 1L, (long)(U() * int.MaxValue));

        public override int Next(int maxValue)
        {
            double u = U();
            return maxValue <= 0 ? 0 : Math.Min(maxValue - 1, (int)(u * maxValue));
        }

        public override int Next(int minValue, int maxValue)
        {
            double u = U();
            long range = (long)maxValue - minValue;
            return range <= 0 ? minValue : (int)(minValue + Math.Min(range - 1, (long)(u * range)));
        }

        public override double NextDouble() => U();
    }
}
