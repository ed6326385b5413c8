using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace EdgeLoss;

/// <summary>
/// The append-only gallery file (docs/gallery-format.md): a 32-byte header, then records
/// <c>[u32 length][u32 ~length][u32 CRC-32 of payload][payload]</c>. This class knows framing, checksums, the
/// torn-tail rule, durability (fsync before an append returns) and atomic compaction; what a payload means is the
/// gallery's business (it is handed each payload to replay on open). Opened read-only, it never writes: the handle has
/// no write access, a torn tail is left on disk, and every write throws.
/// </summary>
internal sealed class GalleryFile : IDisposable
{
    public const int HeaderSize = 32;
    public const int RecordHeaderSize = 12;
    public const ushort FormatVersion = 1;

    /// <summary>The smallest payload (a REMOVE of a 1-byte id) and the largest one a record may hold.</summary>
    public const int MinPayload = 3, MaxPayload = 1 << 30;

    public const byte TypeEnroll = 1, TypeRemove = 2;

    /// <summary>PNG-style magic: a high byte, a name, CR LF, ^Z and LF catch 7-bit and text-mode transfers.</summary>
    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'E', (byte)'L', (byte)'G', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    /// <summary>Replays one payload; throws <see cref="InvalidDataException"/> when its contents are impossible.</summary>
    public delegate void RecordHandler(ReadOnlySpan<byte> payload);

    private SafeFileHandle _handle;
    private readonly int _dim;
    private readonly EmbeddingStorage _storage;
    private bool _poisoned;

    private GalleryFile(string path, SafeFileHandle handle, int dim, EmbeddingStorage storage, bool readOnly)
    {
        Path = path;
        _handle = handle;
        _dim = dim;
        _storage = storage;
        ReadOnly = readOnly;
    }

    public string Path { get; }

    /// <summary>Whether the file was opened for reading only (then nothing is ever written to it).</summary>
    public bool ReadOnly { get; }

    /// <summary>Bytes of whole records plus the header: where the next record goes.</summary>
    public long Length { get; private set; }

    /// <summary>Bytes cut from the end on open: a torn tail left by a crash (0 when the file was clean or read-only).</summary>
    public long RepairedTailBytes { get; private set; }

    /// <summary>
    /// Bytes at the end that a read-only open did not load and left in place: a torn tail, or a file shorter than its
    /// header (an interrupted creation). 0 when the file was clean or writable (a writable open cuts the tail).
    /// </summary>
    public long IgnoredTailBytes { get; private set; }

    /// <summary>Whether the file was created (or re-initialized after an interrupted creation) by this open.</summary>
    public bool Created { get; private set; }

    private string TempPath => Path + ".compact";

    /// <summary>
    /// Opens (creating if absent) and locks <paramref name="path"/>, checks its header against
    /// <paramref name="dim"/> and <paramref name="storage"/>, replays every whole record through
    /// <paramref name="replay"/> and cuts a torn tail. Nothing is written to a file that turns out to be corrupt or
    /// mismatched. With <paramref name="readOnly"/> the file must exist, is opened without write access under a
    /// shared lock, and a torn tail is only skipped (<see cref="IgnoredTailBytes"/>), not cut.
    /// </summary>
    public static GalleryFile Open(string path, int dim, EmbeddingStorage storage, RecordHandler replay, bool readOnly = false)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("gallery files are little-endian and this platform is not");
        string full = System.IO.Path.GetFullPath(path);
        SafeFileHandle handle;
        try
        {
            // On Unix, FileShare.None takes flock(LOCK_EX | LOCK_NB) and any other FileShare flock(LOCK_SH | LOCK_NB),
            // per open file description, so a second open in this same process conflicts like one from another
            // process. A writer is exclusive; read-only opens share the file with each other but not with a writer.
            // FileAccess.Read is O_RDONLY, which a mode-0444 file and a read-only mount allow. On Windows the same
            // calls take sharing locks with the same effect (a reader's FileShare.Read refuses a writer's open).
            handle = readOnly
                ? File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read)
                : File.OpenHandle(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsLockViolation(e))
        {
            throw new GalleryLockedException(full, e);
        }
        var file = new GalleryFile(full, handle, dim, storage, readOnly);
        try
        {
            file.Load(replay);
            return file;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>EWOULDBLOCK from flock (Linux 11, macOS 35) or a Windows sharing / lock violation.</summary>
    private static bool IsLockViolation(IOException e) =>
        e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    private void Load(RecordHandler replay)
    {
        long fileLength = RandomAccess.GetLength(_handle);
        Span<byte> expected = stackalloc byte[HeaderSize];
        WriteHeader(expected, _dim, _storage);
        if (fileLength < HeaderSize)
        {
            // A new file, or one whose creation was interrupted before its header was complete: that is only an
            // empty file, a prefix of the very header we would write, or zeros. Anything else is not ours.
            Span<byte> present = stackalloc byte[(int)fileLength];
            ReadExactly(present, 0);
            if (!expected[..present.Length].SequenceEqual(present) && present.ContainsAnyExcept((byte)0))
                throw Corrupt(0, $"the file is {fileLength} bytes, shorter than a {HeaderSize}-byte gallery header, and is not an interrupted creation");
            if (ReadOnly)
            {
                // An interrupted creation holds no record: an empty gallery, as a writable open would make it, but
                // the header is not written.
                IgnoredTailBytes = fileLength;
                return;
            }
            RandomAccess.Write(_handle, expected, 0);
            RandomAccess.SetLength(_handle, HeaderSize);
            RandomAccess.FlushToDisk(_handle);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(Path)!);
            Length = HeaderSize;
            Created = true;
            return;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        ReadExactly(header, 0);
        CheckHeader(header);
        if (!ReadOnly)
            TryDelete(TempPath);   // a compaction that crashed before its rename; we hold the lock, so it is stale

        long good = Replay(replay, fileLength);
        if (good < fileLength && ReadOnly)
        {
            // The records before the tail are all whole and checked; the tail stays on disk for the next writable
            // open to cut (or for a person to look at), and is simply not served.
            IgnoredTailBytes = fileLength - good;
        }
        else if (good < fileLength)
        {
            RandomAccess.SetLength(_handle, good);
            RandomAccess.FlushToDisk(_handle);
            RepairedTailBytes = fileLength - good;
        }
        Length = good;
    }

    private void CheckHeader(ReadOnlySpan<byte> header)
    {
        if (!header[..8].SequenceEqual(Magic))
            throw Corrupt(0, "not an EdgeLoss gallery file (bad magic)");
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header[28..]);
        if (Crc32.HashToUInt32(header[..28]) != crc)
            throw Corrupt(0, "header checksum mismatch");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        if (version != FormatVersion)
            throw Corrupt(8, $"format version {version} is not supported (this library reads version {FormatVersion})");
        ushort storage = BinaryPrimitives.ReadUInt16LittleEndian(header[10..]);
        uint dim = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (storage > 1 || dim < 1 || dim > EmbeddingGallery.MaxDim)
            throw Corrupt(10, $"header holds impossible storage {storage} or dim {dim}");
        if (dim != _dim || storage != (int)_storage)
            throw new ArgumentException(
                $"gallery file '{Path}' holds dim {dim} and storage {(EmbeddingStorage)storage}, but dim {_dim} and storage {_storage} were requested");
    }

    /// <summary>Replays whole records and returns where the good part of the file ends.</summary>
    private long Replay(RecordHandler replay, long fileLength)
    {
        var reader = new Reader(this, fileLength);
        try
        {
            long p = HeaderSize;
            while (p < fileLength)
            {
                long remaining = fileLength - p;
                if (remaining < RecordHeaderSize)
                    break;                                                     // torn: incomplete record header
                ReadOnlySpan<byte> h = reader.Get(p, RecordHeaderSize);
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(h);
                uint check = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
                uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
                if (length != ~check)
                {
                    if (reader.AllZero(p))
                        break;                                                 // torn: a zero-filled extension
                    throw Corrupt(p, $"record header check failed (length {length}, check 0x{check:X8})");
                }
                if (length < MinPayload || length > MaxPayload)
                    throw Corrupt(p, $"impossible record length {length}");
                if (remaining < RecordHeaderSize + length)
                    break;                                                     // torn: incomplete record
                ReadOnlySpan<byte> payload = reader.Get(p + RecordHeaderSize, (int)length);
                if (Crc32.HashToUInt32(payload) != crc)
                {
                    if (p + RecordHeaderSize + length == fileLength)
                        break;                                                 // torn: the last record's checksum fails
                    throw Corrupt(p, "record checksum mismatch, and more records follow it");
                }
                try
                {
                    replay(payload);
                }
                catch (InvalidDataException e)
                {
                    throw Corrupt(p, e.Message);
                }
                p += RecordHeaderSize + length;
            }
            return p;
        }
        finally
        {
            reader.Dispose();
        }
    }

    /// <summary>
    /// Appends one sealed record (<see cref="Seal"/>) and flushes it to the device before returning. When the write
    /// or the flush fails the file is cut back to its previous length; if even that fails, the file refuses every
    /// later append (reopen it: the replay decides what survived).
    /// </summary>
    public void Append(ReadOnlySpan<byte> record)
    {
        ThrowIfReadOnly();
        ThrowIfPoisoned();
        try
        {
            RandomAccess.Write(_handle, record, Length);
            RandomAccess.FlushToDisk(_handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                RandomAccess.SetLength(_handle, Length);
                RandomAccess.FlushToDisk(_handle);
            }
            catch (Exception undo) when (undo is IOException or UnauthorizedAccessException)
            {
                _poisoned = true;
            }
            throw new IOException($"writing to gallery file '{Path}' failed, nothing was changed: {e.Message}", e);
        }
        Length += record.Length;
    }

    /// <summary>The gallery refuses writes to a read-only file before it gets here; this keeps the promise regardless.</summary>
    private void ThrowIfReadOnly()
    {
        if (ReadOnly)
            throw new InvalidOperationException($"gallery file '{Path}' was opened read-only and is never written");
    }

    public void ThrowIfPoisoned()
    {
        if (_poisoned)
            throw new IOException($"gallery file '{Path}' refuses writes after an I/O failure it could not undo; reopen it");
    }

    /// <summary>
    /// Compaction: writes a new file (header + what <paramref name="writeRecords"/> appends) next to this one,
    /// flushes it, renames it over this file and flushes the directory. A crash at any point leaves either the old
    /// or the new file, both complete. The new file is locked before it is renamed into place, so there is no
    /// moment at which the path is unlocked.
    /// </summary>
    public void Rewrite(Action<Sink> writeRecords)
    {
        ThrowIfReadOnly();
        ThrowIfPoisoned();
        string temp = TempPath;
        SafeFileHandle next = File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        long length;
        try
        {
            var sink = new Sink(next);
            Span<byte> header = stackalloc byte[HeaderSize];
            WriteHeader(header, _dim, _storage);
            sink.Write(header);
            writeRecords(sink);
            length = sink.Length;
            RandomAccess.FlushToDisk(next);
            File.Move(temp, Path, overwrite: true);          // rename(2): atomic replacement
        }
        catch
        {
            next.Dispose();
            TryDelete(temp);
            throw;
        }
        SafeFileHandle old = _handle;
        _handle = next;
        Length = length;
        old.Dispose();
        try
        {
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(Path)!);
        }
        catch (IOException)
        {
            _poisoned = true;   // the rename may not be durable: appending to the new file could be lost with it
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Writes records of a file being rebuilt, in order.</summary>
    internal sealed class Sink(SafeFileHandle handle)
    {
        public long Length { get; private set; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            RandomAccess.Write(handle, bytes, Length);
            Length += bytes.Length;
        }
    }

    /// <summary>The 32-byte header for <paramref name="dim"/> and <paramref name="storage"/>.</summary>
    public static void WriteHeader(Span<byte> header, int dim, EmbeddingStorage storage)
    {
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[10..], (ushort)storage);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)dim);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], Crc32.HashToUInt32(header[..28]));
    }

    /// <summary>
    /// Fills the 12-byte record header of <paramref name="record"/>, whose payload is everything after it.
    /// </summary>
    public static void Seal(Span<byte> record)
    {
        ReadOnlySpan<byte> payload = record[RecordHeaderSize..];
        uint length = (uint)payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(record, length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], ~length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], Crc32.HashToUInt32(payload));
    }

    private GalleryCorruptException Corrupt(long offset, string problem) => new(Path, offset, problem);

    private void ReadExactly(Span<byte> buffer, long offset)
    {
        while (!buffer.IsEmpty)
        {
            int n = RandomAccess.Read(_handle, buffer, offset);
            if (n <= 0)
                throw new IOException($"gallery file '{Path}' ended early at byte {offset}");
            buffer = buffer[n..];
            offset += n;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Sequential reads through a pooled buffer (1 MiB, or one record when larger).</summary>
    private struct Reader(GalleryFile file, long fileLength) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        private long _start;
        private int _count;

        public ReadOnlySpan<byte> Get(long offset, int count)
        {
            if (offset < _start || offset + count > _start + _count)
            {
                if (count > _buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = ArrayPool<byte>.Shared.Rent(count);
                }
                int n = (int)Math.Min(_buffer.Length, fileLength - offset);
                file.ReadExactly(_buffer.AsSpan(0, n), offset);
                _start = offset;
                _count = n;
            }
            return _buffer.AsSpan((int)(offset - _start), count);
        }

        /// <summary>Whether every byte from <paramref name="offset"/> to the end of the file is zero.</summary>
        public bool AllZero(long offset)
        {
            while (offset < fileLength)
            {
                int n = (int)Math.Min(1 << 20, fileLength - offset);
                if (Get(offset, n).ContainsAnyExcept((byte)0))
                    return false;
                offset += n;
            }
            return true;
        }

        public readonly void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);
    }
}
