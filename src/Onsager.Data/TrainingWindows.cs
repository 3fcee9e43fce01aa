using System.Collections.Immutable;

namespace Onsager.Data;

/// <summary>Where a window starts: trajectory (sample index in the file) and first frame.</summary>
public sealed record WindowStart(int Sample, int Start);

/// <summary>
/// Windows of consecutive frames for training: the trajectories of the given samples are held in memory when they
/// fit within memoryBytes (default <see cref="DefaultMemoryBytes"/>), else every window is read from
/// disk when asked for (sharded ac2d at 1000 trajectories is 6.6 GB of float32, its training split 4.6 GB).
/// </summary>
public sealed class TrainingWindows : IDisposable
{
    private readonly DatasetReader reader;
    private readonly Dictionary<int, float[]> cache = [];

    /// <summary>The dataset.</summary>
    public Dataset Dataset => reader.Dataset;
    /// <summary>The samples windows come from.</summary>
    public ImmutableArray<int> Samples { get; }
    /// <summary>The frames that windows may cover (the whole trajectory, or one part of a split in time).</summary>
    public FrameRange Frames { get; }
    /// <summary>The window length in frames.</summary>
    public int Length { get; }
    /// <summary>Whether the trajectories are held in memory.</summary>
    public bool InMemory { get; }

    /// <summary>A quarter of the memory available to the process (at least 2 GB): a 128 x 128 window read from a shard on disk costs
    /// 0.1-0.6 s (a hyperslab, or the whole shard when windows jump between shards), more than the training step it feeds.</summary>
    public static long DefaultMemoryBytes => Math.Max(2L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>Windows of the given length over the samples' frames.</summary>
    public TrainingWindows(DatasetReader reader, ImmutableArray<int> samples, int length = 11, long? memoryBytes = null, FrameRange? frames = null)
    {
        var range = frames ?? new FrameRange(0, reader.Dataset.Frames);
        if (range.End > reader.Dataset.Frames)
            throw new ArgumentException($"{reader.Dataset.Path}: {range} outside the file's {reader.Dataset.Frames} frames.");
        if (length < 2 || length > range.Count)
            throw new ArgumentException(range.Count == reader.Dataset.Frames
                ? $"{reader.Dataset.Path}: windows of {length} frames need trajectories of at least {length} frames; the file has {reader.Dataset.Frames}."
                : $"{reader.Dataset.Path}: windows of {length} frames do not fit in {range} ({range.Count} frames); use shorter windows (--window).");
        if (samples.IsDefaultOrEmpty) throw new ArgumentException($"{reader.Dataset.Path}: no trajectories to draw windows from.");
        this.reader = reader;
        Samples = samples;
        Frames = range;
        Length = length;
        InMemory = (long)samples.Length * reader.Dataset.SampleSize * sizeof(float) <= (memoryBytes ?? DefaultMemoryBytes);
        // In file order: the reader keeps the last file (shard) it read whole, so each is read once.
        if (InMemory)
            foreach (var s in samples.Distinct().Order()) cache[s] = Checked(reader.ReadTrajectory(s), s);
    }

    private float[] Checked(float[] values, int sample)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new DatasetException(reader.Dataset.Path, $"trajectory {sample} holds {values[i]} at flat index {i} of its frames (NaN or Inf in the training data).");
        return values;
    }

    /// <summary>Start frames per trajectory: Frames.Start .. Frames.End - Length.</summary>
    public int StartsPerTrajectory => Frames.Count - Length + 1;

    /// <summary><paramref name="count"/> windows drawn uniformly (seeded by the caller's generator).</summary>
    public ImmutableArray<WindowStart> Draw(Random rng, int count) =>
        Enumerable.Range(0, count).Select(_ => new WindowStart(Samples[rng.Next(Samples.Length)], Frames.Start + rng.Next(StartsPerTrajectory))).ToImmutableArray();

    /// <summary>The values of the windows, layout (window, frame, sites..., fields) as in the file.</summary>
    public float[] Read(IReadOnlyList<WindowStart> windows)
    {
        long size = Length * Dataset.FrameSize;
        var result = new float[windows.Count * size];
        for (int w = 0; w < windows.Count; w++)
        {
            var (s, start) = (windows[w].Sample, windows[w].Start);
            if (cache.TryGetValue(s, out var trajectory))
                Array.Copy(trajectory, start * Dataset.FrameSize, result, w * size, size);
            else
                Checked(reader.ReadWindow(s, start, Length), s).CopyTo(result, w * size);
        }
        return result;
    }

    /// <inheritdoc />
    public void Dispose() => reader.Dispose();
}
