namespace Onsager.Cli;

/// <summary>What --model means everywhere in the CLI: a saved model directory, or builtin:NAME for a known-truth member.</summary>
public static class ModelReference
{
    public static Model Resolve(string reference)
    {
        if (reference.StartsWith("builtin:", StringComparison.Ordinal))
        {
            var name = reference["builtin:".Length..];
            return KnownMembers.Get(name);
        }
        throw new UsageException($"--model '{reference}': saved model directories arrive with training; use builtin:NAME ({string.Join(", ", KnownMembers.Names)}).");
    }
}
