namespace Onsager.Cli;

/// <summary>A parsed command line (<see cref="CommandLine.Parse"/>): the command, positional values and --options (a flag's
/// value is null), read with the project's one-line messages for values of the wrong kind.</summary>
public sealed record Arguments(string Command, IReadOnlyList<string> Positional, IReadOnlyDictionary<string, string?> Options)
{
    public bool Flag(string name) => Options.ContainsKey(name);

    public string? Text(string name) => Options.TryGetValue(name, out var v) ? v : null;

    public int Int(string name, int fallback, int min = int.MinValue)
    {
        if (Text(name) is not { } v) return fallback;
        if (!int.TryParse(v, out var x)) throw new UsageException($"--{name} expects an integer, got '{v}'.");
        if (x < min) throw new UsageException($"--{name} must be at least {min}, got {x}.");
        return x;
    }

    public double Double(string name, double fallback, bool positive = false)
    {
        if (Text(name) is not { } v) return fallback;
        if (!double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x))
            throw new UsageException($"--{name} expects a number, got '{v}'.");
        if (positive && x <= 0) throw new UsageException($"--{name} must be positive, got {v}.");
        return x;
    }
}

/// <summary>A command-line mistake: printed with the usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
