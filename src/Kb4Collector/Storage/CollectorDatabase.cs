using LiteDB;
using LiteDB.Engine;

namespace Kb4Collector.Storage;

/// <summary>
/// The daemon's single LiteDB file. Features use its collections directly (no repository layer);
/// each feature names its own collections and document types.
/// </summary>
public sealed class CollectorDatabase : IDisposable
{
    public const string FileName = "kb4collector.db";

    /// <summary>Written beside the database at first start: from then on a missing database is a loss, not a first start.</summary>
    public const string MarkerFileName = "kb4collector.initialized";

    private volatile string? _problem;
    private readonly IDisposable? _ownedStreams;

    private CollectorDatabase(LiteDatabase database, string description, string? problem = null, IDisposable? ownedStreams = null)
    {
        _ownedStreams = ownedStreams;
        // Dates come back as UTC, not converted to the machine's local time.
        database.UtcDate = true;
        Database = database;
        _problem = problem;
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
        database.GetCollection(Reporting.ReportingRecordDocument.Collection).EnsureIndex(nameof(Reporting.ReportingRecordDocument.Owner));
        DatabaseSchema.Migrate(database, version);
    }

    public LiteDatabase Database { get; }

    /// <summary>
    /// Why this database must not be collected on (it could not be opened safely, or failed while running); null while
    /// it is sound. A database with a problem is an empty in-memory stand-in: nothing read from it is the real state.
    /// </summary>
    public string? Problem => _problem;

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
        Reporting.ReportingRecordDocument.Collection,
        Reporting.ReportingTestDocument.Collection,
        Reporting.ReportingCheckpointDocument.Collection,
        Reporting.ReportingGate.CollectionName,
    ];

    /// <summary>
    /// Opens the database file in <paramref name="dataDirectory"/>, or creates it on the directory's first start.
    /// Never starts over silently: a database missing from a directory that has run before, an empty file or one
    /// that cannot be read through throws <see cref="StorageUnavailableException"/> naming the recovery command.
    /// </summary>
    public static CollectorDatabase Open(string dataDirectory)
    {
        CreateDataDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        var marker = Path.Combine(dataDirectory, MarkerFileName);
        var shown = Configuration.Text.Escape(Path.GetFullPath(path));
        var recovery = $"see 'kb4collector storage check --data {Configuration.Text.Escape(Path.GetFullPath(dataDirectory))}' (README, Storage and recovery)";
        var info = new FileInfo(path);
        if (!info.Exists && File.Exists(marker))
        {
            throw new StorageUnavailableException($"the database {shown} is missing, but this data directory has run before: collecting again would re-send every event; {recovery}");
        }
        if (info.Exists && info.Length == 0 && File.Exists(marker))
        {
            throw new StorageUnavailableException($"the database {shown} is empty (0 bytes): collecting again would re-send every event; {recovery}");
        }
        if (!File.Exists(path))
        {
            CreateOwnerOnly(path);
        }
        RestrictToOwner(path);

        LiteDatabase? database = null;
        try
        {
            database = new LiteDatabase(new RecoveringEngine(() => new LiteEngine(new EngineSettings { Filename = path })), mapper: null, disposeOnClose: true);
            // LiteDB's write-ahead log holds the same data; it is created with the process umask (UMask=0077 covers a later one).
            var log = Path.Combine(dataDirectory, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName));
            if (File.Exists(log))
            {
                RestrictToOwner(log);
            }
            ReadThrough(database);
            var opened = new CollectorDatabase(database, path);
            if (!File.Exists(marker))
            {
                File.WriteAllText(marker, "This data directory holds a kb4collector database; see the README, Storage and recovery.\n");
            }
            return opened;
        }
        catch (Exception error) when (error is not StorageUnavailableException and not DatabaseSchemaException and not OutOfMemoryException)
        {
            // A damaged page surfaces as whatever LiteDB's reader trips on (LiteException, InvalidCastException, ...).
            DisposeQuietly(database);
            throw new StorageUnavailableException($"the database {shown} is damaged ({error.GetType().Name}: {error.Message}); {recovery}", error);
        }
    }

    /// <summary>
    /// Opens the same file through streams passed through <paramref name="wrapFile"/> (data file, then its
    /// <c>-log</c> file): the seam where tests make storage fail like a full disk. As with the file itself, an engine
    /// whose write failed is opened again (on new streams) at the next call.
    /// </summary>
    public static CollectorDatabase Open(string dataDirectory, Func<Stream, Stream> wrapFile)
    {
        ArgumentNullException.ThrowIfNull(wrapFile);
        CreateDataDirectory(dataDirectory);
        var dataPath = Path.Combine(dataDirectory, FileName);
        var logPath = Path.Combine(dataDirectory, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName));
        var streams = new OwnedStreams();
        var engine = new RecoveringEngine(() =>
        {
            streams.Dispose();
            streams.Data = OpenFile(dataPath);
            streams.Log = OpenFile(logPath);
            return new LiteEngine(new EngineSettings { DataStream = wrapFile(streams.Data), LogStream = wrapFile(streams.Log) });
        });
        return new CollectorDatabase(new LiteDatabase(engine, mapper: null, disposeOnClose: true), dataPath, null, streams);

        static FileStream OpenFile(string path) => new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    /// <summary>An in-memory database, for the CLI's one-shot commands and for tests that do not need a file.</summary>
    public static CollectorDatabase InMemory() => new(new LiteDatabase(new MemoryStream()), "the in-memory database");

    /// <summary>
    /// A stand-in for a database that could not be opened: empty, in memory, carrying <paramref name="problem"/> so the
    /// daemon can stay up, report it and refuse to collect.
    /// </summary>
    public static CollectorDatabase Unavailable(string problem)
    {
        ArgumentException.ThrowIfNullOrEmpty(problem);
        return new(new LiteDatabase(new MemoryStream()), "the in-memory stand-in", problem);
    }

    /// <summary>Records that the file failed while running; true for the first report (whose reason is kept).</summary>
    public bool ReportFailure(string reason) => Interlocked.CompareExchange(ref _problem, reason, null) is null;

    /// <summary>
    /// Reads every document of every collection, which walks each collection's index and data pages: what a damaged
    /// page would break later, mid-collection, breaks here instead.
    /// </summary>
    public static void ReadThrough(LiteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        foreach (var name in database.GetCollectionNames().ToList())
        {
            // Enumerating deserialises each document; Count() alone would only walk the index.
            _ = database.GetCollection(name).FindAll().Count();
        }
    }

    public void Dispose()
    {
        try
        {
            Database.Dispose();
        }
        catch (Exception error) when (error is LiteException or IOException or ObjectDisposedException)
        {
            // A failed file cannot checkpoint its log on the way out; the problem was already reported.
        }
        _ownedStreams?.Dispose();
    }

    /// <summary>The file streams of the test seam, replaced each time the engine is opened again.</summary>
    private sealed class OwnedStreams : IDisposable
    {
        public FileStream? Data { get; set; }

        public FileStream? Log { get; set; }

        public void Dispose()
        {
            Data?.Dispose();
            Log?.Dispose();
        }
    }

    /// <summary>Creates the data directory, when missing, readable by its owner only (0700): what is created in it stays private.</summary>
    internal static void CreateDataDirectory(string dataDirectory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dataDirectory);
        }
        else
        {
            Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void CreateOwnerOnly(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var created = new FileStream(path, options);
    }

    private static void RestrictToOwner(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static void DisposeQuietly(LiteDatabase? database)
    {
        try
        {
            database?.Dispose();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // Already failing: the first error is the one reported.
        }
    }
}
