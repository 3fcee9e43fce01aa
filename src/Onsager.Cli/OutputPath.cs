namespace Onsager.Cli;

/// <summary>
/// Checks an output path before a command starts its work (a report or a generation can take minutes): a file must not
/// be an existing folder, a folder must not be an existing file, and the place must be writable (probed by creating and
/// deleting a temporary file in the nearest existing folder). A failure is an <see cref="OutputPathException"/>: one
/// line, exit code 1.
/// </summary>
public static class OutputPath
{
    /// <summary>Checks that <paramref name="path"/> can be written as a file; returns it.</summary>
    public static string File(string path, string option = "--out")
    {
        var full = Full(path, option);
        if (Directory.Exists(full) || path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar))
            throw new OutputPathException($"{option} {path} is a folder; a file is written there.");
        Writable(Path.GetDirectoryName(full)!, path, option);
        return path;
    }

    /// <summary>Checks that <paramref name="path"/> can be written as a folder (created if missing); returns it.</summary>
    public static string Folder(string path, string option = "--out")
    {
        var full = Full(path, option).TrimEnd('/', Path.DirectorySeparatorChar);
        if (System.IO.File.Exists(full)) throw new OutputPathException($"{option} {path} is an existing file; a folder is written there.");
        if (Directory.Exists(full)) Writable(full, path, option);
        if (Path.GetDirectoryName(full) is { } parent) Writable(parent, path, option);
        return path;
    }

    private static string Full(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new OutputPathException($"{option} is empty.");
        try { return Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputPathException($"{option} {path} is not a valid path: {e.Message}");
        }
    }

    /// <summary>The nearest existing ancestor of <paramref name="dir"/> (itself included) must be a folder in which a file can be created.</summary>
    private static void Writable(string dir, string path, string option)
    {
        var at = dir;
        while (!Directory.Exists(at))
        {
            if (System.IO.File.Exists(at)) throw new OutputPathException($"{option} {path}: {at} is a file, not a folder.");
            at = Path.GetDirectoryName(at) ?? throw new OutputPathException($"{option} {path}: no existing folder above it.");
        }
        var probe = Path.Combine(at, $".onsager-write-probe-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputPathException($"{option} {path}: cannot write in {at}: {e.Message}");
        }
    }
}

/// <summary>An output path that cannot be written: printed as one line, exit code 1.</summary>
public sealed class OutputPathException(string message) : Exception(message);
