using System.Collections.Immutable;

namespace Onsager;

/// <summary>
/// The reference's published relative RMSE (Li, Zhu &amp; Li 2026; restated in seed-benchmark.md, "Their table"): mean
/// over its 10 test trajectories at steps 1..5, for its S-OnsagerNet and the rows beside it.
/// </summary>
public static class PublishedResults
{
    /// <summary>One row of the published table.</summary>
    /// <param name="Dataset">The dataset.</param>
    /// <param name="Model">The model.</param>
    /// <param name="Steps">The relative RMSE at steps 1..5.</param>
    public sealed record Row(string Dataset, string Model, ImmutableArray<double> Steps);

    /// <summary>The published rows.</summary>
    public static ImmutableArray<Row> Rows { get; } =
    [
        new("ac", "S-OnsagerNet", [2.44e-3, 3.47e-3, 4.22e-3, 4.86e-3, 5.47e-3]),
        new("ac", "classical solver", [2.38e-3, 3.94e-3, 5.49e-3, 7.01e-3, 8.49e-3]),
        new("ac", "FNO", [9.65e-3, 1.45e-2, 1.75e-2, 1.94e-2, 2.04e-2]),
        new("ac", "OnsagerNet", [2.12e-2, 3.68e-2, 4.90e-2, 5.89e-2, 6.71e-2]),
        new("kdv", "S-OnsagerNet", [2.80e-3, 5.12e-3, 7.02e-3, 8.56e-3, 9.99e-3]),
        new("kdv", "classical solver", [1.24e-2, 2.36e-2, 3.45e-2, 4.45e-2, 5.41e-2]),
        new("kdv", "FNO", [5.04e-2, 8.96e-2, 1.21e-1, 1.49e-1, 1.75e-1]),
        new("ac2d", "S-OnsagerNet", [1.09e-3, 1.87e-3, 2.53e-3, 3.14e-3, 3.72e-3]),
        new("ac2d", "classical solver", [1.95e-3, 3.62e-3, 5.06e-3, 6.32e-3, 7.40e-3]),
        new("fput", "S-OnsagerNet", [2.13e-3, 3.83e-3, 5.43e-3, 6.80e-3, 8.16e-3]),
        new("fput", "FNO", [8.67e-3, 1.54e-2, 2.20e-2, 2.91e-2, 3.60e-2]),
        new("fene", "S-OnsagerNet", [4.65e-4, 5.83e-4, 8.41e-4, 9.67e-4, 1.22e-3]),
        new("fene", "FNO", [4.97e-3, 9.11e-3, 1.26e-2, 1.58e-2, 1.86e-2]),
    ];

    /// <summary>The rows for one of the five reference datasets (empty for any other).</summary>
    public static ImmutableArray<Row> For(string dataset) => Rows.Where(r => r.Dataset == dataset).ToImmutableArray();
}
