using System.Runtime.InteropServices;
using Xunit;

namespace Onsager.Tests;

/// <summary>The start-up check that names a missing GLIBCXX version (NativeLibraryCheck), on the test run's own
/// libLibTorchSharp.so (patched by the build) and on a copy with the patch undone.</summary>
public class NativeLibraryCheckTests
{
    private static readonly bool LinuxX64 = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [Fact]
    public void NamesTheMissingGlibcxxVersionOnlyWhenTheNeedIsStrongAndTheSystemLacksIt()
    {
        if (!LinuxX64) return;
        var built = Path.Combine(Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!, "libLibTorchSharp.so");
        Assert.True(File.Exists(built), built);
        // the build marked the need weak: the loader does not enforce it, and nothing is reported in this process
        var need = Assert.Single(NativeLibraryCheck.VersionNeeds(built), e => e.Version == "GLIBCXX_3.4.32");
        Assert.True(need.Weak);
        Assert.DoesNotContain("GLIBCXX_3.4.32", NativeLibraryCheck.StrongVersionNeeds(built));
        Assert.Contains("GLIBCXX_3.4.30", NativeLibraryCheck.StrongVersionNeeds(built)); // the other needs stay strong
        Assert.Null(NativeLibraryCheck.Diagnose());

        var dir = Directory.CreateTempSubdirectory("onsager-native-check").FullName;
        try
        {
            // the package as it comes: the need strong again
            var unpatched = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(built, unpatched);
            using (var f = new FileStream(unpatched, FileMode.Open, FileAccess.ReadWrite))
            {
                f.Seek(need.FlagsOffset, SeekOrigin.Begin);
                int flags = f.ReadByte();
                f.Seek(need.FlagsOffset, SeekOrigin.Begin);
                f.WriteByte((byte)(flags & ~2));
            }
            Assert.Contains("GLIBCXX_3.4.32", NativeLibraryCheck.StrongVersionNeeds(unpatched));

            var old = Path.Combine(dir, "libstdc++-gcc12.so.6");
            File.WriteAllBytes(old, "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.3\0"u8.ToArray());
            var message = NativeLibraryCheck.Diagnose([unpatched], old);
            Assert.NotNull(message);
            Assert.Contains("needs GLIBCXX_3.4.32", message);
            Assert.Contains("usepackagetargets=true", message);
            Assert.DoesNotContain('\n', message);

            var recent = Path.Combine(dir, "libstdc++-gcc13.so.6");
            File.WriteAllBytes(recent, "\0GLIBCXX_3.4.30\0GLIBCXX_3.4.32\0"u8.ToArray());
            Assert.Null(NativeLibraryCheck.Diagnose([unpatched], recent));
            Assert.Null(NativeLibraryCheck.Diagnose([built], old));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
