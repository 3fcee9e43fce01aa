namespace Onsager.Data;

/// <summary>A dataset file that cannot be used: names the file and what is wrong with it.</summary>
/// <param name="file">The file.</param>
/// <param name="problem">What is wrong with it (made one line).</param>
/// <param name="inner">The error that revealed it, if any.</param>
public sealed class DatasetException(string file, string problem, Exception? inner = null) : FileProblemException(file, problem, inner);
