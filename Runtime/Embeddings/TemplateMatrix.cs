using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeLoss;

/// <summary>
/// The gallery's templates as one contiguous row-major matrix of unit vectors (float32 or int8), plus the owner
/// slot of every row and, for int8, 1 / ||row||. Rows are padded with zeros to a multiple of 64 bytes and the
/// matrix starts 64-byte aligned (a pinned array, so the address never moves), which lets the kernels run whole,
/// aligned vectors. Capacity grows by doubling. Not thread-safe: the gallery's lock guards it.
/// </summary>
internal sealed class TemplateMatrix
{
    private const int Alignment = 64;

    private float[] _f32 = [];
    private int _f32Offset;
    private sbyte[] _i8 = [];
    private int _i8Offset;
    private float[] _invNorm = [];
    private int[] _slot = [];

    public TemplateMatrix(int dim, EmbeddingStorage storage)
    {
        Dim = dim;
        Storage = storage;
        int multiple = storage == EmbeddingStorage.F32 ? DotKernels.F32StrideMultiple : DotKernels.I8StrideMultiple;
        Stride = (dim + multiple - 1) / multiple * multiple;
        RowBytes = storage == EmbeddingStorage.F32 ? Stride * sizeof(float) : Stride;
        MaxRows = (Array.MaxLength - Alignment) / Stride;
    }

    public int Dim { get; }
    public int Stride { get; }
    public EmbeddingStorage Storage { get; }

    /// <summary>Bytes of one padded row (what a scan reads).</summary>
    public int RowBytes { get; }

    /// <summary>The most rows one array can hold at this stride.</summary>
    public int MaxRows { get; }

    public int Count { get; private set; }
    public int Capacity { get; private set; }

    /// <summary>Bytes of one stored vector in a file record (unpadded).</summary>
    public int VectorBytes => Storage == EmbeddingStorage.F32 ? Dim * sizeof(float) : Dim;

    public ref float F32Row(int row) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_f32), _f32Offset + (nint)row * Stride);

    public ref sbyte I8Row(int row) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_i8), _i8Offset + (nint)row * Stride);

    public float InverseNorm(int row) => _invNorm[row];

    public int SlotOf(int row) => _slot[row];

    /// <summary>The owner slots of rows [0, Count), for the scan loops.</summary>
    public ReadOnlySpan<int> Slots => _slot.AsSpan(0, Count);

    /// <summary>1 / ||row|| of rows [0, Count) (int8 storage).</summary>
    public ReadOnlySpan<float> InverseNorms => _invNorm.AsSpan(0, Count);

    /// <summary>Makes room for <paramref name="rows"/> rows (may reallocate: call with the write lock held).</summary>
    public void Reserve(int rows)
    {
        if (rows <= Capacity)
            return;
        if (rows > MaxRows)
            throw new GalleryCapacityException($"the gallery cannot hold {rows} templates of {Dim} dimensions: at most {MaxRows} fit one array");
        int capacity = (int)Math.Clamp(Math.Max(2L * Capacity, 16), rows, MaxRows);
        if (Storage == EmbeddingStorage.F32)
        {
            float[] next = AllocateAligned<float>((long)capacity * Stride, out int offset);
            MemoryMarshal.CreateReadOnlySpan(ref F32Row(0), Count * Stride).CopyTo(next.AsSpan(offset));
            _f32 = next;
            _f32Offset = offset;
        }
        else
        {
            sbyte[] next = AllocateAligned<sbyte>((long)capacity * Stride, out int offset);
            MemoryMarshal.CreateReadOnlySpan(ref I8Row(0), Count * Stride).CopyTo(next.AsSpan(offset));
            _i8 = next;
            _i8Offset = offset;
            Array.Resize(ref _invNorm, capacity);
        }
        Array.Resize(ref _slot, capacity);
        Capacity = capacity;
    }

    /// <summary>
    /// Appends a row from its record encoding (float32 little-endian, or int8) for <paramref name="slot"/>.
    /// Returns the row index, or -1 when the vector is not a valid stored unit vector (a replayed record whose
    /// checksum is good but whose contents are not something this library writes).
    /// </summary>
    public int Append(ReadOnlySpan<byte> vector, int slot)
    {
        if (Count == Capacity)
            Reserve(Count + 1);
        int row = Count;
        if (Storage == EmbeddingStorage.F32)
        {
            ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(vector);
            double ss = EmbeddingMath.SumOfSquares(values);
            // What Normalize writes has ||x||^2 = 1 within a few float roundings; anything else was not written by it.
            if (!(Math.Abs(ss - 1.0) <= 1e-4))
                return -1;
            values.CopyTo(MemoryMarshal.CreateSpan(ref F32Row(row), Dim));
        }
        else
        {
            ReadOnlySpan<sbyte> values = MemoryMarshal.Cast<byte, sbyte>(vector);
            // What Quantize writes spans [-127, 127] with its largest magnitude exactly 127.
            if (values.Contains(sbyte.MinValue) || (!values.Contains((sbyte)127) && !values.Contains((sbyte)-127)))
                return -1;
            float inv = EmbeddingMath.InverseNorm(values);
            values.CopyTo(MemoryMarshal.CreateSpan(ref I8Row(row), Dim));
            _invNorm[row] = inv;
        }
        _slot[row] = slot;
        Count = row + 1;
        return row;
    }

    /// <summary>Copies row <paramref name="from"/> (padding included) over row <paramref name="to"/>.</summary>
    public void Move(int from, int to)
    {
        if (Storage == EmbeddingStorage.F32)
            MemoryMarshal.CreateReadOnlySpan(ref F32Row(from), Stride).CopyTo(MemoryMarshal.CreateSpan(ref F32Row(to), Stride));
        else
        {
            MemoryMarshal.CreateReadOnlySpan(ref I8Row(from), Stride).CopyTo(MemoryMarshal.CreateSpan(ref I8Row(to), Stride));
            _invNorm[to] = _invNorm[from];
        }
        _slot[to] = _slot[from];
    }

    /// <summary>Drops the last row.</summary>
    public void RemoveLast() => Count--;

    /// <summary>The record encoding of row <paramref name="row"/> (what <see cref="Append"/> reads back).</summary>
    public ReadOnlySpan<byte> VectorOf(int row) => Storage == EmbeddingStorage.F32
        ? MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref F32Row(row), Dim))
        : MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref I8Row(row), Dim));

    private static unsafe T[] AllocateAligned<T>(long elements, out int offset) where T : unmanaged
    {
        int extra = Alignment / sizeof(T);
        var array = GC.AllocateArray<T>(checked((int)elements + extra), pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        offset = (int)((Alignment - (int)(address % Alignment)) % Alignment) / sizeof(T);
        return array;
    }
}
