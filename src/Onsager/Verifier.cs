namespace Onsager;

/// <summary>Runs the law suite (<see cref="Verification"/>) off the calling thread, with progress and cancellation.</summary>
public sealed class Verifier
{
    /// <summary>Every law on the known-truth members and on <see cref="VerificationOptions.RandomMembers"/> seeded random members.</summary>
    public Task<VerificationReport> RunAsync(VerificationOptions options, IProgress<VerificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Verification.Run(options, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// Every law (as <see cref="RunAsync"/>, on the calling thread), with a sign of life: while one member takes longer than
    /// <paramref name="every"/> (default <see cref="Heartbeat.DefaultEvery"/>), <paramref name="heartbeat"/> receives a line
    /// "verify: member I/N NAME: S s so far" every <paramref name="every"/>.
    /// </summary>
    public static VerificationReport Run(VerificationOptions options, IProgress<VerificationProgress>? progress, Action<string>? heartbeat,
                                         TimeSpan? every = null, CancellationToken cancellationToken = default)
    {
        if (heartbeat is null) return Verification.Run(options, progress, cancellationToken);
        using var beat = new Heartbeat(heartbeat, every);
        return Verification.Run(options, progress, cancellationToken, (i, total, name) => beat.Track($"verify: member {i + 1}/{total} {name}"));
    }

    /// <summary>Every law on one member (a C# test's one call).</summary>
    public static IReadOnlyList<LawResult> Check(Model model, LawOptions? options = null) => Laws.Check(model, options);
}
