using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Onsager;

/// <summary>
/// A saved check-class verdict (`onsager check-class --out FILE`), which `report` prints at its top: whether the data are
/// consistent with the class, the evidence (the energy half and the comparison with an unconstrained fit), and the data it
/// was reached on.
/// </summary>
public sealed record ClassCheckVerdict(bool Consistent, ImmutableArray<string> Reasons, string? Data, string? InClassKind, string? OutOfClassKind)
{
    /// <summary>The file name `report` looks for in the model's folder when no file is given.</summary>
    public const string FileName = "class-check.json";

    /// <summary>
    /// Where `report` reads the verdict from: <paramref name="explicitPath"/> when one is given (whether or not it exists, so
    /// that a missing file is an error for the caller to name), else <see cref="FileName"/> in the folder
    /// <paramref name="modelReference"/> names when that file exists, else null (a builtin model, or a folder without one).
    /// </summary>
    public static string? Locate(string? explicitPath, string modelReference)
    {
        if (explicitPath is not null) return explicitPath;
        var inFolder = Path.Combine(modelReference, FileName);
        return Directory.Exists(modelReference) && File.Exists(inFolder) ? inFolder : null;
    }

    /// <summary>The verdict line, as check-class prints it.</summary>
    public string Verdict => (Consistent ? "consistent with the Onsager class" : "not consistent with the Onsager class") + ": " + string.Join("; ", Reasons);

    /// <summary>The verdict of a class check on the data at <paramref name="dataPath"/>.</summary>
    public static ClassCheckVerdict Of(ClassCheckResult r, string? dataPath) => new(r.Consistent, r.Reasons, dataPath, r.InClassKind, r.OutOfClassKind);

    /// <summary>The check's JSON (<see cref="ClassCheckResult.ToJson"/>) with the data's path and the verdict line added.</summary>
    public static JsonObject Json(ClassCheckResult r, string? dataPath)
    {
        var json = r.ToJson();
        json["data"] = dataPath;
        json["verdict"] = r.Verdict;
        return json;
    }

    /// <summary>Reads a verdict saved by check-class; a file that is not one is an <see cref="ArgumentException"/> naming it.</summary>
    public static ClassCheckVerdict Read(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"The class check '{path}' cannot be read: {e.Message}");
        }
        if (node is not JsonObject o || o["consistent"] is not JsonValue c || !c.TryGetValue(out bool consistent) || o["reasons"] is not JsonArray reasons)
            throw new ArgumentException($"The class check '{path}' is not check-class's JSON (it needs 'consistent' and 'reasons').");
        string? Text(string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        return new ClassCheckVerdict(consistent, [.. reasons.Select(r => r?.GetValue<string>() ?? "")], Text("data"), Text("inClassKind"), Text("outOfClassKind"));
    }
}
