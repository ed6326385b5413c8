using System.Runtime.InteropServices;

namespace EdgeLoss.Tests.Native;

[Collection(NativeCollection.Name)]
public sealed unsafe class CoreExportTests(NativeLibraryFixture lib)
{
    [Fact]
    public void Abi_version_is_1_and_version_is_the_assembly_version()
    {
        var abi = (delegate* unmanaged<int>)lib.Export("el_abi_version");
        var version = (delegate* unmanaged<byte*>)lib.Export("el_version");
        Assert.Equal(1, abi());
        string v = Marshal.PtrToStringUTF8((IntPtr)version())!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", v);
        Assert.Equal(typeof(Reduction).Assembly.GetName().Version!.ToString(3), v);
    }

    [Fact]
    public void Last_error_is_empty_on_a_fresh_thread()
    {
        var lastError = (delegate* unmanaged<byte*>)lib.Export("el_last_error");
        string? message = null;
        var t = new Thread(() => message = Marshal.PtrToStringUTF8((IntPtr)lastError()));
        t.Start();
        t.Join();
        Assert.Equal("", message);
    }

    [Fact]
    public void The_library_exports_exactly_the_functions_of_the_header()
    {
        string header = File.ReadAllText(Path.Combine(Repository.Root, "EdgeHost", "Native", "edgeloss.h"));
        var declared = System.Text.RegularExpressions.Regex.Matches(header, @"^\S.*?\b(el_[a-z_0-9]+)\(", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToHashSet();
        Assert.True(declared.Count >= 20, $"header declares only {declared.Count} functions");
        foreach (string name in declared)
            Assert.True(NativeLibrary.TryGetExport(lib.Handle, name, out _), $"edgeloss.h declares {name} but libedgeloss.so does not export it");
    }
}
