using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Sharding;

/// <summary>A source to move: its id (derived from its name), its name and its API key fingerprint.</summary>
public sealed record BundleSource(string Id, string Name, string KeyFingerprint);

/// <summary>What an import did: the sources it took, the ones that belong to another replica, and the documents written.</summary>
public sealed record BundleImport(IReadOnlyList<BundleSource> Imported, IReadOnlyList<BundleSource> Skipped, int Documents);

/// <summary>A bundle this binary cannot import; the message says which file and why.</summary>
public sealed class CheckpointBundleException(string message) : Exception(message);

/// <summary>
/// Moves sources' state between database files (DESIGN.md §11): every document, in every collection, that belongs to a
/// source (its <c>_id</c> or <c>SourceId</c> is the source id, or its <c>_id</c> ends in <c>:&lt;source id&gt;</c>),
/// and every document of its API key's ledgers (<c>KeyFingerprint</c>, or an <c>_id</c> ending in
/// <c>:&lt;fingerprint&gt;</c>). It knows no document type, so collections the engine adds move with the rest.
/// The bundle is LiteDB's extended JSON (dates, binaries and object ids keep their types) with a schema version.
/// </summary>
public static class CheckpointBundle
{
    public const string Format = "kb4collector-checkpoints";

    public static BsonDocument Export(CollectorDatabase database, IReadOnlyList<BundleSource> sources, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(sources);
        var db = database.Database;
        var sourceArray = new BsonArray();
        foreach (var source in sources)
        {
            sourceArray.Add(new BsonDocument
            {
                ["id"] = source.Id,
                ["name"] = source.Name,
                ["keyFingerprint"] = source.KeyFingerprint,
                ["documents"] = Collect(db, document => BelongsToSource(document, source.Id)),
            });
        }
        var keyArray = new BsonArray();
        foreach (var fingerprint in sources.Select(source => source.KeyFingerprint).Distinct(StringComparer.Ordinal))
        {
            keyArray.Add(new BsonDocument
            {
                ["fingerprint"] = fingerprint,
                ["documents"] = Collect(db, document => BelongsToKey(document, fingerprint)),
            });
        }
        return new BsonDocument
        {
            ["format"] = Format,
            ["schemaVersion"] = DatabaseSchema.Current,
            ["exportedAt"] = now.UtcDateTime,
            ["exportedBy"] = Admin.AdminVersion.Current,
            ["sources"] = sourceArray,
            ["keys"] = keyArray,
        };
    }

    /// <summary>
    /// Replaces, in <paramref name="database"/>, the state of every bundled source that <paramref name="shard"/> owns
    /// (and its key's ledgers) with the bundle's. The others are left out and listed in <see cref="BundleImport.Skipped"/>.
    /// </summary>
    public static BundleImport Import(CollectorDatabase database, BsonDocument bundle, string bundleName, ShardAssignment shard)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(shard);
        Check(bundle, bundleName);
        var db = database.Database;
        var imported = new List<BundleSource>();
        var skipped = new List<BundleSource>();
        var written = 0;
        foreach (var entry in bundle["sources"].AsArray.Select(value => value.AsDocument))
        {
            var source = new BundleSource(entry["id"].AsString, entry["name"].AsString, entry["keyFingerprint"].AsString);
            if (!shard.Owns(source.KeyFingerprint))
            {
                skipped.Add(source);
                continue;
            }
            written += Replace(db, entry["documents"].AsDocument, document => BelongsToSource(document, source.Id));
            imported.Add(source);
        }
        var ownedKeys = imported.Select(source => source.KeyFingerprint).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in bundle["keys"].AsArray.Select(value => value.AsDocument).Where(key => ownedKeys.Contains(key["fingerprint"].AsString)))
        {
            var fingerprint = entry["fingerprint"].AsString;
            written += Replace(db, entry["documents"].AsDocument, document => BelongsToKey(document, fingerprint));
        }
        db.Checkpoint();
        return new BundleImport(imported, skipped, written);
    }

    public static void Write(BsonDocument bundle, string path)
    {
        var temporary = path + ".partial";
        using (var writer = new StreamWriter(temporary))
        {
            JsonSerializer.Serialize(bundle, writer);
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static BsonDocument Read(string path)
    {
        using var reader = new StreamReader(path);
        BsonValue value;
        try
        {
            value = JsonSerializer.Deserialize(reader);
        }
        catch (LiteException invalid)
        {
            throw new CheckpointBundleException($"{path}: not a checkpoint bundle ({invalid.Message})");
        }
        if (!value.IsDocument)
        {
            throw new CheckpointBundleException($"{path}: not a checkpoint bundle (the file is not a JSON object)");
        }
        Check(value.AsDocument, path);
        return value.AsDocument;
    }

    private static void Check(BsonDocument bundle, string bundleName)
    {
        if (bundle["format"] != Format || !bundle["schemaVersion"].IsNumber || !bundle["sources"].IsArray || !bundle["keys"].IsArray)
        {
            throw new CheckpointBundleException($"{bundleName}: not a checkpoint bundle (\"format\" must be \"{Format}\", with \"schemaVersion\", \"sources\" and \"keys\")");
        }
        var version = bundle["schemaVersion"].AsInt32;
        if (version > DatabaseSchema.Current)
        {
            throw new CheckpointBundleException(
                $"{bundleName}: schemaVersion {version} is newer than this kb4collector {Admin.AdminVersion.Current} reads ({DatabaseSchema.Current}); "
                + "import it with a kb4collector at least as new as the one that exported it (exported by " + bundle["exportedBy"].AsString + ")");
        }
        if (version < 1)
        {
            throw new CheckpointBundleException($"{bundleName}: schemaVersion {version} is not a version any kb4collector writes");
        }
    }

    private static BsonDocument Collect(LiteDatabase db, Func<BsonDocument, bool> belongs)
    {
        var collections = new BsonDocument();
        foreach (var name in db.GetCollectionNames().Where(name => name != DatabaseSchema.MetaCollection).Order(StringComparer.Ordinal))
        {
            var documents = new BsonArray(db.GetCollection(name).FindAll().Where(belongs));
            if (documents.Count > 0)
            {
                collections[name] = documents;
            }
        }
        return collections;
    }

    private static int Replace(LiteDatabase db, BsonDocument collections, Func<BsonDocument, bool> belongs)
    {
        var written = 0;
        foreach (var name in db.GetCollectionNames().Where(name => name != DatabaseSchema.MetaCollection).ToList())
        {
            var collection = db.GetCollection(name);
            foreach (var stale in collection.FindAll().Where(belongs).Select(document => document["_id"]).ToList())
            {
                collection.Delete(stale);
            }
        }
        foreach (var (name, documents) in collections)
        {
            var collection = db.GetCollection(name, BsonAutoId.Int64);
            foreach (var document in documents.AsArray.Select(value => value.AsDocument))
            {
                if (document["_id"].IsNumber)
                {
                    // A counter id (health events) is this file's own: take the next one here rather than overwrite.
                    document.Remove("_id");
                    collection.Insert(document);
                }
                else
                {
                    collection.Upsert(document);
                }
                written++;
            }
        }
        return written;
    }

    private static bool BelongsToSource(BsonDocument document, string sourceId) =>
        document["_id"] == sourceId || document["SourceId"] == sourceId || EndsWithScope(document["_id"], sourceId);

    private static bool BelongsToKey(BsonDocument document, string fingerprint) =>
        document["KeyFingerprint"] == fingerprint || EndsWithScope(document["_id"], fingerprint);

    private static bool EndsWithScope(BsonValue id, string name) =>
        id.IsString && id.AsString.Length > name.Length && id.AsString.EndsWith(name, StringComparison.Ordinal) && id.AsString[^(name.Length + 1)] == ':';
}
