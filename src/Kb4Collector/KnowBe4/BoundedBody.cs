namespace Kb4Collector.KnowBe4;

/// <summary>Reads HTTP bodies into memory with a size cap (the banned <c>ReadAsStringAsync</c> has none).</summary>
internal static class BoundedBody
{
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>
    /// Reads the whole body into one array. Returns false (and no body) when it is larger than
    /// <paramref name="maxBytes"/>: by its Content-Length before reading, or as soon as the cap is passed.
    /// </summary>
    public static async Task<(bool WithinCap, ReadOnlyMemory<byte> Body)> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var declaredLength = content.Headers.ContentLength;
        if (declaredLength > maxBytes)
        {
            return (false, default);
        }
        if (declaredLength == 0)
        {
            return (true, ReadOnlyMemory<byte>.Empty);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        // With a Content-Length the buffer is exact: the handler never delivers more than the declared length.
        var buffer = new byte[declaredLength is { } exact ? (int)exact : Math.Min(InitialBufferBytes, maxBytes + 1)];
        var length = 0;
        while (true)
        {
            if (length == declaredLength)
            {
                return (true, buffer.AsMemory(0, length));
            }
            if (length == buffer.Length)
            {
                if (length > maxBytes)
                {
                    return (false, default);
                }
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)maxBytes + 1));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return length > maxBytes ? (false, default) : (true, buffer.AsMemory(0, length));
            }
            length += read;
        }
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> of the body and ignores the rest (for error excerpts).</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadPrefixAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[maxBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }
            length += read;
        }
        return buffer.AsMemory(0, length);
    }
}
