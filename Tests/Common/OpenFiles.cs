namespace EdgeLoss.Tests.Common;

/// <summary>
/// How this process holds a file open, read from Linux's /proc/self/fd and /proc/self/fdinfo: the access mode each
/// descriptor was opened with and the flock lock it holds. This is what the kernel enforces, so it proves "opened
/// read-only" even for root, which permission bits (a mode-0444 file) do not stop from opening for writing.
/// </summary>
public static class OpenFiles
{
    /// <summary>Whether /proc/self/fdinfo can be read (Linux).</summary>
    public static bool Supported { get; } = OperatingSystem.IsLinux() && Directory.Exists("/proc/self/fdinfo");

    /// <summary>Every descriptor of this process open on <paramref name="path"/>, in descriptor order.</summary>
    public static List<Descriptor> Of(string path)
    {
        string full = Path.GetFullPath(path);
        var found = new List<Descriptor>();
        foreach (string link in Directory.GetFiles("/proc/self/fd"))
        {
            int fd = int.Parse(Path.GetFileName(link), System.Globalization.CultureInfo.InvariantCulture);
            string? target;
            string[] info;
            try
            {
                target = new FileInfo(link).LinkTarget;
                info = File.ReadAllLines($"/proc/self/fdinfo/{fd}");
            }
            catch (IOException)
            {
                continue;                        // closed meanwhile by another thread
            }
            if (target != full)
                continue;
            // "flags:\t0100000": octal open(2) flags; the low two bits are O_RDONLY 0, O_WRONLY 1, O_RDWR 2.
            string flags = info.Single(l => l.StartsWith("flags:", StringComparison.Ordinal))["flags:".Length..].Trim();
            var access = (Access)(Convert.ToInt32(flags, 8) & 3);
            // "lock:\t1: FLOCK  ADVISORY  READ 4242 fe:00:123 0 EOF": READ is LOCK_SH, WRITE is LOCK_EX.
            string? lockLine = info.FirstOrDefault(l => l.StartsWith("lock:", StringComparison.Ordinal) && l.Contains("FLOCK", StringComparison.Ordinal));
            FlockMode flock = lockLine is null ? FlockMode.None
                : lockLine.Contains(" READ ", StringComparison.Ordinal) ? FlockMode.Shared
                : lockLine.Contains(" WRITE ", StringComparison.Ordinal) ? FlockMode.Exclusive
                : throw new InvalidDataException($"unexpected lock line in fdinfo of fd {fd}: {lockLine}");
            found.Add(new Descriptor(fd, access, flock));
        }
        return [.. found.OrderBy(d => d.Fd)];
    }

    public enum Access { ReadOnly = 0, WriteOnly = 1, ReadWrite = 2 }

    public enum FlockMode { None, Shared, Exclusive }

    public readonly record struct Descriptor(int Fd, Access Access, FlockMode Flock);
}
