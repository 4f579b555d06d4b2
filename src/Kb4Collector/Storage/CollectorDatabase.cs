using LiteDB;

namespace Kb4Collector.Storage;

/// <summary>
/// The daemon's single LiteDB file. Features use its collections directly (no repository layer);
/// each feature names its own collections and document types.
/// </summary>
public sealed class CollectorDatabase : IDisposable
{
    public const string FileName = "kb4collector.db";

    private CollectorDatabase(LiteDatabase database)
    {
        // Dates come back as UTC, not converted to the machine's local time.
        database.UtcDate = true;
        Database = database;
    }

    public LiteDatabase Database { get; }

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

    /// <summary>An in-memory database, for the CLI's one-shot commands and for tests that do not need a file.</summary>
    public static CollectorDatabase InMemory() => new(new LiteDatabase(new MemoryStream()));

    public void Dispose() => Database.Dispose();
}
