using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

public class TorchSharpTests
{
    [Fact]
    public void LoadsAndRunsDoubleBackwardInFloat64()
    {
        // d/dx sum(x^3) = 3 x^2; d/dx sum(3 x^2) = 6 x: needs the patched native library and create_graph.
        var x = tensor(new[] { 1.0, 2.0, -3.0 }, ScalarType.Float64).requires_grad_(true);
        var y = x.pow(3).sum();
        var g = autograd.grad([y], [x], retain_graph: true, create_graph: true)[0];
        var gg = autograd.grad([g.sum()], [x])[0];
        Assert.Equal(ScalarType.Float64, gg.dtype);
        Assert.Equal(new[] { 6.0, 12.0, -18.0 }, gg.data<double>().ToArray());
    }
}
