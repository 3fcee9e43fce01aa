using System.Runtime.CompilerServices;

namespace Onsager.Tests;

internal static class TestSetup
{
    /// <summary>The tests work on small tensors: one libtorch thread avoids thread hand-off costs (xunit runs classes in parallel anyway).</summary>
    [ModuleInitializer]
    internal static void OneTorchThread() => TorchSharp.torch.set_num_threads(1);
}
