namespace EdgeLoss.Tests.EndToEnd;

/// <summary>
/// The published Native AOT binaries (artifacts/RID/edgehost), as users get them from tools/publish.sh. tools/test.sh
/// publishes both RIDs before the suite runs; from an IDE, run tools/publish.sh RID first.
/// </summary>
public static class PublishedBinary
{
    /// <summary>artifacts/<paramref name="rid"/>/edgehost; fails with what to run when it is missing.</summary>
    public static string EdgeHost(string rid)
    {
        string path = Path.Combine(Repository.Root, "artifacts", rid, "edgehost");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: run tools/publish.sh {rid} (tools/test.sh does)", path);
        foreach (string beside in new[] { "libSystem.IO.Ports.Native.so" })
            if (!File.Exists(Path.Combine(Repository.Root, "artifacts", rid, beside)))
                throw new FileNotFoundException($"{beside} is missing beside {path}: run tools/publish.sh {rid} (tools/test.sh does)");
        return path;
    }

    /// <summary>How to run the binary of <paramref name="rid"/> here: itself, or under qemu-user for linux-arm64 on x64.</summary>
    public static string[] Command(string rid)
    {
        string binary = EdgeHost(rid);
        if (rid != "linux-arm64" || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64)
            return [binary];
        const string qemu = "/usr/bin/qemu-aarch64", sysroot = "/usr/aarch64-linux-gnu";
        if (!File.Exists(qemu) || !Directory.Exists(sysroot))
            throw new FileNotFoundException($"running {binary} here needs {qemu} and {sysroot}: sudo apt-get install qemu-user libc6-arm64-cross (tools/test.sh does)");
        return [qemu, "-L", sysroot, binary];
    }
}
