using System.Diagnostics;

namespace Onsager.Data;

/// <summary>
/// The names of the temporary siblings an atomic save writes before its rename (.NAME.KIND-PID-TAG: KIND is tmp, saving or
/// old), and their cleaning: a save first removes the siblings of its target left by processes that no longer run (a
/// kill -9 mid-save), so they do not pile up; a live writer's are left alone. Where a replaced model directory was moved
/// aside (old) and its replacement never arrived, the old one is put back.
/// </summary>
public static class Temporary
{
    /// <summary>A fresh temporary sibling of <paramref name="full"/> (an absolute path) of the given kind.</summary>
    public static string Sibling(string full, string kind) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{kind}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>Removes the temporary siblings of <paramref name="full"/> whose writer is gone; restores an orphaned old directory
    /// when the target is missing. Returns how many entries it removed or restored. Never throws for I/O.</summary>
    public static int CleanStale(string full)
    {
        var dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir)) return 0;
        var name = Path.GetFileName(full);
        int cleaned = 0;
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir, $".{name}.*").OrderByDescending(Directory.GetLastWriteTimeUtc).ToList())
            {
                var rest = Path.GetFileName(entry)[(name.Length + 2)..];
                int dash = rest.IndexOf('-');
                if (dash < 0) continue;
                var kind = rest[..dash];
                if (kind is not ("tmp" or "saving" or "old")) continue;
                var fields = rest[(dash + 1)..].Split('-');
                // Names without a process id come from before it was recorded: nothing can tell whether their writer runs.
                if (fields.Length < 2 || !int.TryParse(fields[0], out var pid) || Alive(pid)) continue;
                if (kind == "old" && !Directory.Exists(full) && !File.Exists(full) && Directory.Exists(entry))
                {
                    Directory.Move(entry, full);
                    cleaned++;
                    continue;
                }
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true); else File.Delete(entry);
                cleaned++;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return cleaned;
    }

    private static bool Alive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
