using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Text;

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
        int max = Capacity - 1;
        int written;
        if (Encoding.UTF8.GetByteCount(message) <= max)
        {
            written = Encoding.UTF8.GetBytes(message, b);
        }
        else
        {
            // Encode character by character until the next one would not fit.
            written = 0;
            Span<byte> one = stackalloc byte[4];
            foreach (Rune r in message.EnumerateRunes())
            {
                int n = r.EncodeToUtf8(one);
                if (written + n > max) break;
                one[..n].CopyTo(b.AsSpan(written));
                written += n;
            }
        }
        b[written] = 0;
    }
}
