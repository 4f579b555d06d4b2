using System.Globalization;

namespace Kb4Collector.Storage;

/// <summary>
/// One owner per data directory: an exclusive lock on <c>kb4collector.lock</c>, held open for the life of the process
/// (the operating system drops it when the process dies, so a crash leaves no stale lock). The owner's pid is written
/// beside it in <c>kb4collector.pid</c> so a second process can name it.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string LockFileName = "kb4collector.lock";
    public const string PidFileName = "kb4collector.pid";

    private readonly FileStream _lock;

    private DataDirectoryLock(FileStream lockStream, string directory)
    {
        _lock = lockStream;
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>Takes the lock, or throws <see cref="StorageUnavailableException"/> naming the directory and the holder's pid.</summary>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var directory = Path.GetFullPath(dataDirectory);
        CollectorDatabase.CreateDataDirectory(directory);
        var lockPath = Path.Combine(directory, LockFileName);
        FileStream stream;
        try
        {
            // FileShare.None takes an exclusive flock on Unix and a sharing lock on Windows: a second opener fails at once.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            stream = new FileStream(lockPath, options);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException && !IsHeldByAnother(error))
        {
            // A read-only file system, a full disk or missing permissions: not another owner (that message would mislead).
            throw new StorageUnavailableException(
                $"the data directory {Configuration.Text.Escape(directory)} cannot be written ({Configuration.Text.Escape(error.Message)}): the daemon needs it writable; see README, Storage and recovery");
        }
        catch (IOException)
        {
            var holder = ReadHolder(directory);
            throw new StorageUnavailableException(
                $"the data directory {Configuration.Text.Escape(directory)} is in use by another kb4collector process{(holder is null ? "" : " (pid " + holder + ")")}; one daemon or storage command per data directory");
        }
        File.WriteAllText(Path.Combine(directory, PidFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        return new DataDirectoryLock(stream, directory);
    }

    public void Dispose()
    {
        try
        {
            File.Delete(Path.Combine(Directory, PidFileName));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A stale pid file is harmless: it is only read when the lock is held by someone.
        }
        _lock.Dispose();
    }

    /// <summary>
    /// Whether opening the lock file failed because another process holds the lock: .NET reports the flock's EWOULDBLOCK
    /// (11 on Linux, 35 on macOS) or Windows' sharing and lock violations as the exception's HResult.
    /// </summary>
    private static bool IsHeldByAnother(Exception error) => OperatingSystem.IsWindows()
        ? (error.HResult & 0xFFFF) is 32 or 33
        : error.HResult == (OperatingSystem.IsLinux() ? 11 : 35);

    private static string? ReadHolder(string directory)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(directory, PidFileName)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid.ToString(CultureInfo.InvariantCulture) : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
