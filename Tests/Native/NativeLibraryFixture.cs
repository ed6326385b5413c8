using System.Runtime.InteropServices;

namespace EdgeLoss.Tests.Native;

/// <summary>
/// The Native AOT build of libedgeloss.so for this machine, loaded into the test process so that every export can be
/// called through P/Invoke-style function pointers exactly as a C host calls it. tools/test.sh publishes it first
/// (tools/publish.sh linux-x64); run that by hand before running these tests from an IDE.
/// </summary>
public sealed class NativeLibraryFixture : IDisposable
{
    public string LibraryPath { get; }
    public IntPtr Handle { get; }

    public NativeLibraryFixture()
    {
        LibraryPath = Path.Combine(Repository.Root, "artifacts", "linux-x64", "libedgeloss.so");
        if (!File.Exists(LibraryPath))
            throw new FileNotFoundException($"{LibraryPath} is missing: run tools/publish.sh linux-x64 (tools/test.sh does)", LibraryPath);
        Handle = NativeLibrary.Load(LibraryPath);
    }

    /// <summary>The address of export <paramref name="name"/>; fails the test when it is not exported.</summary>
    public IntPtr Export(string name) =>
        NativeLibrary.TryGetExport(Handle, name, out IntPtr p) ? p : throw new InvalidOperationException($"libedgeloss.so does not export {name}");

    // A Native AOT library cannot be unloaded; the handle lives as long as the test process.
    public void Dispose() { }

}

[CollectionDefinition(Name)]
public sealed class NativeCollection : ICollectionFixture<NativeLibraryFixture>
{
    public const string Name = "libedgeloss.so";
}
