using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Collection;

/// <summary>What one accepted batch changes: the ids it delivered (per day) and the cursor after it.</summary>
internal sealed record BatchEffects(IReadOnlyList<SeenChunkDocument> Chunks, BsonDocument Cursor, int Events);

/// <summary>
/// The only owner of the collection engine's documents: each source's cursor (<c>checkpoints</c>) and the ids it
/// delivered per day (<c>seen_ids</c>). An accepted batch's effects are written in one transaction.
/// </summary>
internal sealed class CheckpointStore(CollectorDatabase database)
{
    private readonly LiteDatabase _database = database.Database;
    private readonly ILiteCollection<CheckpointDocument> _checkpoints = database.Database.GetCollection<CheckpointDocument>(CheckpointDocument.Collection);
    private readonly ILiteCollection<BsonDocument> _cursors = database.Database.GetCollection(CheckpointDocument.Collection);
    private readonly ILiteCollection<SeenChunkDocument> _seen = database.Database.GetCollection<SeenChunkDocument>(SeenChunkDocument.Collection);

    /// <summary>Runs before each batch commit; tests throw from it to stand for a full disk.</summary>
    internal Action? BeforeCommit { get; set; }

    public CheckpointDocument? Find(string sourceId) => _checkpoints.FindById(sourceId);

    public BsonDocument ToDocument(CheckpointDocument checkpoint) => _database.Mapper.ToDocument(checkpoint);

    public CheckpointDocument FromDocument(BsonDocument cursor) => _database.Mapper.ToObject<CheckpointDocument>(cursor);

    /// <summary>Adds the ids this source delivered on <paramref name="day"/> to <paramref name="into"/>.</summary>
    public void LoadSeen(string sourceId, DateOnly day, HashSet<Guid> into)
    {
        var dayTime = ToDateTime(day);
        foreach (var chunk in _seen.Find(chunk => chunk.SourceId == sourceId && chunk.Day == dayTime))
        {
            EventKey.Unpack(chunk.Keys, into);
        }
    }

    /// <summary>
    /// Writes batches' effects in one transaction. LiteDB transactions belong to a thread: call it from one. Writing the
    /// same batches again changes nothing (their chunks carry their ids): a commit reported failed may have landed.
    /// </summary>
    public void Commit(IReadOnlyList<BatchEffects> batches)
    {
        BeforeCommit?.Invoke();
        _database.BeginTrans();
        try
        {
            foreach (var batch in batches)
            {
                if (batch.Chunks.Count > 0)
                {
                    _seen.Upsert(batch.Chunks);
                }
            }
            _cursors.Upsert(batches[^1].Cursor);
            _database.Commit();
        }
        catch
        {
            _database.Rollback();
            throw;
        }
    }

    public void DeleteDay(string sourceId, DateOnly day)
    {
        var dayTime = ToDateTime(day);
        _seen.DeleteMany(chunk => chunk.SourceId == sourceId && chunk.Day == dayTime);
    }

    /// <summary>Forgets a source's cursor and seen ids (the source was removed, or its stored cursor belongs to another host).</summary>
    public void Delete(string sourceId)
    {
        _seen.DeleteMany(chunk => chunk.SourceId == sourceId);
        _checkpoints.Delete(sourceId);
    }

    /// <summary>A renamed source keeps its cursor and seen ids under its new id.</summary>
    public bool Move(string fromSourceId, string toSourceId)
    {
        var cursor = _cursors.FindById(fromSourceId);
        if (cursor is null)
        {
            return false;
        }
        _database.BeginTrans();
        try
        {
            cursor["_id"] = toSourceId;
            _checkpoints.Delete(toSourceId);
            _seen.DeleteMany(chunk => chunk.SourceId == toSourceId);
            _cursors.Insert(cursor);
            _checkpoints.Delete(fromSourceId);
            var chunks = _seen.Find(chunk => chunk.SourceId == fromSourceId).ToList();
            foreach (var chunk in chunks)
            {
                chunk.SourceId = toSourceId;
            }
            _seen.Update(chunks);
            _database.Commit();
            return true;
        }
        catch
        {
            _database.Rollback();
            throw;
        }
    }

    /// <summary>
    /// A source with no cursor of its own takes over the one cursor of the same host and key that no configured source
    /// owns: it was renamed while the daemon was down. Returns the id it came from, or null.
    /// </summary>
    public string? AdoptRenamed(string sourceId, string queryFingerprint, string keyFingerprint, IReadOnlySet<string> configuredIds)
    {
        if (_checkpoints.FindById(sourceId) is not null || string.IsNullOrEmpty(keyFingerprint))
        {
            return null;
        }
        var orphans = _checkpoints
            .Find(checkpoint => checkpoint.QueryFingerprint == queryFingerprint && checkpoint.KeyFingerprint == keyFingerprint)
            .Where(checkpoint => !configuredIds.Contains(checkpoint.SourceId))
            .Select(checkpoint => checkpoint.SourceId)
            .ToList();
        return orphans.Count == 1 && Move(orphans[0], sourceId) ? orphans[0] : null;
    }

    public static DateTime ToDateTime(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
}
