namespace Onsager.Cli;

/// <summary>Parsed command-line arguments: a command, positional values and --options (an option may be a flag).</summary>
public sealed record Arguments(string Command, IReadOnlyList<string> Positional, IReadOnlyDictionary<string, string?> Options)
{
    /// <summary>Options given last (or before another option) with no value: an unknown name is reported as unknown, a known one as needing a value.</summary>
    public IReadOnlySet<string> Missing { get; init; } = new HashSet<string>();

    public static Arguments Parse(IReadOnlyList<string> args, IReadOnlySet<string> flags)
    {
        if (args.Count == 0) return new Arguments("help", [], new Dictionary<string, string?>());
        var positional = new List<string>();
        var options = new Dictionary<string, string?>();
        var missing = new HashSet<string>();
        for (int i = 1; i < args.Count; i++)
        {
            var a = args[i];
            if (a.StartsWith("--"))
            {
                var name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (!flags.Contains(name))
                {
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--")) missing.Add(name);
                    else value = args[++i];
                }
                options[name] = value;
            }
            else positional.Add(a);
        }
        return new Arguments(args[0], positional, options) { Missing = missing };
    }

    public bool Flag(string name) => Options.ContainsKey(name);

    public string? Text(string name) => Options.TryGetValue(name, out var v) ? v ?? NeedsValue(name) : null;

    private string? NeedsValue(string name) => Missing.Contains(name) ? throw new UsageException($"Option --{name} needs a value.") : null;

    public int Int(string name, int fallback, int min = int.MinValue)
    {
        if (!Options.TryGetValue(name, out var v) || (v ?? NeedsValue(name)) is null) return fallback;
        if (!int.TryParse(v, out var x)) throw new UsageException($"--{name} expects an integer, got '{v}'.");
        if (x < min) throw new UsageException($"--{name} must be at least {min}, got {x}.");
        return x;
    }

    public double Double(string name, double fallback, bool positive = false)
    {
        if (!Options.TryGetValue(name, out var v) || (v ?? NeedsValue(name)) is null) return fallback;
        if (!double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x))
            throw new UsageException($"--{name} expects a number, got '{v}'.");
        if (positive && x <= 0) throw new UsageException($"--{name} must be positive, got {v}.");
        return x;
    }

    public void Only(params string[] allowed)
    {
        foreach (var k in Options.Keys)
            if (!allowed.Contains(k)) throw new UsageException($"Unknown option --{k} for '{Command}'. Options: {string.Join(", ", allowed.Select(a => "--" + a))}.");
        foreach (var k in Missing) NeedsValue(k);
    }
}

/// <summary>A command-line mistake: printed with the usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
