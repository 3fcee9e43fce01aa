using System.Text.Json;
using Onsager.Data;

namespace Onsager;

/// <summary>What a saved model's training metadata (run.json, kept in model.json) says about how it was trained.</summary>
public static class TrainingRecord
{
    /// <summary>The name of the stepper the model was trained with, if recorded.</summary>
    public static string? Scheme(ModelFile file) =>
        file.Metadata.Training.ValueKind == JsonValueKind.Object && file.Metadata.Training.TryGetProperty("scheme", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()
            : null;

    /// <summary>The split the model was trained with (run.json's "split"), if recorded.</summary>
    public static SplitKind? Split(ModelFile file) =>
        file.Metadata.Training.ValueKind == JsonValueKind.Object && file.Metadata.Training.TryGetProperty("split", out var s) && s.ValueKind == JsonValueKind.String
            ? DatasetSplit.Parse(s.GetString())
            : null;

    /// <summary>The stepper for a field with no recorded scheme: the discrete gradient for a member (its energy never
    /// rises), explicit Euler for a force field (it has no energy for dg to keep).</summary>
    public static Stepper DefaultStepper(IVectorField field) => field is Model ? new Stepper.DiscreteGradient() : new Stepper.Euler();
}
