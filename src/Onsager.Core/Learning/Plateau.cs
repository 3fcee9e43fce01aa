namespace Onsager.Learning;

/// <summary>
/// ReduceLROnPlateau as a value: after more than <see cref="Patience"/> observations without a relative improvement of
/// <see cref="Threshold"/> over the best, the rate is multiplied by <see cref="Factor"/> (PyTorch's default rule, mode "min", "rel").
/// </summary>
public sealed record Plateau(double Rate, double Factor = 0.5, int Patience = 300, double Threshold = 1e-4, double MinRate = 0,
                             double Best = double.PositiveInfinity, int Bad = 0)
{
    /// <summary>The schedule after observing one more validation loss.</summary>
    public Plateau Observe(double loss)
    {
        if (!double.IsFinite(loss)) return this;
        if (loss < Best * (1 - Threshold)) return this with { Best = loss, Bad = 0 };
        int bad = Bad + 1;
        return bad > Patience ? this with { Rate = Math.Max(MinRate, Rate * Factor), Bad = 0 } : this with { Bad = bad };
    }

    /// <summary>The same schedule with the rate halved (after a rollback).</summary>
    public Plateau Halve() => this with { Rate = Math.Max(MinRate, Rate * 0.5), Bad = 0 };
}
