using System.Collections.Immutable;

namespace Onsager.Guarantees;

/// <summary>What a verification run covers.</summary>
/// <param name="RandomMembers">How many random members to check (seeds <paramref name="Seed"/> onwards).</param>
/// <param name="Seed">The seed of the first random member (`random:seed`).</param>
/// <param name="KnownMembers">Whether the known members are checked too (each on N = 32 and spectrally on N = 64).</param>
/// <param name="Laws">The options of the algebra laws (null: <see cref="LawOptions.Default"/>).</param>
/// <param name="Generator">The options of the random-member generator (null: its defaults).</param>
/// <param name="Schemes">The steppers and time steps whose scheme laws are checked (default: none).</param>
/// <param name="AlgebraLaws">Whether the algebra laws are checked (false: only the scheme laws).</param>
/// <param name="SchemeRandomMembers">How many of the random members (the first ones, in seed order) also get the scheme
/// laws; null: all. The known members always do. `verify --dg-laws` uses 200, so that `verify --random 2000 --dg-laws`
/// adds the DG laws of 216 members (648 DG solves) rather than 2000.</param>
public sealed record VerificationOptions(int RandomMembers = 200, int Seed = 0, bool KnownMembers = true, LawOptions? Laws = null,
                                         RandomMemberOptions? Generator = null, ImmutableArray<(Stepper Stepper, double Dt)> Schemes = default,
                                         bool AlgebraLaws = true, int? SchemeRandomMembers = null)
{
    /// <summary>How many members are checked at once (each on its own thread; the result does not depend on it). At least 1.</summary>
    public int Parallelism { get; init => field = value >= 1 ? value : throw new ArgumentException($"Parallelism is at least 1, got {value}."); } = 1;

    /// <summary>The time budget of one DG step in `verify` (seconds, <see cref="DgOptions.MaxStepSeconds"/>): 50 times the
    /// median member at dt = 1e3, and what keeps `verify --random 1000 --scheme dg --dt 1000` under 30 minutes on two cores
    /// (docs/reliability.md). A step cut by it is counted as unconverged, never as a violation.</summary>
    public const double DefaultStepSeconds = 15;

    /// <summary>How many random members `verify --dg-laws` checks the DG laws on (the first ones, seeded).</summary>
    public const int DefaultSchemeRandomMembers = 200;

    /// <summary>The discrete laws of the DG scheme at dt in {1e-3, 1, 1e3} (issue 3; `onsager verify --dg-laws`, not yet the
    /// default: see docs/benchmarks.md for the members that still end unconverged).</summary>
    public static ImmutableArray<(Stepper, double)> DefaultSchemes { get; } =
        [(new Stepper.DiscreteGradient(DgOptions.Laws), 1e-3), (new Stepper.DiscreteGradient(DgOptions.Laws), 1.0), (new Stepper.DiscreteGradient(DgOptions.Laws), 1e3)];

    /// <summary>The schemes to check (none if unset).</summary>
    public ImmutableArray<(Stepper Stepper, double Dt)> EffectiveSchemes => Schemes.IsDefault ? [] : Schemes;
}

/// <summary>The outcome of a verification run: per-law totals over every member checked.</summary>
public sealed record VerificationReport(int Members, ImmutableArray<LawResult> Laws, TimeSpan Elapsed)
{
    /// <summary>The number of checks over all laws.</summary>
    public int Checks => Laws.Sum(l => l.Checks);
    /// <summary>The number of violations over all laws.</summary>
    public int Violations => Laws.Sum(l => l.Violations);
    /// <summary>Time steps whose solve did not converge: counted apart, not judged (<see cref="Violations"/> are among converged steps).</summary>
    public int Unconverged => Laws.Where(l => l.Name.StartsWith("step-no-energy-rise", StringComparison.Ordinal) || l.Name.StartsWith("step-reversible", StringComparison.Ordinal))
                                  .Sum(l => l.Unconverged);
    /// <summary>Checks whose step (or measurement) threw (<see cref="SchemeLaws.Crashed"/>): each also counts as a violation.</summary>
    public int Crashed => Laws.Where(l => l.Name.StartsWith(SchemeLaws.Crashed, StringComparison.Ordinal)).Sum(l => l.Violations);
    /// <summary>Whether no law was violated.</summary>
    public bool Passed => Violations == 0;
    /// <summary>The member that took longest, and its seconds (null for no members).</summary>
    public (string Member, double Seconds)? Slowest { get; init; }
}

/// <summary>Progress of a verification run.</summary>
public sealed record VerificationProgress(int Done, int Total, string Member);

/// <summary>Runs every law on the known-truth members and on seeded random members (pure orchestration of <see cref="Laws"/>).</summary>
public static class Verification
{
    /// <summary>The members a run covers, in order: known-truth members on small grids, then random member i from seed + i.</summary>
    public static IEnumerable<(string Name, Func<Model> Build)> Members(VerificationOptions o)
    {
        if (o.KnownMembers)
            foreach (var name in KnownMembers.Names)
            {
                yield return ($"builtin:{name}", () => KnownMembers.Get(name, Grid.Periodic(2 * Math.PI, 32)));
                yield return ($"builtin:{name} (spectral, N = 64)", () => KnownMembers.Get(name, Grid.Periodic(2 * Math.PI, 64), spectral: true));
            }
        for (int i = 0; i < o.RandomMembers; i++)
        {
            int seed = o.Seed + i;
            yield return ($"random:{seed}", () => RandomMembers.Generate(seed, o.Generator));
        }
    }

    /// <summary>Checks the laws on every member <paramref name="o"/> covers.</summary>
    /// <param name="o">What the run covers.</param>
    /// <param name="progress">Receives a report as each member is done.</param>
    /// <param name="cancel">Stops the run between members.</param>
    /// <param name="track">Called as member i (of the total, by name) starts; the handle it returns is disposed when the
    /// member is done: a caller's sign-of-life hook.</param>
    public static VerificationReport Run(VerificationOptions o, IProgress<VerificationProgress>? progress = null, CancellationToken cancel = default,
                                         Func<int, int, string, IDisposable>? track = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var members = Members(o).ToList();
        var perMember = new ImmutableArray<LawResult>[members.Count];
        var seconds = new double[members.Count];
        int known = members.Count(x => !x.Name.StartsWith("random:", StringComparison.Ordinal));
        int done = 0;
        void Check(int i)
        {
            cancel.ThrowIfCancellationRequested();
            var (name, build) = members[i];
            using var tracked = track?.Invoke(i, members.Count, name);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var laws = o.Laws ?? LawOptions.Default;
            var model = build();
            var r = o.AlgebraLaws ? Laws.Check(model, laws with { Seed = laws.Seed + i }) : [];
            bool schemes = !name.StartsWith("random:", StringComparison.Ordinal) || o.SchemeRandomMembers is not int limit || i - known < limit;
            if (schemes)
                foreach (var (stepper, dt) in o.EffectiveSchemes) r = r.AddRange(SchemeLaws.Check(model, stepper, dt, laws.Seed + i));
            seconds[i] = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            perMember[i] = r.Select(x => x.FirstViolation is null ? x : x with { FirstViolation = $"{name}: {x.FirstViolation}" }).ToImmutableArray();
            progress?.Report(new VerificationProgress(Interlocked.Increment(ref done), members.Count, name));
        }
        if (o.Parallelism == 1)
            for (int i = 0; i < members.Count; i++) Check(i);
        else
            try { Parallel.For(0, members.Count, new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = cancel }, Check); }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        // In member order whatever the parallelism, so that the first violation named is the same.
        var results = perMember.SelectMany(r => r).ToList();
        int slowest = members.Count == 0 ? -1 : Array.IndexOf(seconds, seconds.Max());
        return new VerificationReport(members.Count, LawResult.Summarize(results), watch.Elapsed)
        {
            Slowest = slowest < 0 ? null : (members[slowest].Name, seconds[slowest]),
        };
    }
}
