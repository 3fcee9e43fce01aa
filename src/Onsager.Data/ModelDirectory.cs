namespace Onsager.Data;

/// <summary>
/// A trained model on disk: a directory holding model.json (format tag, version, metadata, the algebra value or force field,
/// the SHA-256 of the weights) and weights.bin (the long arrays as float64 little-endian). The format is
/// <see cref="ModelJson"/>'s; this class only reads and writes the files.
/// </summary>
public static class ModelDirectory
{
    /// <summary>
    /// Writes <paramref name="file"/> to <paramref name="dir"/> atomically: into a temporary sibling directory (files
    /// flushed to disk), then renamed into place. An existing directory is moved aside first and deleted only once the
    /// new one is in place, so a failed save leaves what was there. Custom primitives are refused
    /// (<see cref="NotSupportedException"/>) before anything is written.
    /// </summary>
    public static void Save(string dir, ModelFile file) => Save(dir, file, new Dictionary<string, byte[]>());

    /// <summary>Saves like <see cref="Save(string, ModelFile)"/>, with <paramref name="extras"/> (file name to bytes: a training
    /// checkpoint's optimiser state) written into the same directory before the rename, so they arrive together or not at all.</summary>
    public static void Save(string dir, ModelFile file, IReadOnlyDictionary<string, byte[]> extras)
    {
        ArgumentNullException.ThrowIfNull(file);
        var encoding = ModelJson.Encode(file.Field, file.Metadata);   // throws before any I/O
        var full = Path.GetFullPath(dir.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var parent = Path.GetDirectoryName(full) ?? throw new ModelFileException(dir, "cannot save a model at the file-system root.");
        var name = Path.GetFileName(full);
        if (File.Exists(full)) throw new ModelFileException(full, "exists and is a file, not a model directory.");
        Directory.CreateDirectory(parent);
        Temporary.CleanStale(full);
        var temp = Temporary.Sibling(full, "saving");
        var aside = Temporary.Sibling(full, "old");
        try
        {
            Directory.CreateDirectory(temp);
            Write(Path.Combine(temp, ModelJson.WeightsFileName), encoding.Weights.AsSpan());
            foreach (var (extra, bytes) in extras)
            {
                if (extra != Path.GetFileName(extra) || extra is ModelJson.JsonFileName or ModelJson.WeightsFileName)
                    throw new ArgumentException($"'{extra}' is not a name for an extra file of a model directory.");
                Write(Path.Combine(temp, extra), bytes);
            }
            // model.json last: a directory with it is complete.
            Write(Path.Combine(temp, ModelJson.JsonFileName), System.Text.Encoding.UTF8.GetBytes(encoding.Json));
            bool replacing = Directory.Exists(full);
            if (replacing) Directory.Move(full, aside);
            try { Directory.Move(temp, full); }
            catch
            {
                if (replacing) Directory.Move(aside, full);
                throw;
            }
            if (replacing) TryDelete(aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new ModelFileException(full, $"cannot save: {e.Message}", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Saves a member or a force field with its metadata (see <see cref="Save(string, ModelFile)"/>).</summary>
    public static void Save(string dir, IVectorField field, ModelMetadata metadata) => Save(dir, new ModelFile(field, metadata));

    private static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        using var s = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        s.Write(bytes);
        s.Flush(flushToDisk: true);
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Reads a model directory. Throws <see cref="ModelFileException"/> naming the file and the problem: missing
    /// directory or file, not an Onsager model (format tag), unsupported version, malformed JSON (with the path of
    /// the bad node), truncated weights, checksum or array-count mismatch.
    /// </summary>
    public static ModelFile Load(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new ModelFileException(full, File.Exists(full) ? "is a file; a model is a directory holding model.json and weights.bin." : "no such model directory.");
        var jsonPath = Path.Combine(full, ModelJson.JsonFileName);
        var weightsPath = Path.Combine(full, ModelJson.WeightsFileName);
        if (!File.Exists(jsonPath)) throw new ModelFileException(jsonPath, "missing: a model directory holds model.json and weights.bin.");
        if (!File.Exists(weightsPath)) throw new ModelFileException(weightsPath, "missing: a model directory holds model.json and weights.bin.");
        string json;
        byte[] weights;
        try
        {
            json = File.ReadAllText(jsonPath);
            weights = File.ReadAllBytes(weightsPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(full, $"cannot read: {e.Message}", e);
        }
        try { return ModelJson.Decode(json, weights); }
        catch (ModelFileException e)
        {
            throw new ModelFileException(Path.Combine(full, e.File), e.Problem, e);
        }
    }

    /// <summary>Throws <see cref="ModelFileException"/> when the data's grid or field count differs from the model's.</summary>
    public static ModelFile CheckCompatible(ModelFile file, Grid grid, int fields) => file.CheckCompatible(grid, fields);
}
