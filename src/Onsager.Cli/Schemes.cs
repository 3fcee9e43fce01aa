namespace Onsager.Cli;

/// <summary>The one place where scheme names become <see cref="Stepper"/> values (the library takes values only).</summary>
public static class Schemes
{
    /// <summary>The names --scheme accepts (rk2 is also heun; dg-laws is dg solved as the laws solve it).</summary>
    public static IReadOnlyList<string> Names { get; } = ["euler", "rk2", "rk3", "rk4", "rk4-adaptive", "rk4-substeps", "etdrk4", "sbdf1", "dg"];

    /// <summary>The stepper called <paramref name="name"/>; dg with <paramref name="dg"/> (default <see cref="DgOptions.Default"/>).
    /// An unknown name is a usage error listing the valid ones.</summary>
    public static Stepper Parse(string name, DgOptions? dg = null) => name switch
    {
        "euler" => new Stepper.Euler(),
        "rk2" or "heun" => new Stepper.Heun(),
        "rk3" => new Stepper.SspRk3(),
        "rk4" => new Stepper.Rk4(),
        "rk4-adaptive" => new Stepper.Rk4Adaptive(),
        "rk4-substeps" => new Stepper.Rk4Adaptive(AdaptiveOptions.Plain),
        "etdrk4" => new Stepper.Rk4Adaptive(AdaptiveOptions.Etdrk4),
        "sbdf1" => new Stepper.Sbdf1(),
        "dg" => new Stepper.DiscreteGradient(dg ?? DgOptions.Default),
        "dg-laws" => new Stepper.DiscreteGradient(DgOptions.Laws),
        _ => throw new UsageException($"Unknown scheme '{name}'. Schemes: {string.Join(", ", Names)}.")
    };

    /// <summary>The stepper a saved model was trained with (its recorded name, when this command line knows it), else
    /// <see cref="TrainingRecord.DefaultStepper"/>.</summary>
    public static Stepper Recorded(ModelFile file) =>
        TrainingRecord.Scheme(file) is { } name && Names.Contains(name) ? Parse(name) : TrainingRecord.DefaultStepper(file.Field);
}
