namespace Onsager.Data;

/// <summary>A dataset file that cannot be used: names the file and what is wrong with it.</summary>
public sealed class DatasetException : Exception
{
    public string File { get; }
    public string Problem { get; }

    public DatasetException(string file, string problem, Exception? inner = null) : base($"{file}: {problem}", inner)
    {
        File = file;
        Problem = problem;
    }
}
