using Onsager.Data;

namespace Onsager.Cli;

/// <summary>What --model means everywhere in the CLI: a saved model directory, or builtin:NAME for a known-truth member.</summary>
public static class ModelReference
{
    public static Model Resolve(string reference) => ResolveFile(reference).Model;

    /// <summary>The member with its metadata: a saved directory (<see cref="ModelDirectory.Load"/>), or builtin:NAME (metadata kind "builtin").</summary>
    public static ModelFile ResolveFile(string reference)
    {
        if (reference.StartsWith("builtin:", StringComparison.Ordinal))
        {
            var name = reference["builtin:".Length..];
            return new ModelFile(KnownMembers.Get(name), ModelMetadata.Builtin(name));
        }
        if (Directory.Exists(reference)) return ModelDirectory.Load(reference);
        throw new UsageException($"--model '{reference}': no such model directory; give a saved model directory or builtin:NAME ({string.Join(", ", KnownMembers.Names)}).");
    }
}
