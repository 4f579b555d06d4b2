using System.Buffers;

namespace Kb4Collector.Delivery;

/// <summary>A growable byte buffer on an <see cref="ArrayPool{T}"/>: request bodies are built and compressed without per-batch garbage.</summary>
internal sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    // Not ArrayPool.Shared: it keeps one buffer of each size per thread that returned one, and a batch is returned on
    // whichever pool thread its delivery resumed on, so the shared pool came to hold a megabyte or more per thread
    // (22 MB after a 200,000-event drain). This pool keeps a few of each size, whoever returns them.
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 4 * 1024 * 1024, maxArraysPerBucket: 4);

    private byte[] _buffer;
    private int _written;

    public PooledBuffer(int initialCapacity) => _buffer = Pool.Rent(initialCapacity);

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Reset() => _written = 0;

    /// <summary>Drops everything written after <paramref name="length"/>.</summary>
    public void Truncate(int length) => _written = length;

    public void Write(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        _written += data.Length;
    }

    public void Write(byte value)
    {
        GetSpan(1)[0] = value;
        _written++;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>A write-only stream over this buffer, for <see cref="System.IO.Compression.GZipStream"/>.</summary>
    public Stream AsStream() => new WriterStream(this);

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            Pool.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }
        var grown = Pool.Rent(Math.Max(_buffer.Length * 2, _written + needed));
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            Pool.Return(_buffer);
        }
        _buffer = grown;
    }

    private sealed class WriterStream(PooledBuffer owner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => owner.WrittenCount;

        public override long Position
        {
            get => owner.WrittenCount;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => owner.Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => owner.Write(buffer);

        public override void WriteByte(byte value) => owner.Write(value);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
