using LiteDB;

namespace Kb4Collector.Storage;

/// <summary>
/// The daemon's single LiteDB file. Features use its collections directly (no repository layer);
/// each feature names its own collections and document types.
/// </summary>
public sealed class CollectorDatabase : IDisposable
{
    public const string FileName = "kb4collector.db";

    private CollectorDatabase(LiteDatabase database, string description)
    {
        // Dates come back as UTC, not converted to the machine's local time.
        database.UtcDate = true;
        Database = database;
        int? version;
        try
        {
            version = DatabaseSchema.Check(database, description);
        }
        catch (DatabaseSchemaException)
        {
            database.Dispose();
            throw;
        }
        foreach (var name in s_collections.Where(name => !database.CollectionExists(name)))
        {
            // LiteDB has no "create collection": an insert of nothing creates it without a document.
            database.GetCollection(name).Insert(Array.Empty<BsonDocument>());
        }
        database.GetCollection(Collection.SeenChunkDocument.Collection).EnsureIndex(nameof(Collection.SeenChunkDocument.SourceId));
        DatabaseSchema.Migrate(database, version);
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

    /// <summary>
    /// Opens (or creates) the database file in <paramref name="dataDirectory"/>, migrating an older file in place.
    /// </summary>
    /// <exception cref="DatabaseSchemaException">The file was written by a newer kb4collector.</exception>
    public static CollectorDatabase Open(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var connection = new ConnectionString
        {
            Filename = Path.Combine(dataDirectory, FileName),
            Connection = ConnectionType.Direct,
        };
        return new CollectorDatabase(new LiteDatabase(connection), connection.Filename);
    }

    /// <summary>An in-memory database, for the CLI's one-shot commands and for tests that do not need a file.</summary>
    public static CollectorDatabase InMemory() => new(new LiteDatabase(new MemoryStream()), "the in-memory database");

    public void Dispose() => Database.Dispose();
}
