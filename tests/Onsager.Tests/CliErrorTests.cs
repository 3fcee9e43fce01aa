using System.Collections.Immutable;
using System.Diagnostics;
using Onsager.Cli;
using Onsager.Data;
using Xunit;
using static Onsager.Tests.InProcessCli;

namespace Onsager.Tests;

/// <summary>The command line's error paths: output paths checked before the work, unknown options, odd dataset notes; one line each.</summary>
public sealed class CliErrorTests() : ScratchFolder("onsager-cli-errors")
{
    private static readonly Recipe Small = Recipes.With(Recipes.Get("ac"), frames: 6, points: 256);

    private string Data(string name, Func<DatasetContent, DatasetContent>? edit = null)
    {
        var c = DatasetContent.From(Generators.Generate(Small, 5, 0, 3));
        var path = P(name);
        Hdf5.Write(path, edit is null ? c : edit(c));
        return path;
    }

    /// <summary>A one-line error (no stack trace) with the exit code and the parts expected.</summary>
    private static void OneLine((int Code, string Out, string Err) r, int code, params string[] parts)
    {
        Assert.True(r.Code == code, $"exit {r.Code}: {r.Err}");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Err);
        foreach (var p in parts) Assert.Contains(p, lines[0]);
    }

    [Fact]
    public void OutputPathsAreCheckedBeforeTheWork()
    {
        var folder = P("folder");
        Directory.CreateDirectory(folder);
        var file = P("file.txt");
        File.WriteAllText(file, "x");
        var unwritable = "/proc/onsager-no-such-place/out.h5";   // /proc refuses new files even to root
        OneLine(Run("simulate", "--model", "builtin:heat", "--init", "random", "--steps", "2", "--dt", "1e-3", "--out", folder), 1, folder, "is a folder");
        OneLine(Run("simulate", "--model", "builtin:heat", "--init", "random", "--steps", "2", "--dt", "1e-3", "--out", unwritable), 1, "cannot write", "/proc");
        OneLine(Run("simulate", "--model", "builtin:heat", "--init", "random", "--steps", "2", "--dt", "1e-3", "--out", Path.Combine(file, "x.h5")), 1, "is a file, not a folder");
        OneLine(Run("generate", "heat", "--samples", "2", "--out", folder), 1, "is a folder");
        OneLine(Run("generate", "heat", "--samples", "2", "--out", unwritable), 1, "cannot write");
        var data = Data("ac.h5");
        OneLine(Run("evaluate", "--model", "builtin:allen-cahn", "--data", data, "--out", folder), 1, "is a folder");
        var clock = Stopwatch.StartNew();
        OneLine(Run("report", "--model", "builtin:allen-cahn", "--data", data, "--out", file), 1, file, "is an existing file");
        OneLine(Run("report", "--model", "builtin:allen-cahn", "--data", data, "--out", "/proc/onsager-no-such-place/report"), 1, "cannot write");
        Assert.True(clock.Elapsed.TotalSeconds < 5, $"the report's output was checked after {clock.Elapsed.TotalSeconds:F1} s");
        OneLine(Run("train", "--data", data, "--kind", "spectral", "--out", file), 1, "is an existing file");
        Assert.Equal("x", File.ReadAllText(file));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void AModelOutsideTheClassIsRefusedByDescribeAndSimulate()
    {
        var model = P("negative");
        ModelDirectory.Save(model, KnownMembers.Heat(Grid.Periodic(2 * Math.PI, 16)), ModelMetadata.Builtin("heat"));
        var json = Path.Combine(model, "model.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"factor\": 1,", "\"factor\": -1,"));
        OneLine(Run("describe", "--model", model), 1, "model.json", "$.model.energy.factor", "must be positive, got -1");
        OneLine(Run("simulate", "--model", model, "--init", "random", "--steps", "2", "--dt", "1e-3", "--out", P("x.h5")), 1, "$.model.energy.factor");
        Assert.False(File.Exists(P("x.h5")));
    }

    [Fact]
    public void AnUnknownOptionIsUnknownEvenWhenItComesLast()
    {
        var r = Run("describe", "--model", "builtin:heat", "--nosuchflag");
        Assert.Equal(2, r.Code);
        Assert.Contains("Unknown option --nosuchflag", r.Err);
        Assert.DoesNotContain("needs a value", r.Err);
        r = Run("simulate", "--nosuchflag", "--model", "builtin:heat");
        Assert.Equal(2, r.Code);
        Assert.Contains("Unknown option --nosuchflag", r.Err);
        r = Run("describe", "--model");
        Assert.Equal(2, r.Code);
        Assert.Contains("--model needs a value", r.Err);
        r = Run("simulate", "--model", "--init", "random");
        Assert.Equal(2, r.Code);
        Assert.Contains("--model needs a value", r.Err);
    }

    [Fact]
    public void ADatasetToleratesNullNotes()
    {
        // Strings that read back null (an HDF5 string the reader cannot decode; PureHDF cannot write one, so the record is
        // edited): the file's name stands in and nothing throws.
        var d = Dataset.Open(Data("nulls.h5")) with
        {
            Notes = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add("name", null!).Add("known_member", null!).Add("fields", null!)
        };
        Assert.Equal("nulls", d.Name);
        Assert.Null(d.KnownMember);
        Assert.Equal(new[] { "field0" }, d.FieldNames.ToArray());
    }

    [Fact]
    public void InspectToleratesMissingNotes()
    {
        var path = Data("plain.h5", c => c with { Notes = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal) });
        var (code, output, err) = Run("inspect", path);
        Assert.True(code == 0, err);
        Assert.Contains("plain", output);
        Assert.DoesNotContain("()", output);
        var d = Dataset.Open(path);
        Assert.Equal("plain", d.Name);
        Assert.Null(d.KnownMember);
    }

    [Fact]
    public void AnUnknownKnownMemberNamesTheFileAndTheField()
    {
        var path = Data("odd.h5", c => c with { Notes = c.Notes.SetItem("known_member", "navier-stokes") });
        OneLine(Run("inspect", path), 1, path, "pde_info/known_member", "navier-stokes");
    }

    [Fact]
    public void ATimeStepContradictingTheTimesIsRefusedNamingBoth()
    {
        var path = Data("dt.h5", c => c with { Scalars = c.Scalars.SetItem("dt", 0.5) });
        OneLine(Run("inspect", path), 1, path, "pde_info/dt = 0.5", "t_coord");
    }

    [Fact]
    public void EvaluatingOnOneFrameIsAClearError()
    {
        var path = Data("one.h5", c =>
        {
            int frame = c.Values.Length / (int)(c.Shape[0] * c.Shape[1]);
            var values = Enumerable.Range(0, (int)c.Shape[0]).SelectMany(s => c.Values.Skip(s * (int)c.Shape[1] * frame).Take(frame)).ToArray();
            return c with { Values = values, Shape = c.Shape.SetItem(1, 1), Times = [0.0] };
        });
        OneLine(Run("evaluate", "--model", "builtin:allen-cahn", "--data", path), 1, path, "frame");
    }
}
