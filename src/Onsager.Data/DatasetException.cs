namespace Onsager.Data;

/// <summary>A dataset file that cannot be used: names the file and what is wrong with it.</summary>
public sealed class DatasetException : Exception
{
    /// <summary>The dataset file.</summary>
    public string File { get; }
    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    /// <summary>An error in the file, with the problem in one line.</summary>
    public DatasetException(string file, string problem, Exception? inner = null) : base($"{file}: {OneLine(problem)}", inner)
    {
        File = file;
        Problem = OneLine(problem);
    }

    /// <summary>The problem as one line of at most 400 characters: a parser's message may quote the bad bytes, newlines and
    /// control characters included (a corrupt model.json, an .npy header), and an error is one line.</summary>
    private static string OneLine(string problem)
    {
        var flat = new string(problem.Select(c => char.IsControl(c) || c == '\uFFFD' ? ' ' : c).ToArray());
        flat = string.Join(' ', flat.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 400 ? flat : flat[..397] + "...";
    }
}
