using LiteDB;

namespace Kb4Collector.Storage;

/// <summary>
/// The daemon's single LiteDB file. Features use its collections directly (no repository layer);
/// each feature names its own collections and document types.
/// </summary>
public sealed class CollectorDatabase : IDisposable
{
    public const string FileName = "kb4collector.db";

    private readonly Stream[] _ownedStreams;

    private CollectorDatabase(LiteDatabase database, params Stream[] ownedStreams)
    {
        _ownedStreams = ownedStreams;
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

    /// <summary>Opens (or creates) the database file in <paramref name="dataDirectory"/>.</summary>
    public static CollectorDatabase Open(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var connection = new ConnectionString
        {
            Filename = Path.Combine(dataDirectory, FileName),
            Connection = ConnectionType.Direct,
        };
        return new CollectorDatabase(new LiteDatabase(connection));
    }

    /// <summary>
    /// Opens the same file through streams passed through <paramref name="wrapFile"/> (data file, then its
    /// <c>-log</c> file): the seam where tests make storage fail like a full disk. LiteDB 5 stops on the first failed
    /// write; the instance then refuses every later write until it is opened again.
    /// </summary>
    public static CollectorDatabase Open(string dataDirectory, Func<Stream, Stream> wrapFile)
    {
        ArgumentNullException.ThrowIfNull(wrapFile);
        Directory.CreateDirectory(dataDirectory);
        var data = OpenFile(Path.Combine(dataDirectory, FileName));
        var log = OpenFile(Path.Combine(dataDirectory, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName)));
        return new CollectorDatabase(new LiteDatabase(wrapFile(data), mapper: null, logStream: wrapFile(log)), data, log);

        static FileStream OpenFile(string path) => new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    /// <summary>An in-memory database, for the CLI's one-shot commands and for tests that do not need a file.</summary>
    public static CollectorDatabase InMemory() => new(new LiteDatabase(new MemoryStream()));

    public void Dispose()
    {
        Database.Dispose();
        foreach (var stream in _ownedStreams)
        {
            stream.Dispose();
        }
    }
}
