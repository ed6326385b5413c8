namespace EdgeLoss.Tests.Common;

/// <summary>Makes a file read-only for everyone (mode 0444) or writable by its owner again (0644).</summary>
public static class FileModes
{
    public const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;     // 0444

    public const UnixFileMode Writable = ReadOnly | UnixFileMode.UserWrite;                                            // 0644

    public static void Set(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
            File.SetAttributes(path, (mode & UnixFileMode.UserWrite) == 0 ? FileAttributes.ReadOnly : FileAttributes.Normal);
        else
            File.SetUnixFileMode(path, mode);
    }

    /// <summary>The permission bits (on Windows, 0444 or 0644 from the read-only attribute).</summary>
    public static UnixFileMode Get(string path) =>
        OperatingSystem.IsWindows()
            ? (File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly) ? ReadOnly : Writable)
            : File.GetUnixFileMode(path);
}
