using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace EdgeLoss.Native;

/// <summary>
/// The per-thread message behind el_last_error: a pinned, NUL-terminated UTF-8 buffer per thread, so the pointer
/// handed to C stays put and is reclaimed with the thread.
/// </summary>
internal static unsafe class LastError
{
    private const int Capacity = 1024;

    [ThreadStatic] private static byte[]? buffer;

    private static byte[] Buffer => buffer ??= GC.AllocateArray<byte>(Capacity, pinned: true);

    /// <summary>The calling thread's message ("" when none).</summary>
    public static byte* Pointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Buffer));

    /// <summary>Stores <paramref name="message"/>, cut at a UTF-8 character boundary to fit, NUL-terminated.</summary>
    public static void Set(string message)
    {
        byte[] b = Buffer;
        // FromUtf16 stops before the first character that does not fit, so the bytes written are whole characters (as
        // the wire protocol's ERROR encoder cuts its messages).
        Utf8.FromUtf16(message, b.AsSpan(0, Capacity - 1), out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        b[written] = 0;
    }
}
