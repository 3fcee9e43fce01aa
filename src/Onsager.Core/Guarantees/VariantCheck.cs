using System.Collections.Immutable;
using System.Text;

namespace Onsager.Guarantees;

/// <summary>How <see cref="Laws.CheckVariant"/> samples and shrinks.</summary>
/// <param name="Generator">The random members' options (null: <see cref="RandomMemberOptions.Default"/>, <c>verify</c>'s).</param>
/// <param name="Laws">The laws' sampling (its seed is offset by each member's seed).</param>
/// <param name="ShrinkBudget">At most this many law checks per failing law while shrinking its first failing member.</param>
public sealed record VariantCheckOptions(RandomMemberOptions? Generator = null, LawOptions? Laws = null, int ShrinkBudget = 200)
{
    /// <summary>The defaults.</summary>
    public static VariantCheckOptions Default { get; } = new();
}

/// <summary>One law a variant breaks: where it first failed, and the smallest failing member shrinking found.</summary>
/// <param name="Law">The law's name (from <see cref="Laws.Names"/>).</param>
/// <param name="FailingMembers">Seeds of the members (<c>random:SEED</c>) on which the law failed, in order.</param>
/// <param name="First">The first failing member's recipe.</param>
/// <param name="FirstResult">The law's result on the variant of the first failing member.</param>
/// <param name="Smallest">The smallest failing member's recipe (shrunk from <paramref name="First"/>).</param>
/// <param name="SmallestMember">The variant of the smallest failing member (what the law judged).</param>
/// <param name="SmallestResult">The law's result on it.</param>
/// <param name="ShrinkSteps">How many simpler recipes were accepted on the way.</param>
public sealed record VariantFailure(string Law, ImmutableArray<int> FailingMembers, MemberRecipe First, LawResult FirstResult,
                                   MemberRecipe Smallest, Model SmallestMember, LawResult SmallestResult, int ShrinkSteps);

/// <summary>A member whose variant (or whose laws) threw: not a law violation, but the check failed.</summary>
public sealed record VariantCrash(int Member, string Error);

/// <summary>The outcome of <see cref="Laws.CheckVariant"/>: per-law totals over every member, and per failing law the
/// members it failed on and the smallest failing member. <see cref="ToString"/> prints it as a short table.</summary>
public sealed record VariantReport(int Members, int Seed, ImmutableArray<LawResult> Laws, ImmutableArray<VariantFailure> Failures,
                                   ImmutableArray<VariantCrash> Crashes)
{
    /// <summary>No law violated on any member and no member crashed.</summary>
    public bool Passed => Failures.IsEmpty && Crashes.IsEmpty;

    /// <summary>Checks made in all.</summary>
    public int Checks => Laws.Sum(l => l.Checks);

    /// <summary>A readable report: a line per law, then each failure and crash.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine($"variant on {Members} random members (random:{Seed}..random:{Seed + Members - 1}): "
                     + (Passed ? "every law holds" : $"{Failures.Length} law(s) fail, {Crashes.Length} member(s) crashed"));
        foreach (var l in Laws)
            s.AppendLine($"  {l.Name,-38} {l.Checks,6} checks {l.Violations,5} violated  worst margin {l.WorstMargin:G3}");
        foreach (var f in Failures)
        {
            s.AppendLine($"{f.Law} fails on {f.FailingMembers.Length} member(s), first {f.First}: {f.FirstResult.FirstViolation}");
            s.AppendLine($"  smallest failing member ({f.ShrinkSteps} shrink steps): {f.SmallestMember.Describe()}");
            s.AppendLine($"    on {f.SmallestMember.Grid}, {f.SmallestMember.Fields} field(s): {f.SmallestResult.FirstViolation}");
        }
        foreach (var c in Crashes) s.AppendLine($"random:{c.Member} crashed: {c.Error}");
        return s.ToString().TrimEnd();
    }
}

public static partial class Laws
{
    /// <summary>
    /// Property-checks a variant of the class in one call: every law on <paramref name="variant"/>(m) for the random
    /// members m = <c>random:seed</c> .. <c>random:seed + members - 1</c> (the members <c>onsager verify --seed</c>
    /// checks). For each law that fails, the first failing member is shrunk by its recipe (<see cref="MemberRecipe.Shrink"/>)
    /// to the smallest member whose variant still fails that law. A variant (or a law) that throws on a member is
    /// reported as a crash of that member.
    /// </summary>
    public static VariantReport CheckVariant(Func<Model, Model> variant, int members, int seed, VariantCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (members < 1) throw new ArgumentOutOfRangeException(nameof(members), members, "Check at least one member.");
        var o = options ?? VariantCheckOptions.Default;
        var laws = o.Laws ?? LawOptions.Default;
        var results = new List<LawResult>();
        var firsts = new Dictionary<string, (MemberRecipe Recipe, LawResult Result, List<int> Seeds)>();
        var crashes = ImmutableArray.CreateBuilder<VariantCrash>();
        for (int i = 0; i < members; i++)
        {
            int s = unchecked(seed + i);
            var recipe = MemberRecipe.FromSeed(s, o.Generator);
            ImmutableArray<LawResult> r;
            try { r = Check(variant(recipe.ToModel()), laws with { Seed = unchecked(laws.Seed + s) }); }
            catch (Exception e) when (e is not OutOfMemoryException) { crashes.Add(new VariantCrash(s, e.Message)); continue; }
            results.AddRange(r);
            foreach (var failed in r.Where(x => x.Violations > 0))
            {
                if (!firsts.TryGetValue(failed.Name, out var f)) firsts[failed.Name] = f = (recipe, failed, []);
                f.Seeds.Add(s);
            }
        }
        var failures = Names.Where(firsts.ContainsKey).Select(law =>
        {
            var (first, result, seeds) = firsts[law];
            var (smallest, member, shrunk, steps) = ShrinkFailure(variant, law, first, result, laws with { Seed = unchecked(laws.Seed + first.Seed!.Value) }, o.ShrinkBudget);
            return new VariantFailure(law, seeds.ToImmutableArray(), first, result, smallest, member, shrunk, steps);
        }).ToImmutableArray();
        return new VariantReport(members, seed, LawResult.Summarize(results), failures, crashes.ToImmutable());
    }

    /// <summary>Greedy shrinking: take the first simpler recipe whose variant still fails the law, until none does or the budget ends.</summary>
    private static (MemberRecipe, Model, LawResult, int) ShrinkFailure(Func<Model, Model> variant, string law, MemberRecipe recipe, LawResult result,
                                                                       LawOptions laws, int budget)
    {
        var current = (Recipe: recipe, Member: variant(recipe.ToModel()), Result: result);
        int steps = 0, spent = 0;
        bool progress = true;
        while (progress && spent < budget)
        {
            progress = false;
            foreach (var candidate in current.Recipe.Shrink())
            {
                if (spent++ >= budget) break;
                try
                {
                    var member = variant(candidate.ToModel());
                    var r = Check(law, member, laws);
                    if (r.Violations == 0) continue;
                    current = (candidate, member, r);
                    steps++;
                    progress = true;
                    break;
                }
                catch (Exception e) when (e is not OutOfMemoryException) { }       // a candidate that crashes is not a smaller failure of this law
            }
        }
        return (current.Recipe, current.Member, current.Result, steps);
    }
}
