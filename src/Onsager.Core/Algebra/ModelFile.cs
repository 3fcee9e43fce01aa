using System.Text.Json;

namespace Onsager.Algebra;

/// <summary>
/// What a caller records beside a trained member: the kind of model ("spectral", "builtin", ...), its time step,
/// the dtype it was trained in ("float32" or "float64"), a note on the gauge it was fixed in, and free-form training
/// metadata (a JSON object: epochs, seed, losses, dataset, created time, ...). Immutable; equality compares the
/// training object structurally.
/// </summary>
public sealed record ModelMetadata
{
    /// <summary>The model's kind.</summary>
    public string Kind { get; init => field = string.IsNullOrWhiteSpace(value) ? throw Checks.Invalid("kind", "A model's kind must not be empty.") : value; }
    /// <summary>The model's time step (null for a continuous-time member with none): positive and finite.</summary>
    public double? Dt
    {
        get;
        init => field = value is null || (value > 0 && double.IsFinite(value.Value)) ? value
            : throw Checks.Invalid("dt", $"A model's time step must be positive and finite, got {Checks.Show(value.Value)}.");
    }
    /// <summary>The training dtype: float32 or float64.</summary>
    public string DType { get; init => field = value is "float32" or "float64" ? value : throw Checks.Invalid("dtype", $"The training dtype is float32 or float64, got '{value}'."); }
    /// <summary>The gauge (empty if none).</summary>
    public string Gauge { get; init => field = value ?? ""; }
    /// <summary>A JSON object (self-contained: it outlives any document it was read from).</summary>
    public JsonElement Training
    {
        get;
        init => field = value.ValueKind == JsonValueKind.Undefined ? EmptyObject
            : value.ValueKind == JsonValueKind.Object ? value.Clone()
            : throw Checks.Invalid("training", $"Training metadata is a JSON object, got {value.ValueKind}.");
    }

    /// <summary>Metadata with the given fields.</summary>
    public ModelMetadata(string kind, double? dt, string dtype, string gauge, JsonElement training)
    {
        Kind = kind;
        Dt = dt;
        DType = dtype;
        Gauge = gauge;
        Training = training;
    }

    /// <summary>Metadata without training information.</summary>
    public ModelMetadata(string kind, double? dt = null, string dtype = "float64", string gauge = "")
        : this(kind, dt, dtype, gauge, EmptyObject) { }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The metadata of a known-truth member (kind "builtin").</summary>
    public static ModelMetadata Builtin(string name) =>
        new("builtin", null, "float64", "", JsonSerializer.SerializeToElement(new Dictionary<string, object?> { ["name"] = name }));

    /// <summary>The same metadata with training information given as any JSON-serialisable object (a dictionary, an anonymous object, a JsonNode).</summary>
    public ModelMetadata WithTraining(object training) => this with { Training = ToObject(training) };

    private static JsonElement ToObject(object o)
    {
        var e = o is JsonElement je ? je.Clone() : JsonSerializer.SerializeToElement(o, o.GetType());
        return e.ValueKind == JsonValueKind.Object ? e : throw new ArgumentException($"Training metadata is a JSON object, got {e.ValueKind}.");
    }

    /// <inheritdoc />
    public bool Equals(ModelMetadata? other) =>
        other is not null && Kind == other.Kind && Dt.Equals(other.Dt) && DType == other.DType && Gauge == other.Gauge &&
        JsonElement.DeepEquals(Training, other.Training);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Dt, DType, Gauge);
}

/// <summary>
/// A saved model: the value (a member of the class or a baseline force field) and what was recorded with it
/// (see <c>Onsager.Data.ModelDirectory</c>).
/// </summary>
public sealed record ModelFile(IVectorField Field, ModelMetadata Metadata)
{
    /// <summary>
    /// The member of the class; a <see cref="ModelFileException"/> for a baseline force field, which has no energy, M or W
    /// (so nothing that needs them, such as describe, report, simulate or the dg and sbdf1 schemes, applies to it).
    /// </summary>
    public Model Model => Field as Model ?? throw new ModelFileException($"model (kind {Metadata.Kind})",
        "a baseline force field du/dt = f(u), not a member of the Onsager class: it has no energy and no M or W to diagnose, " +
        "simulate or verify; only training, describe and evaluate (with an explicit scheme: euler, rk2, rk3, rk4) apply to it.");

    /// <summary>Throws a <see cref="ModelFileException"/> when the data's grid or field count is not the model's.</summary>
    public ModelFile CheckCompatible(Grid grid, int fields, string source = "model")
    {
        var problems = new List<string>();
        if (!Field.Grid.Equals(grid)) problems.Add($"the model is on the grid {Field.Grid}, the data on {grid}");
        if (Field.Fields != fields) problems.Add($"the model has {Field.Fields} field(s), the data {fields}");
        return problems.Count == 0 ? this
            : throw new ModelFileException(source, "not compatible with the data: " + string.Join("; ", problems) + ".");
    }
}

/// <summary>A file that cannot be used: names the file and what is wrong with it, in one line (the base of
/// <see cref="ModelFileException"/> and of Onsager.Data's dataset errors).</summary>
public abstract class FileProblemException : Exception
{
    /// <summary>The file.</summary>
    public string File { get; }
    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    /// <summary>An error in the file, with the problem in one line.</summary>
    protected FileProblemException(string file, string problem, Exception? inner) : base($"{file}: {OneLine(problem)}", inner)
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

/// <summary>A model file that cannot be used (or a model that cannot be saved): names the file and what is wrong.</summary>
/// <param name="file">The file.</param>
/// <param name="problem">What is wrong with it (made one line).</param>
/// <param name="inner">The error that revealed it, if any.</param>
public sealed class ModelFileException(string file, string problem, Exception? inner = null) : FileProblemException(file, problem, inner);
