using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLoss;

/// <summary>
/// fsync of a directory, which .NET has no API for: a file created or renamed into a directory is only durable
/// once the directory itself is flushed (POSIX; ext4 and xfs can lose the new name on power loss otherwise).
/// libc's open / fsync / close are bound through <see cref="NativeLibrary"/> function pointers, which work the same
/// under the JIT and Native AOT. Where there is no libc (Windows) this does nothing: NTFS journals renames.
/// </summary>
internal static unsafe class DirectorySync
{
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000, EINTR = 4;   // same values on linux-x64 and linux-arm64

    private static readonly delegate* unmanaged<byte*, int, int> s_open;
    private static readonly delegate* unmanaged<int, int> s_fsync;
    private static readonly delegate* unmanaged<int, int> s_close;

#pragma warning disable CA1810 // the function pointers must be looked up together, once
    static DirectorySync()
#pragma warning restore CA1810
    {
        if (OperatingSystem.IsWindows())
            return;
        if ((NativeLibrary.TryLoad("libc.so.6", out nint libc) || NativeLibrary.TryLoad("libc", out libc))
            && NativeLibrary.TryGetExport(libc, "open", out nint open)
            && NativeLibrary.TryGetExport(libc, "fsync", out nint fsync)
            && NativeLibrary.TryGetExport(libc, "close", out nint close))
        {
            s_open = (delegate* unmanaged<byte*, int, int>)open;
            s_fsync = (delegate* unmanaged<int, int>)fsync;
            s_close = (delegate* unmanaged<int, int>)close;
        }
    }

    /// <summary>Whether directory flushing is available on this platform.</summary>
    public static bool IsSupported => s_open != null;

    /// <summary>Flushes the directory entry changes of <paramref name="directory"/> to the device.</summary>
    public static void Flush(string directory)
    {
        if (s_open == null)
            return;
        byte[] path = new byte[Encoding.UTF8.GetByteCount(directory) + 1];   // NUL-terminated
        Encoding.UTF8.GetBytes(directory, path);
        int fd, rc;
        fixed (byte* p = path)
        {
            do fd = s_open(p, O_RDONLY | O_CLOEXEC);
            while (fd < 0 && Marshal.GetLastSystemError() == EINTR);
        }
        if (fd < 0)
            throw new IOException($"cannot open directory '{directory}' to flush it (errno {Marshal.GetLastSystemError()})");
        try
        {
            do rc = s_fsync(fd);
            while (rc != 0 && Marshal.GetLastSystemError() == EINTR);
            if (rc != 0)
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastSystemError()})");
        }
        finally
        {
            s_close(fd);
        }
    }
}
