using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Onsager.Cli;

/// <summary>One command of `onsager`: its name, its usage text (the --help description), its options (flags take no
/// value), its positional argument if any, and what it runs.</summary>
public sealed record CommandSpec(string Name, string Usage, IReadOnlyList<string> Options, string? Positional,
                                 Func<Arguments, TextWriter, TextWriter, CancellationToken, int> Run);

/// <summary>
/// The command line on System.CommandLine: every command with its options, `--help` on each (the library's help: usage
/// text and options), and the project's one-line errors for unknown options (with the nearest name as a suggestion),
/// unknown commands (likewise) and options without a value. What a command receives is the parsed <see cref="Arguments"/>.
/// </summary>
public static class CommandLine
{
    /// <summary>The options that take no value.</summary>
    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "json", "no-known", "dg-laws", "quick", "full-backprop", "conserve-mass" };

    /// <summary>What each option means, for --help.</summary>
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["model"] = "a saved model folder or builtin:NAME", ["data"] = "a dataset (HDF5 file, folder of shards or .npz)",
        ["out"] = "where to write", ["scheme"] = $"the time stepper ({string.Join(", ", Schemes.Names)})", ["seed"] = "the random seed",
        ["json"] = "print JSON", ["random"] = "random members (default 200)", ["no-known"] = "skip the known-truth members",
        ["dg-laws"] = "also the discrete laws of the DG scheme", ["scheme-members"] = "random members the scheme laws run on",
        ["dt"] = "the time step", ["init"] = "a dataset whose frame 0 starts the rollout, or random", ["steps"] = "steps",
        ["batch"] = "states per batch", ["save-every"] = "save every K-th step", ["tolerance"] = "the DG solve's tolerance",
        ["samples"] = "trajectories", ["frames"] = "frames per trajectory", ["n"] = "grid points per axis", ["length"] = "domain length",
        ["origin"] = "domain origin", ["threads"] = "threads", ["energy-samples"] = "trajectories the known member's energy is computed on",
        ["kind"] = $"the family ({string.Join(", ", Families.Kinds)})", ["budget"] = "wall-clock budget (90s, 30m, 1h)",
        ["epochs"] = "at most this many epochs", ["horizon"] = "the loss horizon k", ["dtype"] = "training precision (f32 or f64)",
        ["lr"] = "learning rate", ["steps-per-epoch"] = "optimiser steps per epoch", ["patience"] = "plateau patience in epochs",
        ["full-backprop"] = "back-propagate through all k loss steps", ["picard"] = "Picard iterations of the training dg step",
        ["resume"] = "a model folder of an earlier train to continue", ["width"] = "network width", ["depth"] = "network depth (layers)",
        ["window"] = "frames per training window", ["modes"] = "Fourier modes (fno)", ["kernel"] = "kernel size (unconstrained)",
        ["conserve-mass"] = "members whose M and W kill constants (default: when the data conserve mass)", ["fit"] = "weak or strong (polynomial)",
        ["noise"] = "Gaussian measurement noise, a share of the rms", ["step-seconds"] = "time budget of one DG step (s)",
        ["rank"] = "rank of W (onsagernet)", ["split"] = "time or trajectories", ["stride"] = "every K-th test frame starts a rollout",
        ["quick"] = "100 trajectories and a 2-minute budget", ["trajectories"] = "test trajectories", ["points"] = "points of the u grid",
        ["terms"] = "library terms, comma-separated", ["threshold"] = "drop terms below this share", ["states"] = "states the field is sampled on",
        ["baseline"] = "the out-of-class baseline kind", ["class-check"] = "a verdict saved by check-class --out",
    };

    /// <summary>The outcome of parsing: the arguments for a command, or an exit code when parsing already answered (help).</summary>
    public sealed record Parsed(CommandSpec? Spec, Arguments? Arguments, int? Exit);

    /// <summary>Parses <paramref name="args"/> against <paramref name="specs"/>. --help on a command prints its help to
    /// <paramref name="stdout"/> (exit 0). A usage mistake is a <see cref="UsageException"/> with a one-line message.</summary>
    public static Parsed Parse(IReadOnlyList<string> args, IReadOnlyList<CommandSpec> specs, TextWriter stdout, TextWriter stderr)
    {
        var spec = specs.FirstOrDefault(s => s.Name == args[0]);
        if (spec is null)
        {
            var names = specs.Select(s => s.Name).ToList();
            throw new UsageException($"Unknown command '{args[0]}'." + Suggest(args[0], names, n => $" Did you mean '{n}'?"));
        }
        var root = new Command("onsager");
        var command = Build(spec);
        root.Add(command);
        var result = root.Parse(args);
        if (result.Action is HelpAction)
            return new Parsed(spec, null, result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr }));
        var options = new Dictionary<string, string?>();
        foreach (var o in result.CommandResult.Children.OfType<OptionResult>().Where(o => !o.Implicit))
        {
            var name = o.Option.Name[2..];
            if (Flags.Contains(name)) { options[name] = null; continue; }
            options[name] = o.Tokens.Count > 0 ? o.Tokens[^1].Value : null;
        }
        var positional = result.UnmatchedTokens.ToList();
        if (spec.Positional is { } p && command.Arguments.Count > 0)
            positional.InsertRange(0, result.GetValue<string[]>(p) ?? []);
        // An undefined --name is a value to System.CommandLine: here it is an unknown option (a number such as -1 is not).
        var unknown = positional.FirstOrDefault(t => t.StartsWith('-') && t.Length > 1 && !double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        if (unknown is not null)
        {
            var name = unknown.TrimStart('-').Split('=')[0];
            throw new UsageException($"Unknown option --{name} for '{spec.Name}'." + Suggest(name, spec.Options, n => $" Did you mean --{n}?") +
                                     $" Options: {string.Join(", ", spec.Options.Select(a => "--" + a))}.");
        }
        foreach (var (name, value) in options)
            if (value is null && !Flags.Contains(name)) throw new UsageException($"Option --{name} needs a value.");
        if (spec.Positional is null && positional.Count > 0)
            throw new UsageException($"Unexpected argument '{positional[0]}' for '{spec.Name}'.");
        if (result.Errors.Count > 0) throw new UsageException(result.Errors[0].Message);
        return new Parsed(spec, new Arguments(spec.Name, positional, options), null);
    }

    /// <summary>The System.CommandLine command of a spec: each option a string (flags take none), the positional values if any.</summary>
    private static Command Build(CommandSpec spec)
    {
        var command = new Command(spec.Name, spec.Usage.Trim()) { TreatUnmatchedTokensAsErrors = false };
        command.Add(new HelpOption());
        foreach (var name in spec.Options)
        {
            var description = Descriptions.GetValueOrDefault(name, name);
            if (Flags.Contains(name)) command.Add(new Option<bool>("--" + name) { Description = description, Arity = ArgumentArity.Zero });
            else command.Add(new Option<string>("--" + name) { Description = description, Arity = ArgumentArity.ZeroOrOne, HelpName = name.ToUpperInvariant() });
        }
        if (spec.Positional is { } p) command.Add(new Argument<string[]>(p) { Arity = ArgumentArity.ZeroOrMore });
        return command;
    }

    /// <summary>The nearest name (edit distance at most 2, or a prefix), formatted; empty when none is near.</summary>
    public static string Suggest(string typed, IEnumerable<string> names, Func<string, string> format)
    {
        var best = names.Select(n => (Name: n, Distance: n.StartsWith(typed, StringComparison.Ordinal) && typed.Length >= 3 ? 1 : Distance(typed, n)))
                        .Where(x => x.Distance <= Math.Max(1, Math.Min(2, typed.Length / 3)))
                        .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is null ? "" : format(best.Name);
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment): insertions, deletions, substitutions, transpositions.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
