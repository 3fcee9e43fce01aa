using System.Text.Json;
using Onsager.Data;

namespace Onsager;

/// <summary>What a saved model's training metadata (run.json, kept in model.json) says about how it was trained.</summary>
public static class TrainingRecord
{
    /// <summary>The name of the stepper the model was trained with, if recorded.</summary>
    public static string? Scheme(ModelFile file) => Recorded(file, "scheme");

    /// <summary>The split the model was trained with (run.json's "split"), if recorded.</summary>
    public static SplitKind? Split(ModelFile file) => DatasetSplit.Parse(Recorded(file, "split"));

    /// <summary>The training metadata's string property <paramref name="name"/>, or null when the metadata is not an object
    /// or has no such string.</summary>
    private static string? Recorded(ModelFile file, string name) =>
        file.Metadata.Training.ValueKind == JsonValueKind.Object && file.Metadata.Training.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    /// <summary>The stepper for a field with no recorded scheme: the discrete gradient for a member (its energy never
    /// rises), explicit Euler for a force field (it has no energy for dg to keep).</summary>
    public static Stepper DefaultStepper(IVectorField field) => field is Model ? new Stepper.DiscreteGradient() : new Stepper.Euler();
}
