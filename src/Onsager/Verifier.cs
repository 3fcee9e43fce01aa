namespace Onsager;

/// <summary>Runs the law suite (<see cref="Verification"/>) off the calling thread, with progress and cancellation.</summary>
public sealed class Verifier
{
    /// <summary>Every law on the known-truth members and on <see cref="VerificationOptions.RandomMembers"/> seeded random members.</summary>
    public Task<VerificationReport> RunAsync(VerificationOptions options, IProgress<VerificationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Verification.Run(options, progress, cancellationToken), cancellationToken);

    /// <summary>Every law on one member (a C# test's one call).</summary>
    public static IReadOnlyList<LawResult> Check(Model model, LawOptions? options = null) => Laws.Check(model, options);
}
