using LiteDB;

namespace Kb4Collector.Storage;

/// <summary>
/// The daemon's single LiteDB file. Features use its collections directly (no repository layer);
/// each feature names its own collections and document types.
/// </summary>
public sealed class CollectorDatabase : IDisposable
{
    public const string FileName = "kb4collector.db";

    /// <summary>Held (exclusively) while the database is open, so a second daemon on the same folder stops at once with a clear reason.</summary>
    public const string LockFileName = "kb4collector.lock";

    private readonly FileStream? _lock;

    private CollectorDatabase(LiteDatabase database, FileStream? lockFile = null)
    {
        _lock = lockFile;
        // Dates come back as UTC, not converted to the machine's local time.
        database.UtcDate = true;
        Database = database;
        foreach (var name in s_collections.Where(name => !database.CollectionExists(name)))
        {
            // LiteDB has no "create collection": an insert of nothing creates it without a document.
            database.GetCollection(name).Insert(Array.Empty<BsonDocument>());
        }
        database.GetCollection(Collection.SeenChunkDocument.Collection).EnsureIndex(nameof(Collection.SeenChunkDocument.SourceId));
    }

    public LiteDatabase Database { get; }

    /// <summary>
    /// Every collection of the file. They are created when the file is opened: LiteDB 5 can fail a read that races
    /// with the creation of its collection ("page type must be collection page", litedb-org/LiteDB#2792) and then
    /// closes the whole database, so no collection may be created first while sources already run.
    /// </summary>
    private static readonly string[] s_collections =
    [
        Collection.CheckpointDocument.Collection,
        Collection.SeenChunkDocument.Collection,
        Lifecycle.SourceSupervisor.StatesCollectionName,
        Health.HealthEventStore.CollectionName,
        Quota.CallLedger.DaysCollection,
        Quota.CallLedger.HistoryCollection,
        Quota.NotBeforeStore.CollectionName,
        Delivery.DeadLetterStore.CollectionName,
    ];

    /// <summary>Opens (or creates) the database file in <paramref name="dataDirectory"/>, taking the folder's lock first.</summary>
    /// <exception cref="DataDirectoryUnusableException">The folder cannot be created or written.</exception>
    /// <exception cref="DataDirectoryLockedException">Another process has the folder's database open.</exception>
    public static CollectorDatabase Open(string dataDirectory)
    {
        var lockFile = Lock(dataDirectory);
        try
        {
            var connection = new ConnectionString
            {
                Filename = Path.Combine(dataDirectory, FileName),
                Connection = ConnectionType.Direct,
            };
            return new CollectorDatabase(new LiteDatabase(connection), lockFile);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Creates the data directory when missing.</summary>
    /// <exception cref="DataDirectoryUnusableException">It cannot be created (a file in the way, no permission).</exception>
    public static void EnsureDirectory(string dataDirectory)
    {
        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Unusable(dataDirectory, exception);
        }
    }

    private static FileStream Lock(string dataDirectory)
    {
        EnsureDirectory(dataDirectory);

        var path = Path.Combine(dataDirectory, LockFileName);
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Linux: a second opener fails at once.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw Unusable(dataDirectory, exception);
        }
        catch (IOException exception) when (File.Exists(path) && exception is not DirectoryNotFoundException)
        {
            throw new DataDirectoryLockedException(
                $"the data directory {dataDirectory} is in use by another kb4collector (it holds {LockFileName}): stop that one, or give this one its own --data <DIR>", exception);
        }
        catch (IOException exception)
        {
            throw Unusable(dataDirectory, exception);
        }
    }

    private static DataDirectoryUnusableException Unusable(string dataDirectory, Exception exception) => new(
        $"the data directory {dataDirectory} cannot be used ({(exception is UnauthorizedAccessException ? "permission denied" : exception.Message.TrimEnd('.'))}): "
        + "give the service user read and write access to it, or set another one with --data <DIR> (Collector:DataDirectory)",
        exception);

    /// <summary>An in-memory database, for the CLI's one-shot commands and for tests that do not need a file.</summary>
    public static CollectorDatabase InMemory() => new(new LiteDatabase(new MemoryStream()));

    public void Dispose()
    {
        Database.Dispose();
        _lock?.Dispose();
    }
}
