using LiteDB;

namespace Kb4Collector.Storage;

/// <summary>A database file this binary must not read: it was written by a newer kb4collector.</summary>
public sealed class DatabaseSchemaException(string message) : Exception(message);

/// <summary>
/// The schema version of the database file, kept in the <c>meta</c> collection. Opening a file brings an older one up
/// to <see cref="Current"/> in place, step by step, and refuses a newer one before anything in it is touched.
/// </summary>
internal static class DatabaseSchema
{
    /// <summary>Version 1: the first versioned layout. Files of releases before it carry no meta document (version 0).</summary>
    public const int Current = 1;

    public const string MetaCollection = "meta";
    private const string SchemaId = "schema";

    /// <summary>Step <c>i</c> turns a version <c>i</c> file into a version <c>i + 1</c> one.</summary>
    private static readonly Action<LiteDatabase>[] s_steps =
    [
        // 0 → 1: the documents of unversioned files already have the version 1 shape; only the stamp is new.
        static _ => { },
    ];

    /// <summary>The version stored in the file: 0 for a file of a release before versioning, null for a new empty file.</summary>
    public static int? Read(LiteDatabase database)
    {
        var stored = database.CollectionExists(MetaCollection) ? database.GetCollection(MetaCollection).FindById(SchemaId) : null;
        if (stored is not null)
        {
            return stored["version"].AsInt32;
        }
        return database.GetCollectionNames().Any() ? 0 : null;
    }

    /// <summary>
    /// Refuses a file written by a newer binary before anything in it is touched; <paramref name="file"/> names it in
    /// the message. Returns the stored version for <see cref="Migrate"/>.
    /// </summary>
    public static int? Check(LiteDatabase database, string file)
    {
        var version = Read(database);
        if (version > Current)
        {
            var writer = database.GetCollection(MetaCollection).FindById(SchemaId)?["writtenBy"].AsString;
            throw new DatabaseSchemaException(
                $"{file} has schema version {version}{(string.IsNullOrEmpty(writer) ? "" : $" (written by kb4collector {writer})")}; "
                + $"this kb4collector {Admin.AdminVersion.Current} reads schema version {Current} and older. "
                + "Run the newer kb4collector again, or restore the data directory's backup from before the upgrade.");
        }
        return version;
    }

    /// <summary>Brings a file of <paramref name="version"/> (null: a new file) up to <see cref="Current"/> and stamps it.</summary>
    public static void Migrate(LiteDatabase database, int? version)
    {
        if (version == Current)
        {
            return;
        }
        for (var step = version ?? Current; step < Current; step++)
        {
            s_steps[step](database);
        }
        database.GetCollection(MetaCollection).Upsert(new BsonDocument
        {
            ["_id"] = SchemaId,
            ["version"] = Current,
            ["writtenBy"] = Admin.AdminVersion.Current,
            ["migratedFrom"] = version is null ? BsonValue.Null : new BsonValue(version.Value),
        });
    }
}
