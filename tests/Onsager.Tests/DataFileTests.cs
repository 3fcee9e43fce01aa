using System.Collections.Immutable;
using Onsager.Data;
using PureHDF;
using Xunit;

namespace Onsager.Tests;

/// <summary>Dataset files: HDF5 and npz round trips, shards, streaming windows, the reference split, and every validation error.</summary>
public sealed class DataFileTests() : ScratchFolder("onsager-data-tests")
{
    private static readonly Recipe Small = Recipes.With(Recipes.Get("ac"), frames: 13, points: 32);

    private static DatasetContent SmallContent(int samples = 3) => DatasetContent.From(Generators.Generate(Small, 5, 0, samples));

    [Fact]
    public void Hdf5RoundTripKeepsValuesCoordinatesCoefficientsAndInfo()
    {
        var c = SmallContent();
        Hdf5.Write(P("ac.h5"), c);
        var d = Dataset.Open(P("ac.h5"));
        Assert.Equal(new long[] { 3, 13, 32, 1 }, d.Shape.ToArray());
        Assert.Equal(DatasetFormat.Hdf5, d.Format);
        Assert.Equal(1e-3, d.Dt, 12);
        Assert.Equal(2 * Math.PI, d.DomainLength, 12);
        Assert.Equal(Grid.Periodic(2 * Math.PI, 32), d.Grid);
        Assert.Equal("ac", d.Name);
        Assert.Equal("allen-cahn", d.KnownMember);
        Assert.Equal(0.1, d.Scalars["eps"]);
        using var r = new DatasetReader(d);
        Assert.Equal(c.Values.AsSpan(13 * 32, 13 * 32).ToArray(), r.ReadTrajectory(1));
        Assert.Equal(c.Values.AsSpan((2 * 13 + 1) * 32, 11 * 32).ToArray(), r.ReadWindow(2, 1));
        var k = r.Coefficient("k");
        Assert.Equal(c.Coefficients["k"], k);
        Assert.False(File.Exists(P("ac.h5") + ".tmp"));
        Assert.Empty(Directory.GetFiles(dir, ".*tmp*"));
    }

    [Fact]
    public void NpzRoundTripMatchesHdf5()
    {
        var c = SmallContent();
        NpzLayout.Write(P("ac.npz"), c);
        Hdf5.Write(P("ac.h5"), c);
        var a = Dataset.Open(P("ac.npz"));
        var b = Dataset.Open(P("ac.h5"));
        Assert.Equal(DatasetFormat.Npz, a.Format);
        Assert.Equal(b.Shape.ToArray(), a.Shape.ToArray());
        Assert.Equal(b.Scalars, a.Scalars);
        Assert.Equal(b.Notes, a.Notes);
        using var ra = new DatasetReader(a);
        using var rb = new DatasetReader(b);
        Assert.Equal(rb.ReadTrajectory(2), ra.ReadTrajectory(2));
        Assert.Equal(rb.Coefficient("phase"), ra.Coefficient("phase"));
    }

    [Fact]
    public void NpyArraysRoundTripWithAlignedHeaders()
    {
        var arrays = new[]
        {
            NpyArray.Of(new float[] { 1, -2.5f, float.MaxValue, 0, 3, 4 }, 2, 3),
            NpyArray.Of(new double[] { Math.PI, -1e-300 }, 2),
            NpyArray.Scalar(0.25),
            NpyArray.Text("v=q_x,p"),
            new NpyArray([3], new long[] { 1, -2, 3 }),
        };
        foreach (var a in arrays)
        {
            var ms = new MemoryStream();
            Npy.Write(ms, a);
            var bytes = ms.ToArray();
            int headerLen = BitConverter.ToUInt16(bytes, 8);
            Assert.Equal(0, (10 + headerLen) % 64);
            var back = Npy.Read(new MemoryStream(bytes), "x");
            Assert.Equal(a.Shape.ToArray(), back.Shape.ToArray());
            Assert.Equal(a.Data, back.Data);
        }
        var bad = new MemoryStream("not numpy at all"u8.ToArray());
        Assert.Contains("bad magic", Assert.Throws<DatasetException>(() => Npy.Read(bad, "x")).Message);
    }

    [Fact]
    public void LargeDatasetsGoToShardsThatReadAsOne()
    {
        var recipe = Recipes.With(Recipes.Get("heat"), frames: 12, points: 16);
        long perSample = 12 * 16 * 4;
        var result = DatasetWriter.Generate(recipe, 10, 3, P("heat"), shardBytes: 4 * perSample);
        Assert.Equal(DatasetFormat.Hdf5Shards, result.Format);
        Assert.Equal(3, result.Files.Length);
        var d = Dataset.Open(P("heat"));
        Assert.Equal(10, d.Samples);
        Assert.Equal(new long[] { 0, 4, 8 }, d.Shards.Select(s => s.FirstSample).ToArray());
        // shards read whole (the default) and as hyperslabs (wholeFileBytes 0) give the same values
        foreach (var whole in new[] { DatasetReader.WholeFileBytes, 0 })
        {
            using var r = new DatasetReader(d, whole);
            for (int i = 0; i < 10; i++) Assert.Equal(Generators.Sample(recipe, 3, i).Values, r.ReadTrajectory(i));
            var across = r.ReadSamples(3, 3, 0, 12); // samples 3, 4, 5 span two shards
            Assert.Equal(Generators.Sample(recipe, 3, 4).Values, across.AsSpan(12 * 16, 12 * 16).ToArray());
            Assert.Equal(Generators.Sample(recipe, 3, 8).Values.AsSpan(2 * 16, 3 * 16).ToArray(), r.ReadFrames(8, 2, 3));
            var windows = r.Windows([7, 9]).ToList();
            Assert.Equal(2 * 2, windows.Count); // 12 frames: starts 0 and 1
            Assert.Equal(r.ReadWindow(9, 1), windows[3].Values);
            Assert.Equal(10, r.Coefficient("cos").GetLength(0));
        }
        // a second write replaces the folder
        DatasetWriter.Generate(recipe, 6, 4, P("heat"), shardBytes: 4 * perSample);
        Assert.Equal(6, Dataset.Open(P("heat")).Samples);
        // a small set goes to one file
        Assert.Equal(DatasetFormat.Hdf5, DatasetWriter.Generate(recipe, 2, 3, P("one.h5")).Format);
    }

    [Fact]
    public void ReferenceSplitIsSeventyTwentyTenWithTheLastTenPercentAsTest()
    {
        var s = Dataset.Split(1000, 7);
        Assert.Equal(700, s.Train.Length);
        Assert.Equal(200, s.Validation.Length);
        Assert.Equal(Enumerable.Range(900, 100).ToArray(), s.Test.ToArray());
        Assert.Empty(s.Train.Intersect(s.Validation));
        Assert.Equal(900, s.Train.Concat(s.Validation).Distinct().Count());
        Assert.Equal(s.Validation.ToArray(), Dataset.Split(1000, 7).Validation.ToArray());
        Assert.NotEqual(s.Validation.ToArray(), Dataset.Split(1000, 8).Validation.ToArray());
    }

    // ---- validation errors ----

    private static H5File ValidFile(Action<H5File>? edit = null, Array? values = null, ulong[]? dims = null)
    {
        var file = new H5File
        {
            ["u_sol_all"] = new H5Dataset(values ?? new float[2 * 3 * 8], fileDims: dims ?? [2, 3, 8, 1]),
            ["t_coord"] = new double[] { 0, 0.1, 0.2 },
            ["x_coord"] = Enumerable.Range(0, 8).Select(j => j * 2 * Math.PI / 8).ToArray(),
        };
        edit?.Invoke(file);
        return file;
    }

    private DatasetException Fails(string name, H5File file)
    {
        file.Write(P(name));
        return Assert.Throws<DatasetException>(() => Dataset.Open(P(name)));
    }

    [Fact]
    public void AValidHandMadeFileOpens()
    {
        ValidFile().Write(P("ok.h5"));
        Assert.Equal(2, Dataset.Open(P("ok.h5")).Samples);
    }

    [Fact]
    public void MissingDatasetIsNamed()
    {
        var e = Fails("missing.h5", ValidFile(f => f.Remove("u_sol_all")));
        Assert.Contains("missing.h5", e.Message);
        Assert.Contains("missing dataset 'u_sol_all'", e.Message);
        Assert.Contains("missing dataset 't_coord'", Fails("missing-t.h5", ValidFile(f => f.Remove("t_coord"))).Message);
    }

    [Fact]
    public void WrongRankIsRefused() =>
        Assert.Contains("wrong rank", Fails("rank.h5", ValidFile(dims: [2, 3, 8])).Message);

    [Fact]
    public void NaNAndInfAreReportedWithTheirFirstIndex()
    {
        var v = new float[2 * 3 * 8];
        v[(1 * 3 + 2) * 8 + 5] = float.NaN;
        v[(1 * 3 + 2) * 8 + 6] = float.PositiveInfinity;
        var e = Fails("nan.h5", ValidFile(values: v));
        Assert.Contains("NaN in 'u_sol_all' at index (1, 2, 5, 0)", e.Message);
        var w = new float[2 * 3 * 8];
        w[9] = float.NegativeInfinity;
        Assert.Contains("Inf in 'u_sol_all' at index (0, 1, 1, 0)", Fails("inf.h5", ValidFile(values: w)).Message);
        // metadata-only opening does not scan values
        Assert.Equal(2, Dataset.Open(P("nan.h5"), checkValues: false).Samples);
    }

    [Fact]
    public void NonUniformTimesAreRefused() =>
        Assert.Contains("non-uniform 't_coord'", Fails("t.h5", ValidFile(f => f["t_coord"] = new double[] { 0, 0.1, 0.25 })).Message);

    [Fact]
    public void XCoordinatesMustBeAUniformPeriodicGrid()
    {
        // any origin is a grid (OwnDataTests); a decreasing one is not
        Assert.Contains("does not increase", Fails("x1.h5", ValidFile(f => f["x_coord"] = Enumerable.Range(0, 8).Select(j => 0.1 - j * 0.5).ToArray())).Message);
        Assert.Contains("uniform periodic grid", Fails("x2.h5", ValidFile(f => f["x_coord"] = Enumerable.Range(0, 8).Select(j => j * j * 0.1).ToArray())).Message);
        // x_j = j L / (N - 1) (the grid including its end point) against pde_info/L
        var e = Fails("x3.h5", ValidFile(f =>
        {
            f["x_coord"] = Enumerable.Range(0, 8).Select(j => j * 2 * Math.PI / 7).ToArray();
            f["pde_info"] = new H5Group { ["L"] = 2 * Math.PI };
        }));
        Assert.Contains("not the periodic grid", e.Message);
    }

    [Fact]
    public void TruncatedAndForeignFilesAreRefused()
    {
        Hdf5.Write(P("full.h5"), SmallContent());
        var bytes = File.ReadAllBytes(P("full.h5"));
        File.WriteAllBytes(P("cut.h5"), bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<DatasetException>(() => Dataset.Open(P("cut.h5"))).Message);
        File.WriteAllText(P("text.h5"), "just some text, not HDF5");
        Assert.Contains("not an HDF5 file", Assert.Throws<DatasetException>(() => Dataset.Open(P("text.h5"))).Message);
        File.WriteAllBytes(P("empty.h5"), []);
        Assert.Contains("empty file", Assert.Throws<DatasetException>(() => Dataset.Open(P("empty.h5"))).Message);
        Assert.Contains("not found", Assert.Throws<DatasetException>(() => Dataset.Open(P("nowhere.h5"))).Message);
        File.WriteAllBytes(P("cut.npz"), File.ReadAllBytes(P("full.h5")).Length > 0 ? MakeNpzBytes()[..200] : []);
        Assert.Throws<DatasetException>(() => Dataset.Open(P("cut.npz")));
    }

    private byte[] MakeNpzBytes()
    {
        NpzLayout.Write(P("tmp.npz"), SmallContent(1));
        return File.ReadAllBytes(P("tmp.npz"));
    }

    [Fact]
    public void UnsupportedDtypeIsRefused()
    {
        var e = Fails("int.h5", ValidFile(values: new int[2 * 3 * 8]));
        Assert.Contains("unsupported dtype of 'u_sol_all'", e.Message);
        var c = SmallContent(1);
        NpzLayout.Write(P("int.npz"), c);
        // an npz whose u_sol_all is int64
        Npy.WriteNpz(P("int.npz"), [new("u_sol_all", new NpyArray([1, 13, 32, 1], new long[13 * 32])), new("t_coord", NpyArray.Of(c.Times, 13)), new("x_coord", NpyArray.Of(c.Coordinates[0], 32))]);
        Assert.Contains("unsupported dtype", Assert.Throws<DatasetException>(() => Dataset.Open(P("int.npz"))).Message);
    }

    [Fact]
    public void Float64DataIsReadAsFloat32()
    {
        var v = Enumerable.Range(0, 2 * 3 * 8).Select(i => i * 0.5).ToArray();
        ValidFile(values: v).Write(P("f64.h5"));
        foreach (var whole in new[] { DatasetReader.WholeFileBytes, 0 })
        {
            using var r = new DatasetReader(Dataset.Open(P("f64.h5")), whole);
            Assert.Equal(v.Skip(24).Select(x => (float)x), r.ReadTrajectory(1));
        }
    }
}
