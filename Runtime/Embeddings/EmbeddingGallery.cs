using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeLoss;

/// <summary>
/// A gallery of face (or any) embeddings for 1:1 verification and 1:N identification (semantics.md section 4),
/// in memory or backed by a crash-safe append-only file (docs/gallery-format.md).
/// </summary>
/// <remarks>
/// <para>Every embedding is L2-normalized on entry; a score is the cosine similarity in [-1, 1]. An identity may
/// hold many templates; a search returns the top k identities by their best template, score descending, ties by
/// identity ordinal: the order in which identities were enrolled (an identity that was removed and enrolled again
/// counts from its new enrollment). A reopened or compacted file keeps that order.</para>
/// <para>Thread safety: any number of searches, verifications and counts run concurrently. Enrollments, removals
/// and compaction are serialized among themselves; a search sees the gallery before or after a write, never in
/// between (a reader-writer lock held by writers only while they change memory, not while they wait for the
/// disk).</para>
/// <para>Durability: for a file-backed gallery, <see cref="Enroll(string, ReadOnlySpan{float})"/>,
/// <see cref="EnrollBatch"/> and <see cref="Remove"/> return after the change is fsynced. One writable
/// <see cref="EmbeddingGallery"/> at a time may open a file (an exclusive lock, across processes); any number of
/// read-only ones may share it while no writable one holds it (<see cref="Open(string?, int, EmbeddingStorage, bool)"/>).</para>
/// </remarks>
public sealed partial class EmbeddingGallery : IDisposable
{
    /// <summary>The longest id, in bytes of UTF-8 (the C ABI's <c>el_match.id</c> holds 63 bytes and a NUL).</summary>
    public const int MaxIdBytes = 63;

    /// <summary>The largest supported dimension (the wire protocol reports dim as a u16).</summary>
    public const int MaxDim = 65535;

    /// <summary>A record is cut below this size when a compaction writes it.</summary>
    private const int CompactRecordBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly GalleryTuning _tuning;
    private readonly ParallelOptions _parallel;
    private readonly Lock _writeGate = new();                       // serializes writers, held across the fsync
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);   // readers vs. memory changes
    private readonly TemplateMatrix _matrix;
    private readonly Dictionary<string, Identity> _byId = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeSlots = new();
    private Identity?[] _slots = [];          // slot -> identity; the matrix stores slots, not ids
    private long[] _slotOrdinal = [];         // slot -> enrollment ordinal, for tie-breaks in the scan
    private int _slotHigh;
    private long _nextOrdinal;
    private readonly string? _path;
    private readonly bool _readOnly;
    private GalleryFile? _file;
    private int _deadInFile;                  // templates in the file that a later REMOVE dropped
    private bool _disposed;

    private EmbeddingGallery(string? path, int dim, EmbeddingStorage storage, GalleryTuning tuning, bool readOnly)
    {
        _path = path;
        _readOnly = readOnly;
        _tuning = tuning;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, tuning.MaxDegreeOfParallelism) };
        _matrix = new TemplateMatrix(dim, storage);
    }

    /// <summary>
    /// Opens a gallery: in memory when <paramref name="path"/> is null, else backed by that file, created when
    /// absent. An existing file must hold the same <paramref name="dim"/> and <paramref name="storage"/>
    /// (<see cref="ArgumentException"/> naming both otherwise); a torn tail left by a crash is cut back to the last
    /// whole record; any other damage throws <see cref="GalleryCorruptException"/> and leaves the file untouched.
    /// A file already open elsewhere throws <see cref="GalleryLockedException"/>. When more than half of the
    /// templates in the file were removed (and at least 1024), the file is compacted on open. The same as
    /// <see cref="Open(string?, int, EmbeddingStorage, bool)"/> with <c>readOnly: false</c>.
    /// </summary>
    /// <param name="path">The gallery file, or null for an in-memory gallery.</param>
    /// <param name="dim">Embedding dimension, 1..65535.</param>
    /// <param name="storage">How templates are stored and scored.</param>
    public static EmbeddingGallery Open(string? path, int dim, EmbeddingStorage storage) =>
        Open(path, dim, storage, GalleryTuning.Default, readOnly: false);

    /// <summary>
    /// Opens a gallery, writable as <see cref="Open(string?, int, EmbeddingStorage)"/> does, or read-only: then the
    /// file is never written, so it may sit on a read-only mount or have mode 0444.
    /// </summary>
    /// <remarks>
    /// <para>A read-only open needs an existing file (<paramref name="path"/> null throws
    /// <see cref="ArgumentNullException"/>, a missing file <see cref="FileNotFoundException"/>). It opens the file for
    /// reading only, under a shared lock: any number of read-only galleries, in this process or others, may open the
    /// same file together, while a writable open of it throws <see cref="GalleryLockedException"/>, and a read-only
    /// open of a file a writable gallery holds throws it too.</para>
    /// <para>The file is checked exactly as a writable open checks it (<see cref="GalleryCorruptException"/>,
    /// <see cref="ArgumentException"/> for another dim or storage), except that a torn tail left by a crash is not
    /// cut: the gallery serves every whole record before it and leaves the tail on disk, for the next writable open
    /// to repair. Nothing is compacted. <see cref="Enroll(string, ReadOnlySpan{float})"/>, <see cref="EnrollBatch"/>,
    /// <see cref="Remove"/> and <see cref="Compact"/> throw <see cref="InvalidOperationException"/> whatever their
    /// arguments, changing nothing; searches, verifications and counts work as in a writable gallery, with the
    /// same results bit for bit.</para>
    /// </remarks>
    /// <param name="path">The gallery file; null only when <paramref name="readOnly"/> is false (in memory).</param>
    /// <param name="dim">Embedding dimension, 1..65535.</param>
    /// <param name="storage">How templates are stored and scored.</param>
    /// <param name="readOnly">True to open an existing file without ever writing to it.</param>
    public static EmbeddingGallery Open(string? path, int dim, EmbeddingStorage storage, bool readOnly) =>
        Open(path, dim, storage, GalleryTuning.Default, readOnly);

    internal static EmbeddingGallery Open(string? path, int dim, EmbeddingStorage storage, GalleryTuning tuning, bool readOnly = false)
    {
        if (dim < 1 || dim > MaxDim)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dim = {dim} is outside [1, {MaxDim}]");
        if (storage is not (EmbeddingStorage.F32 or EmbeddingStorage.I8))
            throw new ArgumentOutOfRangeException(nameof(storage), storage, $"storage = {(int)storage} is not an EmbeddingStorage (0 = F32, 1 = I8)");
        if (path is null && readOnly)
            throw new ArgumentNullException(nameof(path), "path is null, but a read-only gallery is an existing file (an in-memory one could never hold anything)");
        if (path is { Length: 0 })
            throw new ArgumentException(readOnly ? "path is empty" : "path is empty (pass null for an in-memory gallery)", nameof(path));
        string? full = path is null ? null : System.IO.Path.GetFullPath(path);
        // A directory is left to the open below, which reports it as a writable open does.
        if (readOnly && !File.Exists(full) && !Directory.Exists(full))
            throw new FileNotFoundException($"path = '{path}': gallery file '{full}' does not exist, and a read-only open cannot create it", full);
        var gallery = new EmbeddingGallery(full, dim, storage, tuning, readOnly);
        if (path is null)
            return gallery;
        gallery._file = GalleryFile.Open(path, dim, storage, payload => gallery.ApplyRecord(payload, default), readOnly);
        try
        {
            // A read-only gallery leaves even a mostly-dead file as it is: compaction rewrites the file.
            if (!readOnly && gallery._deadInFile >= tuning.AutoCompactMinDead && gallery._deadInFile > gallery._matrix.Count)
                gallery.Compact();
        }
        catch
        {
            gallery.Dispose();
            throw;
        }
        return gallery;
    }

    /// <summary>The embedding dimension.</summary>
    public int Dim => _matrix.Dim;

    /// <summary>How templates are stored.</summary>
    public EmbeddingStorage Storage => _matrix.Storage;

    /// <summary>The full path of the gallery file, or null for an in-memory gallery.</summary>
    public string? Path => _path;

    /// <summary>
    /// Whether the gallery was opened read-only (<see cref="Open(string?, int, EmbeddingStorage, bool)"/>): its file
    /// is never written and every change is refused.
    /// </summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>How many identities and templates the gallery holds (one consistent snapshot).</summary>
    public (int Identities, int Templates) Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                return (_byId.Count, _matrix.Count);
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>How many templates <paramref name="id"/> holds (0 when it is not enrolled).</summary>
    public int TemplateCount(string id)
    {
        CheckId(id, nameof(id), -1);
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            return _byId.TryGetValue(id, out Identity? identity) ? identity.Count : 0;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The enrolled identities in enrollment order (a snapshot; allocates).</summary>
    public string[] GetIds()
    {
        _lock.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            return [.. _byId.Values.OrderBy(i => i.Ordinal).Select(i => i.Id)];
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Enrolls one template for <paramref name="id"/> and returns how many templates the identity now holds.
    /// </summary>
    /// <param name="id">1..63 bytes of UTF-8, no NUL.</param>
    /// <param name="embedding"><see cref="Dim"/> finite values, not all zero (normalized here).</param>
    /// <exception cref="InvalidOperationException">The gallery is read-only (<see cref="IsReadOnly"/>); nothing changed.</exception>
    public int Enroll(string id, ReadOnlySpan<float> embedding)
    {
        ThrowIfReadOnly(nameof(Enroll));
        Span<int> held = stackalloc int[1];
        EnrollCore(new ReadOnlySpan<string>(in id), embedding, held, batch: false);
        return held[0];
    }

    /// <summary>
    /// Enrolls <c>ids.Length</c> templates (row i of <paramref name="embeddings"/> for <c>ids[i]</c>; an id may
    /// repeat). All rows are checked before anything changes, and the batch is written as one atomic record (or
    /// several, each atomic, beyond 1 GiB), fsynced once.
    /// </summary>
    /// <param name="ids">The identities.</param>
    /// <param name="embeddings">ids.Length x <see cref="Dim"/> values, row-major.</param>
    /// <param name="templatesHeld">Optional (empty, or ids.Length): how many templates ids[i] holds right after row i.</param>
    /// <exception cref="InvalidOperationException">The gallery is read-only (<see cref="IsReadOnly"/>); nothing changed.</exception>
    public void EnrollBatch(ReadOnlySpan<string> ids, ReadOnlySpan<float> embeddings, Span<int> templatesHeld = default)
    {
        ThrowIfReadOnly(nameof(EnrollBatch));
        Guard.OptionalLength(templatesHeld, ids.Length);
        EnrollCore(ids, embeddings, templatesHeld, batch: true);
    }

    /// <summary>
    /// Removes every template of <paramref name="id"/> and returns how many there were. Throws
    /// <see cref="IdentityNotFoundException"/> when the identity holds none.
    /// </summary>
    /// <exception cref="InvalidOperationException">The gallery is read-only (<see cref="IsReadOnly"/>); nothing changed.</exception>
    public int Remove(string id)
    {
        ThrowIfReadOnly(nameof(Remove));
        int length = CheckId(id, nameof(id), -1);
        byte[] record = new byte[GalleryFile.RecordHeaderSize + 2 + length];
        Span<byte> payload = record.AsSpan(GalleryFile.RecordHeaderSize);
        payload[0] = GalleryFile.TypeRemove;
        payload[1] = (byte)length;
        Encoding.UTF8.GetBytes(id, payload[2..]);
        GalleryFile.Seal(record);
        lock (_writeGate)
        {
            ThrowIfDisposed();
            if (!_byId.ContainsKey(id))
                throw new IdentityNotFoundException(id);
            _file?.Append(record);
            _lock.EnterWriteLock();
            try
            {
                return ApplyRecord(payload, default);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
    }

    /// <summary>
    /// Rewrites the gallery file with only the live templates (dropping removed ones and their tombstones):
    /// written to a temporary file, fsynced, renamed over the gallery file, and the directory fsynced, so a crash
    /// leaves the old or the new file, both complete. Searches continue meanwhile; writes wait. No-op in memory.
    /// </summary>
    /// <exception cref="InvalidOperationException">The gallery is read-only (<see cref="IsReadOnly"/>); nothing changed.</exception>
    public void Compact()
    {
        ThrowIfReadOnly(nameof(Compact));
        lock (_writeGate)
        {
            ThrowIfDisposed();
            if (_file is null)
                return;
            // Writers are excluded by the gate and readers do not change anything, so the state can be read
            // without the reader-writer lock.
            _file.Rewrite(WriteLiveRecords);
            _deadInFile = 0;
        }
    }

    /// <summary>Closes the file (releasing its lock). Waits for running searches; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_disposed)
                return;
            _lock.EnterWriteLock();
            _disposed = true;
            _lock.ExitWriteLock();
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>Bytes of the gallery file (0 in memory). For tests and diagnostics.</summary>
    internal long FileLength => _file?.Length ?? 0;

    /// <summary>
    /// Bytes of torn tail (an incomplete last record left by a crash) cut from the file when it was opened; 0 for a
    /// clean file, an in-memory gallery or a read-only one (which skips a torn tail but leaves it on disk). Worth a
    /// log line: the write that was cut had not been acknowledged.
    /// </summary>
    public long RepairedTailBytes => _file?.RepairedTailBytes ?? 0;

    /// <summary>
    /// Bytes at the end of the file that a read-only open skipped and left on disk: a torn tail left by a writer that
    /// crashed mid-append (the next writable open cuts it), or a file shorter than its header. 0 for a clean file, an
    /// in-memory gallery or a writable one (see <see cref="RepairedTailBytes"/>). Worth a log line, as edgehost does.
    /// </summary>
    public long IgnoredTailBytes => _file?.IgnoredTailBytes ?? 0;

    /// <summary>Removed templates still present in the file (what compaction would drop).</summary>
    internal int DeadTemplates => _deadInFile;

    // ------------------------------------------------------------------------------------------------ writes

    private void EnrollCore(ReadOnlySpan<string> ids, ReadOnlySpan<float> embeddings, Span<int> held, bool batch)
    {
        string idName = batch ? "ids" : "id", vectorName = batch ? "embeddings" : "embedding";
        int n = ids.Length, dim = Dim, vectorBytes = _matrix.VectorBytes;
        if (n == 0)
            throw new ArgumentException("ids is empty: a batch enrolls at least one embedding", idName);
        if (embeddings.Length != (long)n * dim)
            throw new ArgumentException(
                batch ? $"embeddings has length {embeddings.Length}, expected {n} x {dim} = {(long)n * dim}"
                      : $"embedding has length {embeddings.Length}, expected {dim}", vectorName);

        // Encode every record first: this checks every id and embedding before the file or the memory changes.
        var records = new List<(byte[] Buffer, int Length, int First, int Count)>(1);
        try
        {
            int first = 0;
            while (first < n)
            {
                long payload = 5;
                int count = 0;
                while (first + count < n)
                {
                    int entry = 1 + CheckId(ids[first + count], idName, batch ? first + count : -1) + vectorBytes;
                    if (count > 0 && payload + entry > GalleryFile.MaxPayload)
                        break;
                    payload += entry;
                    count++;
                }
                int length = GalleryFile.RecordHeaderSize + (int)payload;
                byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
                records.Add((buffer, length, first, count));
                Span<byte> body = buffer.AsSpan(GalleryFile.RecordHeaderSize, (int)payload);
                body[0] = GalleryFile.TypeEnroll;
                BinaryPrimitives.WriteUInt32LittleEndian(body[1..], (uint)count);
                int pos = 5;
                for (int i = first; i < first + count; i++)
                {
                    int idLength = Encoding.UTF8.GetBytes(ids[i], body[(pos + 1)..]);
                    body[pos] = (byte)idLength;
                    pos += 1 + idLength;
                    ReadOnlySpan<float> source = embeddings.Slice(i * dim, dim);
                    Span<byte> target = body.Slice(pos, vectorBytes);
                    if (Storage == EmbeddingStorage.F32)
                        EmbeddingMath.Normalize(source, MemoryMarshal.Cast<byte, float>(target), vectorName, batch ? i : -1);
                    else
                        EmbeddingMath.Quantize(source, MemoryMarshal.Cast<byte, sbyte>(target), vectorName, batch ? i : -1);
                    pos += vectorBytes;
                }
                GalleryFile.Seal(buffer.AsSpan(0, length));
                first += count;
            }

            lock (_writeGate)
            {
                ThrowIfDisposed();
                _file?.ThrowIfPoisoned();
                foreach (var (buffer, length, start, count) in records)
                {
                    Reserve(count);
                    _file?.Append(buffer.AsSpan(0, length));
                    _lock.EnterWriteLock();
                    try
                    {
                        ApplyRecord(buffer.AsSpan(GalleryFile.RecordHeaderSize, length - GalleryFile.RecordHeaderSize),
                                    held.IsEmpty ? default : held.Slice(start, count));
                    }
                    finally
                    {
                        _lock.ExitWriteLock();
                    }
                }
            }
        }
        finally
        {
            foreach (var record in records)
                ArrayPool<byte>.Shared.Return(record.Buffer);
        }
    }

    /// <summary>
    /// Grows the matrix and slot tables for <paramref name="templates"/> more templates before the record is
    /// written, so that applying a durable record cannot fail for lack of room.
    /// </summary>
    private void Reserve(int templates)
    {
        long rows = (long)_matrix.Count + templates;
        if (rows > _matrix.MaxRows)
            throw new GalleryCapacityException(
                $"the gallery holds {_matrix.Count} templates of {Dim} dimensions and cannot take {templates} more (at most {_matrix.MaxRows})");
        // Each template may be a new identity; free slots are reused first.
        bool growSlots = _slotHigh + Math.Max(0, templates - _freeSlots.Count) > _slots.Length;
        if (rows <= _matrix.Capacity && !growSlots)
            return;
        _lock.EnterWriteLock();
        try
        {
            _matrix.Reserve((int)rows);
            if (growSlots)
                GrowSlots(_slotHigh + templates);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void GrowSlots(int needed)
    {
        int length = (int)Math.Clamp(Math.Max(2L * _slots.Length, 16), needed, Array.MaxLength);
        Array.Resize(ref _slots, length);
        Array.Resize(ref _slotOrdinal, length);
    }

    /// <summary>
    /// Applies one record payload to memory: the single path for live writes (after the record is durable) and
    /// for replay on open. Throws <see cref="InvalidDataException"/> for contents this library never writes.
    /// Returns the templates enrolled, or removed.
    /// </summary>
    private int ApplyRecord(ReadOnlySpan<byte> payload, Span<int> held)
    {
        switch (payload[0])
        {
            case GalleryFile.TypeEnroll:
            {
                if (payload.Length < 5)
                    throw new InvalidDataException("ENROLL record is too short to hold its count");
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload[1..]);
                if (count == 0)
                    throw new InvalidDataException("ENROLL record holds 0 templates");
                int vectorBytes = _matrix.VectorBytes, pos = 5;
                for (uint i = 0; i < count; i++)
                {
                    if (pos >= payload.Length)
                        throw new InvalidDataException($"ENROLL record ends inside template {i} of {count}");
                    int idLength = payload[pos++];
                    if (payload.Length - pos < idLength + vectorBytes)
                        throw new InvalidDataException($"ENROLL record ends inside template {i} of {count}");
                    string id = DecodeId(payload.Slice(pos, idLength));
                    pos += idLength;
                    int templates = AddTemplate(id, payload.Slice(pos, vectorBytes));
                    pos += vectorBytes;
                    if (!held.IsEmpty)
                        held[(int)i] = templates;
                }
                if (pos != payload.Length)
                    throw new InvalidDataException($"ENROLL record has {payload.Length - pos} bytes after its last template");
                return (int)count;
            }
            case GalleryFile.TypeRemove:
            {
                int idLength = payload[1];
                if (payload.Length != 2 + idLength)
                    throw new InvalidDataException($"REMOVE record of {payload.Length} bytes does not match its id length {idLength}");
                string id = DecodeId(payload[2..]);
                if (!_byId.TryGetValue(id, out Identity? identity))
                    throw new InvalidDataException($"REMOVE of identity \"{id}\", which holds no template at that point");
                return RemoveIdentity(identity);
            }
            default:
                throw new InvalidDataException($"unknown record type {payload[0]}");
        }
    }

    private int AddTemplate(string id, ReadOnlySpan<byte> vector)
    {
        bool added = false;
        if (!_byId.TryGetValue(id, out Identity? identity))
        {
            int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NextSlot();
            identity = new Identity(id, _nextOrdinal++, slot);
            added = true;
        }
        int row = _matrix.Append(vector, identity.Slot);
        if (row < 0)
        {
            if (added)
                _freeSlots.Push(identity.Slot);
            throw new InvalidDataException($"template of \"{id}\" is not a stored unit vector");
        }
        if (added)
        {
            _byId.Add(id, identity);
            _slots[identity.Slot] = identity;
            _slotOrdinal[identity.Slot] = identity.Ordinal;
        }
        identity.AddRow(row);
        return identity.Count;
    }

    private int NextSlot()
    {
        if (_slotHigh == _slots.Length)
            GrowSlots(_slotHigh + 1);
        return _slotHigh++;
    }

    /// <summary>Drops every row of <paramref name="identity"/> by moving the matrix's last row into each hole.</summary>
    private int RemoveIdentity(Identity identity)
    {
        Span<int> rows = identity.Rows.AsSpan(0, identity.Count);
        rows.Sort();
        // Descending: every row of this identity above r is already gone, so the last row is r itself or another
        // identity's, which moves down into r.
        for (int i = rows.Length - 1; i >= 0; i--)
        {
            int r = rows[i], last = _matrix.Count - 1;
            if (r != last)
            {
                _slots[_matrix.SlotOf(last)]!.ReplaceRow(last, r);
                _matrix.Move(last, r);
            }
            _matrix.RemoveLast();
        }
        _byId.Remove(identity.Id);
        _slots[identity.Slot] = null;
        _freeSlots.Push(identity.Slot);
        _deadInFile += identity.Count;
        return identity.Count;
    }

    /// <summary>Writes every live template, identities in enrollment order, as ENROLL records of about 1 MiB.</summary>
    private void WriteLiveRecords(GalleryFile.Sink sink)
    {
        Identity[] order = [.. _byId.Values.OrderBy(i => i.Ordinal)];
        int vectorBytes = _matrix.VectorBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CompactRecordBytes + GalleryFile.RecordHeaderSize + 5 + 1 + MaxIdBytes + vectorBytes);
        try
        {
            int pos = GalleryFile.RecordHeaderSize + 5, count = 0;
            void Flush()
            {
                buffer[GalleryFile.RecordHeaderSize] = GalleryFile.TypeEnroll;
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(GalleryFile.RecordHeaderSize + 1), (uint)count);
                GalleryFile.Seal(buffer.AsSpan(0, pos));
                sink.Write(buffer.AsSpan(0, pos));
                pos = GalleryFile.RecordHeaderSize + 5;
                count = 0;
            }
            foreach (Identity identity in order)
            {
                for (int t = 0; t < identity.Count; t++)
                {
                    int length = Encoding.UTF8.GetBytes(identity.Id, buffer.AsSpan(pos + 1));
                    buffer[pos] = (byte)length;
                    pos += 1 + length;
                    _matrix.VectorOf(identity.Rows[t]).CopyTo(buffer.AsSpan(pos));
                    pos += vectorBytes;
                    count++;
                    if (pos >= CompactRecordBytes)
                        Flush();
                }
            }
            if (count > 0)
                Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // ------------------------------------------------------------------------------------------------ ids

    /// <summary>
    /// Checks an id (1..63 bytes of UTF-8, no NUL, encodable) and returns its UTF-8 length. <paramref name="index"/>
    /// &gt;= 0 names an element of a batch.
    /// </summary>
    internal static int CheckId(string? id, string name, int index)
    {
        string label = index < 0 ? name : $"{name}[{index}]";
        if (id is null)
            throw new ArgumentNullException(name, $"{label} is null");
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(id);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"{label} \"{Printable(id)}\" holds a lone UTF-16 surrogate and has no UTF-8 form", name);
        }
        if (bytes < 1 || bytes > MaxIdBytes)
            throw new ArgumentException($"{label} \"{Printable(id)}\" is {bytes} bytes of UTF-8; an id is 1..{MaxIdBytes} bytes", name);
        int nul = id.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
            throw new ArgumentException($"{label} \"{Printable(id)}\" contains NUL at index {nul}", name);
        return bytes;
    }

    private static string DecodeId(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length < 1 || utf8.Length > MaxIdBytes || utf8.Contains((byte)0))
            throw new InvalidDataException($"id of {utf8.Length} bytes is empty, too long or holds NUL");
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"id of {utf8.Length} bytes is not valid UTF-8");
        }
    }

    /// <summary>Control characters escaped, so a message shows where a NUL or newline is.</summary>
    private static string Printable(string id)
    {
        if (!id.AsSpan().ContainsAnyInRange('\0', '\x1f'))
            return id;
        var sb = new StringBuilder(id.Length + 8);
        foreach (char c in id)
            sb.Append(c < ' ' ? $"\\x{(int)c:x2}" : c.ToString());
        return sb.ToString();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// Refuses a change to a read-only gallery, first thing: whatever the arguments, nothing is checked, encoded or
    /// locked, so memory and file stay exactly as they were.
    /// </summary>
    private void ThrowIfReadOnly(string member)
    {
        if (_readOnly)
            throw new InvalidOperationException($"the gallery {_path} was opened read-only: {member} is refused");
    }

    /// <summary>An enrolled identity: its rows in the matrix and its enrollment ordinal.</summary>
    private sealed class Identity(string id, long ordinal, int slot)
    {
        public readonly string Id = id;
        public readonly long Ordinal = ordinal;
        public readonly int Slot = slot;
        public int[] Rows = new int[1];
        public int Count;

        public void AddRow(int row)
        {
            if (Count == Rows.Length)
                Array.Resize(ref Rows, 2 * Count);
            Rows[Count++] = row;
        }

        public void ReplaceRow(int from, int to) => Rows[Array.IndexOf(Rows, from, 0, Count)] = to;
    }
}

/// <summary>Internal knobs (tests force kernels, parallelism and compaction thresholds through these).</summary>
internal sealed record GalleryTuning
{
    public static readonly GalleryTuning Default = new();

    /// <summary>Template bytes times queries a call must scan before it splits the work over cores.</summary>
    public long ParallelMinBytes { get; init; } = 4L << 20;

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Rows per block: a block of rows is scored against every query of a group while it sits in L1/L2.</summary>
    public int BlockBytes { get; init; } = 32 << 10;

    /// <summary>k up to this uses the streaming heap; above it, all scores then one selection per query.</summary>
    public int StreamingMaxK { get; init; } = 64;

    public int AutoCompactMinDead { get; init; } = 1024;

    public F32Kernel F32Kernel { get; init; } = DotKernels.BestF32;

    public I8Kernel I8Kernel { get; init; } = DotKernels.BestI8;
}
