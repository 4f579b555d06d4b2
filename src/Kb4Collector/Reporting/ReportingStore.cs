using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Reporting;

/// <summary>The content fingerprint of one Reporting record as last delivered (<c>reporting_records</c>).</summary>
internal sealed class ReportingRecordDocument
{
    public const string Collection = "reporting_records";

    /// <summary><c>{data type id}|{record key}</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The data type's id (<c>{source id}/phishingTests</c>, …).</summary>
    public string Owner { get; set; } = "";

    /// <summary>What the record belongs to, to load a part at a time: the test's <c>pst_id</c>, the snapshot's day; empty otherwise.</summary>
    public string Group { get; set; } = "";

    public string Fingerprint { get; set; } = "";

    /// <summary>
    /// A 32-bit hash of each top-level field's value as last delivered, by field name, to name the fields an update
    /// changed (<c>_kb4.changedFields</c>); null for daily snapshot rows, which are never updated.
    /// </summary>
    public Dictionary<string, int>? Fields { get; set; }

    public static string IdOf(string owner, string key) => owner + "|" + key;
}

/// <summary>What the collector knows of one phishing security test (<c>reporting_tests</c>).</summary>
internal sealed class ReportingTestDocument
{
    public const string Collection = "reporting_tests";

    /// <summary><c>{data type id}|{pst_id}</c>.</summary>
    public string Id { get; set; } = "";

    public string Owner { get; set; } = "";

    public string PstId { get; set; } = "";

    public string Status { get; set; } = "";

    public DateTime FirstSeenAt { get; set; }

    /// <summary>When its recipients were last read to the end.</summary>
    public DateTime? LastReadAt { get; set; }

    /// <summary>When a read last found a new or changed recipient.</summary>
    public DateTime? LastChangeAt { get; set; }

    /// <summary>When the test was first seen closed.</summary>
    public DateTime? ClosedSeenAt { get; set; }

    /// <summary>Closed and quiet for the quiet period: its recipients are no longer read.</summary>
    public bool Retired { get; set; }

    public int Recipients { get; set; }
}

/// <summary>A data type's checkpoint (<c>reporting_checkpoints</c>): where an interrupted pass resumes, and what it has delivered.</summary>
internal sealed class ReportingCheckpointDocument
{
    public const string Collection = "reporting_checkpoints";

    public string Id { get; set; } = "";

    /// <summary>A fingerprint of the Reporting host and key: a source renamed while the daemon was down finds its state by it.</summary>
    public string Stream { get; set; } = "";

    /// <summary>The page an interrupted pass resumes at (1 when the last pass completed).</summary>
    public int ResumePage { get; set; } = 1;

    /// <summary>The cursor an interrupted pass resumes with, when the endpoint answered by cursor (training enrollments).</summary>
    public string? ResumeCursor { get; set; }

    /// <summary>
    /// When the phishing pass under way began (null between passes). A pass cut short by the burst limit goes on with the
    /// tests it has not read since then, instead of reading them all again.
    /// </summary>
    public DateTime? PassBegunAt { get; set; }

    /// <summary>Calls of the pass under way so far, and of the last complete pass (what a pass costs, for the key's demand).</summary>
    public int PassCalls { get; set; }

    public int LastPassCalls { get; set; }

    /// <summary>The interval the last poll scheduled the next one at: the configured one, stretched when the key's budget does not pay for it.</summary>
    public TimeSpan? EffectivePollInterval { get; set; }

    public DateTime? LastPollAt { get; set; }

    public DateTime? LastCompletedAt { get; set; }

    /// <summary>The UTC day whose account and group risk history sweep is complete (userRiskScores).</summary>
    public DateTime? HistoryDay { get; set; }

    /// <summary>The day of an interrupted history sweep, and what it has read: <c>account</c> and group ids.</summary>
    public DateTime? HistoryInProgress { get; set; }

    public List<string> HistoryDone { get; set; } = [];

    /// <summary>The UTC day whose risk snapshot is complete (userRiskScores).</summary>
    public DateTime? SnapshotDay { get; set; }

    public DateTime? SnapshotInProgress { get; set; }

    public long Created { get; set; }

    public long Updated { get; set; }

    public long Calls { get; set; }
}

/// <summary>One record accepted by the sink: its key, group, new fingerprint and field hashes, and whether it was new.</summary>
internal readonly record struct AcceptedRecord(string Key, string Group, string Fingerprint, Dictionary<string, int>? Fields, bool Created);

/// <summary>What the collector last delivered of a record: its content fingerprint and field hashes (null when not kept).</summary>
internal sealed record KnownRecord(string Fingerprint, Dictionary<string, int>? Fields);

/// <summary>
/// The only owner of the Reporting documents. An accepted batch's fingerprints and the checkpoint after it are written
/// in one transaction: after a crash at most that batch is sent again.
/// </summary>
internal sealed class ReportingStore(CollectorDatabase database)
{
    private readonly LiteDatabase _database = database.Database;
    private readonly ILiteCollection<ReportingRecordDocument> _records = database.Database.GetCollection<ReportingRecordDocument>(ReportingRecordDocument.Collection);
    private readonly ILiteCollection<ReportingTestDocument> _tests = database.Database.GetCollection<ReportingTestDocument>(ReportingTestDocument.Collection);
    private readonly ILiteCollection<ReportingCheckpointDocument> _checkpoints = database.Database.GetCollection<ReportingCheckpointDocument>(ReportingCheckpointDocument.Collection);

    /// <summary>Runs before each batch commit; tests throw from it to stand for a full disk.</summary>
    internal Action? BeforeCommit { get; set; }

    public ReportingCheckpointDocument Checkpoint(string owner) => _checkpoints.FindById(owner) ?? new ReportingCheckpointDocument { Id = owner };

    /// <summary>Stores the checkpoint and the tests a poll changed, in one transaction.</summary>
    public void Save(ReportingCheckpointDocument checkpoint, IReadOnlyCollection<ReportingTestDocument> tests)
    {
        _database.BeginTrans();
        try
        {
            _checkpoints.Upsert(checkpoint);
            if (tests.Count > 0)
            {
                _tests.Upsert(tests);
            }
            _database.Commit();
        }
        catch
        {
            _database.Rollback();
            throw;
        }
    }

    /// <summary>What was last delivered of a data type's records (of one group when given), by key.</summary>
    public Dictionary<string, KnownRecord> Known(string owner, string? group = null)
    {
        var prefix = owner + "|";
        var records = group is null
            ? _records.Find(record => record.Owner == owner)
            : _records.Find(record => record.Owner == owner && record.Group == group);
        return records.ToDictionary(record => record.Id[prefix.Length..], record => new KnownRecord(record.Fingerprint, record.Fields), StringComparer.Ordinal);
    }

    public List<ReportingTestDocument> Tests(string owner) => [.. _tests.Find(test => test.Owner == owner)];

    /// <summary>Stores an accepted batch's fingerprints with the checkpoint (and test) after it, in one transaction.</summary>
    public void Commit(string owner, IReadOnlyList<AcceptedRecord> accepted, ReportingCheckpointDocument checkpoint, ReportingTestDocument? test = null)
    {
        BeforeCommit?.Invoke();
        _database.BeginTrans();
        try
        {
            foreach (var record in accepted)
            {
                _records.Upsert(new ReportingRecordDocument
                {
                    Id = ReportingRecordDocument.IdOf(owner, record.Key),
                    Owner = owner,
                    Group = record.Group,
                    Fingerprint = record.Fingerprint,
                    Fields = record.Fields,
                });
                if (record.Created)
                {
                    checkpoint.Created++;
                }
                else
                {
                    checkpoint.Updated++;
                }
            }
            _checkpoints.Upsert(checkpoint);
            if (test is not null)
            {
                _tests.Upsert(test);
            }
            _database.Commit();
        }
        catch
        {
            _database.Rollback();
            throw;
        }
    }

    /// <summary>Forgets the fingerprints of past days' risk snapshots once they can no longer matter (all but <paramref name="keep"/> and <paramref name="alsoKeep"/>).</summary>
    public int DeleteGroupsExcept(string owner, string keep, string alsoKeep) =>
        _records.DeleteMany(record => record.Owner == owner && record.Group != keep && record.Group != alsoKeep);

    /// <summary>
    /// A renamed source's data type keeps its fingerprints, tests and checkpoint under its new id: nothing is sent again.
    /// The copy is one transaction (inserts only) and the old documents go in a second: a crash between the two leaves
    /// an orphan copy, never a data type without its state.
    /// </summary>
    public bool Move(string fromOwner, string toOwner)
    {
        var checkpoint = _checkpoints.FindById(fromOwner);
        if (checkpoint is null || fromOwner == toOwner)
        {
            return false;
        }
        DeleteOwned(toOwner);
        var fromPrefix = fromOwner.Length + 1;
        var records = _records.Find(record => record.Owner == fromOwner).ToList();
        foreach (var record in records)
        {
            record.Id = ReportingRecordDocument.IdOf(toOwner, record.Id[fromPrefix..]);
            record.Owner = toOwner;
        }
        var tests = _tests.Find(test => test.Owner == fromOwner).ToList();
        foreach (var test in tests)
        {
            test.Id = ReportingRecordDocument.IdOf(toOwner, test.PstId);
            test.Owner = toOwner;
        }
        checkpoint.Id = toOwner;
        _database.BeginTrans();
        try
        {
            _records.InsertBulk(records);
            _tests.InsertBulk(tests);
            _checkpoints.Insert(checkpoint);
            _database.Commit();
        }
        catch
        {
            _database.Rollback();
            throw;
        }
        DeleteOwned(fromOwner);
        return true;
    }

    /// <summary>
    /// A data type with no state of its own takes over the one state of the same data type, Reporting host and key that
    /// no configured source owns: its source was renamed while the daemon was down. Returns the id it came from, or null.
    /// </summary>
    public string? AdoptRenamed(string owner, string dataType, string stream, IReadOnlySet<string> configuredOwners)
    {
        if (_checkpoints.FindById(owner) is not null)
        {
            return null;
        }
        var suffix = "/" + dataType;
        var orphans = _checkpoints.Find(checkpoint => checkpoint.Stream == stream)
            .Select(checkpoint => checkpoint.Id)
            .Where(id => id.EndsWith(suffix, StringComparison.Ordinal) && !configuredOwners.Contains(id))
            .ToList();
        return orphans.Count == 1 && Move(orphans[0], owner) ? orphans[0] : null;
    }

    /// <summary>Forgets everything of a data type (its source was removed).</summary>
    public void Delete(string owner) => DeleteOwned(owner);

    private void DeleteOwned(string owner)
    {
        _records.DeleteMany(record => record.Owner == owner);
        _tests.DeleteMany(test => test.Owner == owner);
        _checkpoints.Delete(owner);
    }
}
