using System.Collections.Immutable;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Onsager.Data;
using Onsager.Cli;
using PureHDF;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>Issue 16, items 3-5 (docs/reliability.md): readers that bound their work, steppers that never hang, explicit
/// rollouts that say when they blow up. Each case gives a one-line error or a correct result.</summary>
public sealed class ReliabilityTests() : ScratchFolder("onsager-reliability")
{
    private static DatasetContent Content(ImmutableSortedDictionary<string, string>? notes = null)
    {
        long[] shape = [2, 4, 16, 1];
        var values = Enumerable.Range(0, 2 * 4 * 16).Select(i => (float)Math.Sin(i)).ToArray();
        var x = Enumerable.Range(0, 16).Select(j => j * 2 * Math.PI / 16).ToArray();
        return new DatasetContent(values, [.. shape], [0, 0.1, 0.2, 0.3], [x], ImmutableSortedDictionary<string, double[,]>.Empty.WithComparers(StringComparer.Ordinal),
            ImmutableSortedDictionary<string, double>.Empty.WithComparers(StringComparer.Ordinal).Add("dt", 0.1),
            notes ?? ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal).Add("name", "small"));
    }

    /// <summary>Opens a file as inspect does and returns the one-line error and how long it took.</summary>
    private static (string Message, double Seconds) Refused(string path)
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<DatasetException>(() => { using var r = DatasetReader.Open(path, checkValues: true); _ = r.ReadTrajectory(0); });
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith(path, e.Message);
        return (e.Message, clock.Elapsed.TotalSeconds);
    }

    [Fact]
    public void AnHdf5FileDeclaringMoreDataThanItHoldsIsRefusedAtOnce()
    {
        // issue 16: a 19 KB file declaring u_sol_all (1e9, 101, 256, 1) read for minutes, growing memory
        Hdf5.Write(P("small.h5"), Content());
        var bytes = File.ReadAllBytes(P("small.h5"));
        // the dataspace stores the extents (2, 4, 16, 1) as consecutive 8-byte little-endian numbers
        var extents = new long[] { 2, 4, 16, 1 }.SelectMany(BitConverter.GetBytes).ToArray();
        int at = bytes.AsSpan().IndexOf(extents);
        Assert.True(at > 0, "the extents are in the file");
        BitConverter.GetBytes(1_000_000_000L).CopyTo(bytes, at);
        BitConverter.GetBytes(101L).CopyTo(bytes, at + 8);
        BitConverter.GetBytes(256L).CopyTo(bytes, at + 16);
        File.WriteAllBytes(P("huge.h5"), bytes);
        var (message, seconds) = Refused(P("huge.h5"));
        Assert.Contains("'u_sol_all' declares shape (1000000000, 101, 256, 1)", message);
        Assert.Contains("corrupt or truncated", message);
        Assert.True(seconds < 1, $"{seconds} s");
    }

    [Fact]
    public void AnNpzEntryDeclaringMoreDataThanItHoldsIsRefusedAtOnce()
    {
        NpzLayout.Write(P("small.npz"), Content());
        // rewrite u_sol_all's .npy header with a shape of 1e9 trajectories
        var entries = new List<(string Name, byte[] Data)>();
        using (var zip = ZipFile.OpenRead(P("small.npz")))
            foreach (var e in zip.Entries)
            {
                using var s = e.Open(); using var m = new MemoryStream(); s.CopyTo(m);
                var data = m.ToArray();
                if (e.FullName == "u_sol_all.npy")
                {
                    // version 1 layout: magic (6), version (2), header length (2), header text, data
                    int length = BitConverter.ToUInt16(data, 8);
                    var header = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(data, 10, length).Replace("(2, 4, 16, 1)", "(1000000000, 4, 16, 1)"));
                    data = data[..8].Concat(BitConverter.GetBytes((ushort)header.Length)).Concat(header).Concat(data[(10 + length)..]).ToArray();
                }
                entries.Add((e.FullName, data));
            }
        using (var zip = ZipFile.Open(P("huge.npz"), ZipArchiveMode.Create))
            foreach (var (name, data) in entries) { using var s = zip.CreateEntry(name).Open(); s.Write(data); }
        var (message, seconds) = Refused(P("huge.npz"));
        Assert.Contains("u_sol_all.npy", message);
        Assert.True(message.Contains("(1000000000, 4, 16, 1)"), message);
        Assert.True(seconds < 1, $"{seconds} s");
    }

    [Fact]
    public void TruncatedAndCorruptFilesAreOneLineErrorsWithinASecond()
    {
        Hdf5.Write(P("small.h5"), Content());
        NpzLayout.Write(P("small.npz"), Content());
        foreach (var name in new[] { "small.h5", "small.npz" })
        {
            var bytes = File.ReadAllBytes(P(name));
            File.WriteAllBytes(P("cut-" + name), bytes[..(bytes.Length * 2 / 3)]);
            var (_, seconds) = Refused(P("cut-" + name));
            Assert.True(seconds < 1, $"{name}: {seconds} s");
        }
    }

    [Fact]
    public void EveryStringAttributeMayBeMissingOrEmpty()
    {
        // no pde_info notes at all, then every note empty: the name falls back to the file's, no known member, default field names
        var none = Content(ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));
        var empty = Content(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            new[] { "name", "equation", "fields", "known_member", "generator" }.Select(k => new KeyValuePair<string, string>(k, ""))));
        foreach (var (content, name) in new[] { (none, "none"), (empty, "empty") })
            foreach (var ext in new[] { ".h5", ".npz" })
            {
                var path = P(name + ext);
                if (ext == ".h5") Hdf5.Write(path, content); else NpzLayout.Write(path, content);
                var d = Dataset.Open(path);
                Assert.Equal(name, d.Name);
                Assert.Null(d.KnownMember);
                Assert.Equal(["field0"], d.FieldNames.ToArray());
                Assert.Contains(name, d.ToString());
            }
        // and no pde_info group at all in an HDF5 file
        var c = Content();
        var file = new H5File { ["u_sol_all"] = new H5Dataset(c.Values, fileDims: [2, 4, 16, 1]), ["t_coord"] = c.Times, ["x_coord"] = c.Coordinates[0] };
        file.Write(P("bare.h5"));
        Assert.Equal("bare", Dataset.Open(P("bare.h5")).Name);
        var (code, stdout, stderr) = Cli("inspect", P("bare.h5"));
        Assert.True(code == 0, stderr);
        Assert.Contains("bare", stdout);
    }

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    // ------------------------------------------------------------------ steppers that never hang

    [Fact]
    public void ADgStepThatRunsOutOfTimeEndsUnconvergedAndSaysSo()
    {
        // random:37 at dt = 1e3 does not converge (docs/benchmarks.md); with a budget of 0.2 s its step stops there
        var model = RandomMembers.Generate(37);
        using var m = Dynamics.Compile(model);
        var u = RandomMembers.States(new Random(1), model.Grid, model.Fields, 1, 1.0);
        var quick = new Stepper.DiscreteGradient(DgOptions.Laws with { MaxStepSeconds = 0.2 });
        var clock = Stopwatch.StartNew();
        var r = Steppers.TryStep(m, quick, u, 1e3);
        Assert.False(r.Converged);
        Assert.True(r.OutOfTime);
        Assert.True(clock.Elapsed.TotalSeconds < 10, $"{clock.Elapsed.TotalSeconds} s");
        var e = Assert.Throws<StepFailedException>(() => Steppers.Step(m, quick, u, 1e3, stepIndex: 3));
        Assert.Contains("Step 3", e.Message);
        Assert.Contains("time budget of 0.2 s", e.Message);
        Assert.Throws<ArgumentException>(() => DgOptions.Laws with { MaxStepSeconds = 0 });
        Assert.Equal(DgOptions.DefaultStepSeconds, DgOptions.Default.MaxStepSeconds);
    }

    [Fact]
    public void AnUnconvergedStepIsCountedApartFromTheViolations()
    {
        var g = Grid.Periodic(2 * Math.PI, 32);
        var hopeless = new Stepper.DiscreteGradient(new DgOptions(Tolerance: 1e-30, MaxIterations: 2, MaxSubsteps: 1));
        var results = SchemeLaws.Check(KnownMembers.AllenCahn(g), hopeless, 0.1);
        var rise = Assert.Single(results, r => r.Name.StartsWith("step-no-energy-rise", StringComparison.Ordinal));
        Assert.Equal(1, rise.Unconverged);
        Assert.Equal(0, rise.Violations);
        var report = new VerificationReport(1, LawResult.Summarize(results), TimeSpan.Zero);
        Assert.Equal(1, report.Unconverged);
        Assert.Equal(0, report.Violations);
        // verify prints the count in its JSON and text, beside the (zero) violations among converged steps
        var (code, stdout, _) = Cli("verify", "--random", "1", "--no-known", "--scheme", "dg", "--dt", "1000", "--step-seconds", "0.01", "--json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(stdout)!;
        Assert.Equal(0, (int)json["violations"]!);
        // present as a count; how many steps run out of their 0.01 s depends on the machine, so not its value
        Assert.Equal(System.Text.Json.JsonValueKind.Number, json["unconverged"]!.GetValueKind());
        Assert.Equal("random:0", (string)json["slowestMember"]!);
        Assert.Equal(0, code);
        (_, stdout, _) = Cli("verify", "--random", "1", "--no-known", "--scheme", "dg", "--dt", "1000");
        Assert.Contains("unconverged steps: ", stdout);
    }

    [Fact]
    public void AHeartbeatReportsLongWorkOnly()
    {
        // Waits for lines rather than sleeping a fixed time: the timer runs on the thread pool, which a parallel test run
        // can keep busy for longer than a few intervals.
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        static bool Eventually(Func<bool> condition)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(10);
            return condition();
        }
        using (var beat = new Heartbeat(lines.Enqueue, TimeSpan.FromMilliseconds(50)))
        {
            beat.Set("short");
            beat.Set("long work");
            Assert.True(Eventually(() => lines.Any(l => l.StartsWith("long work: ", StringComparison.Ordinal) && l.EndsWith(" s so far", StringComparison.Ordinal))),
                        "no line for long work within 30 s");
            beat.Set(null);
            Thread.Sleep(300);                                                  // a tick that read the work before Set(null) has reported
            int seen = lines.Count;
            Thread.Sleep(300);
            Assert.Equal(seen, lines.Count);                                    // nothing running: silent
            using (beat.Track("tracked"))
                Assert.True(Eventually(() => lines.Any(l => l.StartsWith("tracked: ", StringComparison.Ordinal))), "no line for tracked work within 30 s");
        }
        Assert.DoesNotContain(lines, l => l.StartsWith("short", StringComparison.Ordinal));
    }

    [Fact]
    public void VerifyInParallelGivesTheSameReport()
    {
        var o = new VerificationOptions(RandomMembers: 6, KnownMembers: false, Schemes: [(new Stepper.DiscreteGradient(DgOptions.Laws), 1.0)], AlgebraLaws: false);
        var one = Verification.Run(o);
        var two = Verification.Run(o with { Parallelism = 2 });
        Assert.Equal(one.Laws.Select(l => (l.Name, l.Checks, l.Violations, l.Unconverged, l.FirstViolation)),
                     two.Laws.Select(l => (l.Name, l.Checks, l.Violations, l.Unconverged, l.FirstViolation)));
        Assert.True(one.Checks > 0);
    }

    // ------------------------------------------------------------------ explicit schemes that blow up say so

    [Fact]
    public void AnExplicitRolloutThatBlowsUpStopsNamingTheStepAndSuggestingDg()
    {
        var g = Grid.Periodic(2 * Math.PI, 32);
        var model = KnownMembers.AllenCahn(g);
        using var m = Dynamics.Compile(model);
        var u = RandomMembers.States(new Random(2), g, 1, 2, 1.0);
        foreach (var scheme in new Stepper[] { new Stepper.Euler(), new Stepper.Rk4() })
        {
            var e = Assert.Throws<StepFailedException>(() => Rollout.Run(m, scheme, u, 1.0, 50));
            Assert.Matches(@"^Step \d+: the explicit \w+ rollout blew up at dt = 1: ", e.Message);
            Assert.Contains("--scheme dg", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            // evaluate's rollout stops the same way
            var f = Assert.Throws<StepFailedException>(() => Rollout.Frames(m, scheme, u, 1.0, 50));
            Assert.Contains("--scheme dg", f.Message);
        }
        // a stable explicit rollout (small dt) runs to the end, its energy falling
        var ok = Rollout.Run(m, new Stepper.Rk4(), u, 1e-3, 20);
        Assert.True(ok.Energy[0, ok.Energy.GetLength(1) - 1] <= ok.Energy[0, 0]);
        Assert.Equal(21, Rollout.Frames(m, new Stepper.Euler(), u, 1e-3, 20).States.Length);
    }

    [Fact]
    public void SimulateWithAnExplicitSchemeThatBlowsUpIsAOneLineErrorAndWritesNothing()
    {
        var outPath = P("blown.h5");
        var (code, _, err) = Cli("simulate", "--model", "builtin:allen-cahn", "--init", "random", "--batch", "1", "--steps", "20", "--dt", "1",
                                 "--scheme", "rk4", "--out", outPath);
        Assert.Equal(1, code);
        Assert.Matches(@"error: Step \d+: the explicit rk4 rollout blew up", err);
        Assert.Contains("--scheme dg", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(outPath));
    }
}
