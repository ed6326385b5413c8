using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLoss.Native;

/// <summary>The version and error exports of edgeloss.h.</summary>
internal static unsafe partial class Exports
{
    private const int AbiVersion = 1;

    // A static, NUL-terminated UTF-8 string: the pointer stays valid for the life of the process.
    private static readonly byte* VersionUtf8 = Interop.AllocStatic(typeof(Exports).Assembly.GetName().Version is { } v
        ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0");

    [UnmanagedCallersOnly(EntryPoint = "el_abi_version")]
    public static int ElAbiVersion() => AbiVersion;

    [UnmanagedCallersOnly(EntryPoint = "el_version")]
    public static byte* ElVersion() => VersionUtf8;

    [UnmanagedCallersOnly(EntryPoint = "el_last_error")]
    public static byte* ElLastError() => LastError.Pointer;
}
