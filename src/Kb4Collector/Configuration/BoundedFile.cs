namespace Kb4Collector.Configuration;

/// <summary>
/// Reads the files a source file points at (itself, <c>file:</c> keys) as untrusted input: only a regular, non-empty
/// file, and never more than a cap of bytes. A pipe or a device reports size 0, so it is refused before it is opened:
/// opening a FIFO would block until a writer comes, and <c>/dev/zero</c> never ends.
/// </summary>
internal static class BoundedFile
{
    /// <exception cref="IOException">Not a regular file, empty, larger than <paramref name="maxBytes"/>, or unreadable; the message says which.</exception>
    public static byte[] Read(string path, int maxBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException("it does not exist", path);
        }
        if (info.Length == 0)
        {
            throw new IOException("it is empty, or not a regular file (a pipe, socket or device is never read)");
        }
        if (info.Length > maxBytes)
        {
            throw new IOException(Describe(maxBytes));
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        // The size was only a hint: read at most one byte beyond the cap, whatever the file does meanwhile.
        var buffer = new byte[(int)info.Length + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }
        if (total > maxBytes || total > info.Length)
        {
            throw new IOException(total > maxBytes ? Describe(maxBytes) : "it grew while it was read; try again");
        }
        return buffer.AsSpan(0, total).ToArray();
    }

    private static string Describe(int maxBytes) =>
        maxBytes >= 1024 * 1024 ? $"it is larger than {maxBytes / (1024 * 1024)} MiB" : $"it is larger than {maxBytes / 1024} KiB; it should hold just the key";
}
