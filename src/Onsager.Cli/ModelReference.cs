using Onsager.Data;

namespace Onsager.Cli;

/// <summary>What --model means everywhere in the CLI: a saved model directory, or builtin:NAME for a known-truth member.</summary>
public static class ModelReference
{
    public static Model Resolve(string reference) => ResolveFile(reference).Model;

    /// <summary>The member with its metadata: a saved directory (<see cref="ModelDirectory.Load"/>), or builtin:NAME (metadata kind
    /// "builtin") on <paramref name="grid"/> (the data's, where there are data; else the member's default grid), with spectral
    /// derivatives where the member offers them when <paramref name="spectral"/>.</summary>
    public static ModelFile ResolveFile(string reference, Grid? grid = null, bool spectral = false)
    {
        if (reference.StartsWith("builtin:", StringComparison.Ordinal))
        {
            var name = reference["builtin:".Length..];
            return new ModelFile(KnownMembers.Get(name, grid, spectral), ModelMetadata.Builtin(name));
        }
        if (Directory.Exists(reference)) return ModelDirectory.Load(reference);
        throw new UsageException($"--model '{reference}': no such model directory; give a saved model directory or builtin:NAME ({string.Join(", ", KnownMembers.Names)}).");
    }
}
