using System.Globalization;
using BenchmarkDotNet.Running;
using Onsager.Benchmarks;

// dotnet run -c Release --project tests/Onsager.Benchmarks -- --quick [--budget SECONDS] [--grids 256,128x128] [--batches 1,64]  (Stopwatch table, a few minutes)
// dotnet run -c Release --project tests/Onsager.Benchmarks -- --dg-members N DT [FIRST] [--known] [--trace | --marches]  (DG laws per random member)
// dotnet run -c Release --project tests/Onsager.Benchmarks -- --training [--threads T] [--repeats R] [--exact | --nodes N]  (training-step cost table)
// dotnet run -c Release --project tests/Onsager.Benchmarks -- gc-stress [--steps N] [--kinds spectral,fno]  (training under forced GCs; exit 1 on a crash)
// dotnet run -c Release --project tests/Onsager.Benchmarks -- fuzz [--count 10000] [--seed S] [--limit SECONDS]  (reader fuzzing; exit 1 on a crash or hang)
// dotnet run -c Release --project tests/Onsager.Benchmarks -- [BenchmarkDotNet arguments]  (e.g. --filter '*' --job short)
var inv = CultureInfo.InvariantCulture;
if (args.Length >= 1 && args[0] == "fuzz")
{
    int ci = Array.IndexOf(args, "--count"), si = Array.IndexOf(args, "--seed"), li = Array.IndexOf(args, "--limit");
    var work = Path.Combine(Path.GetTempPath(), $"onsager-fuzz-{Environment.ProcessId}");
    try
    {
        var report = Onsager.Fuzzing.Fuzzer.Run(ci >= 0 ? int.Parse(args[ci + 1], inv) : 10_000, si >= 0 ? int.Parse(args[si + 1], inv) : 0, work,
                                                li >= 0 ? TimeSpan.FromSeconds(double.Parse(args[li + 1], inv)) : null, Console.Error.WriteLine);
        Console.WriteLine(report);
        return report.Passed ? 0 : 1;
    }
    finally { try { Directory.Delete(work, true); } catch (IOException) { } }
}
if (args.Length >= 3 && args[0] == "--dg-members")
{
    Diagnose.Run(int.Parse(args[1], inv), double.Parse(args[2], inv), args.Length > 3 && !args[3].StartsWith("--") ? int.Parse(args[3], inv) : 0,
                 args.Contains("--known"), args.Contains("--trace"), args.Contains("--marches"));
    return 0;
}
if (args.Length >= 1 && args[0] == "--training")
{
    int ti = Array.IndexOf(args, "--threads"), ri = Array.IndexOf(args, "--repeats"), ni = Array.IndexOf(args, "--nodes");
    var tabulation = args.Contains("--exact") ? null : ni >= 0 ? new Onsager.Algebra.Tabulation(int.Parse(args[ni + 1], inv)) : Onsager.Algebra.Tabulation.Default;
    TrainingStep.Run(ti >= 0 ? int.Parse(args[ti + 1], inv) : 1, ri >= 0 ? int.Parse(args[ri + 1], inv) : 3, tabulation);
    return 0;
}
if (args.Length >= 1 && args[0] == "gc-stress")
{
    int si = Array.IndexOf(args, "--steps"), ki = Array.IndexOf(args, "--kinds");
    var kinds = ki >= 0 ? args[ki + 1].Split(',') : Onsager.Learning.Families.Kinds.Where(k => k != "classical").ToArray();
    return Onsager.Benchmarks.GcStress.Run(si >= 0 ? int.Parse(args[si + 1], inv) : 1000, kinds);
}
if (args.Length >= 1 && args[0] == "--quick")
{
    int at = Array.IndexOf(args, "--budget");
    double budget = at >= 0 ? double.Parse(args[at + 1], inv) : 0.5;
    int gi = Array.IndexOf(args, "--grids"), bi = Array.IndexOf(args, "--batches");
    var grids = gi >= 0 ? args[gi + 1].Split(',') : ["256", "1024", "4096", "128x128"];
    var batches = bi >= 0 ? args[bi + 1].Split(',').Select(x => int.Parse(x, inv)).ToArray() : [1, 64];
    Quick.Run(budget, grids, batches);
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks).Assembly).Run(args);
return 0;
