using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLoss.Native;

/// <summary>Marshalling helpers shared by the exports.</summary>
internal static unsafe class Interop
{
    /// <summary>Allocates a process-lifetime NUL-terminated UTF-8 copy of <paramref name="s"/>.</summary>
    public static byte* AllocStatic(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }
}
