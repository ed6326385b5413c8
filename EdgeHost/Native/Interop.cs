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

/// <summary>The failure path of every export: records the message for el_last_error and returns the status.</summary>
internal static class Errors
{
    public static int Fail(Exception exception)
    {
        try
        {
            LastError.Set(StatusMapping.Message(exception));
            return (int)StatusMapping.From(exception);
        }
        catch
        {
            return (int)Status.Internal; // even formatting the message failed: still never throw into C
        }
    }
}

/// <summary>Boundary checks on raw C arguments, with the C parameter names in the messages.</summary>
internal static unsafe class Check
{
    public static void NotNull(void* p, string name)
    {
        if (p == null) throw new ArgumentNullException(name, $"{name} is NULL");
    }

    public static void Size(int value, string name) => Guard.Positive(value, name);

    /// <summary>Checks a row-major matrix argument (non-NULL, both sizes >= 1) and returns its element count.</summary>
    public static int Matrix(float* p, int rows, int cols, string name, string rowsName = "rows", string colsName = "cols")
    {
        NotNull(p, name);
        Size(rows, rowsName);
        Size(cols, colsName);
        return Product(rows, cols, name);
    }

    /// <summary>a * b as an element count, rejecting products that do not fit a span.</summary>
    public static int Product(int a, int b, string what)
    {
        long n = (long)a * b;
        if (n > int.MaxValue) throw new ArgumentOutOfRangeException(what, $"{what} = {a} x {b} is too large");
        return (int)n;
    }
}
