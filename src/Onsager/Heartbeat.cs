using System.Diagnostics;
using System.Globalization;

namespace Onsager;

/// <summary>
/// A sign of life for long work: the caller names what is running (<see cref="Set"/>), and while one such piece of work
/// runs longer than <see cref="Every"/>, a line "WHAT: N s so far" goes to the report callback every <see cref="Every"/>
/// (from a timer thread). Short pieces of work print nothing. Verify and simulate wire it to stderr.
/// </summary>
public sealed class Heartbeat : IDisposable
{
    /// <summary>The default interval: a few seconds.</summary>
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(5);

    private readonly Action<string> report;
    private readonly Timer timer;
    private readonly object gate = new();
    private readonly Dictionary<object, (string What, long Started)> running = [];
    private readonly object main = new();

    /// <summary>How long a piece of work runs before the first line, and the interval between lines.</summary>
    public TimeSpan Every { get; }

    /// <summary>A heartbeat that reports lines through report.</summary>
    public Heartbeat(Action<string> report, TimeSpan? every = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        Every = every ?? DefaultEvery;
        if (Every <= TimeSpan.Zero) throw new ArgumentException($"A heartbeat interval must be positive, got {Every}.");
        this.report = report;
        timer = new Timer(_ => Tick(), null, Every, Every);
    }

    /// <summary>Names the one piece of work now running (null: nothing); its clock starts now.</summary>
    public void Set(string? what)
    {
        lock (gate)
        {
            if (what is null) running.Remove(main);
            else running[main] = (what, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Tracks one of several pieces of work running at once, until the returned handle is disposed.</summary>
    public IDisposable Track(string what)
    {
        var key = new Handle(this);
        lock (gate) running[key] = (what, Stopwatch.GetTimestamp());
        return key;
    }

    private sealed class Handle(Heartbeat owner) : IDisposable
    {
        public void Dispose() { lock (owner.gate) owner.running.Remove(this); }
    }

    private void Tick()
    {
        List<string> lines;
        lock (gate)
            lines = running.Values.Select(x => (x.What, Elapsed: Stopwatch.GetElapsedTime(x.Started))).Where(x => x.Elapsed >= Every)
                           .Select(x => string.Format(CultureInfo.InvariantCulture, "{0}: {1:F0} s so far", x.What, x.Elapsed.TotalSeconds)).ToList();
        foreach (var line in lines) report(line);
    }

    /// <inheritdoc />
    public void Dispose() => timer.Dispose();
}
