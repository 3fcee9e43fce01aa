using Onsager.Cli;

namespace Onsager.Tests;

/// <summary>A test class with a temporary folder of its own, made for each test and deleted after it.</summary>
public abstract class ScratchFolder : IDisposable
{
    /// <summary>The folder (under the system's temporary path, named by <c>prefix</c> and a fresh id).</summary>
    protected readonly string dir;

    /// <summary>Makes the folder.</summary>
    protected ScratchFolder(string prefix)
    {
        dir = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
    }

    /// <summary>A path inside the folder.</summary>
    protected string P(string name) => Path.Combine(dir, name);

    /// <summary>Deletes the folder (a file still open elsewhere leaves it behind, harmlessly).</summary>
    public void Dispose()
    {
        try { Directory.Delete(dir, true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}

/// <summary>The `onsager` command run in-process, its exit code and both outputs captured.</summary>
public static class InProcessCli
{
    /// <summary>Runs <c>onsager args...</c>.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
