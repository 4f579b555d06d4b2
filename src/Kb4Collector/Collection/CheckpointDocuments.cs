using LiteDB;

namespace Kb4Collector.Collection;

/// <summary>The stored cursor of one source: which UTC days are tracked and what is known of each.</summary>
internal sealed class CheckpointDocument
{
    public const string Collection = "checkpoints";

    /// <summary>2: the query no longer includes the key, days carry their own baseline and resume state.</summary>
    public const int CurrentVersion = 2;

    [BsonId]
    public string SourceId { get; set; } = "";

    public int Version { get; set; } = CurrentVersion;

    /// <summary>The API host: a cursor is never reused against another one.</summary>
    public string QueryFingerprint { get; set; } = "";

    /// <summary>The key it was last collected with: a source renamed while the daemon was down finds its cursor by host and key.</summary>
    public string KeyFingerprint { get; set; } = "";

    /// <summary>Events that occurred before this instant were there before the source existed and are not sent.</summary>
    public DateTime StartedFrom { get; set; }

    /// <summary>Events the API counts outside the tracked days (older than the horizon), so the account total can be reconciled.</summary>
    /// <remarks>It can be negative for a while: changes that landed during the first run are counted here until found.</remarks>
    public long OutsideTotal { get; set; }

    /// <summary>False until the first run's newest-first scan of the lookback and the horizon is complete.</summary>
    public bool Baselined { get; set; }

    /// <summary>The page of the first run's scan to read next (it resumes there after a failure or a restart).</summary>
    public int InitialScanPage { get; set; } = 1;

    /// <summary>When the first run had read the days before the lookback: an event backdated into them and created before then is taken for history.</summary>
    public DateTime? HistoryReadAt { get; set; }

    /// <summary>The account's count when the first run's scan began.</summary>
    public long? InitialScanStartTotal { get; set; }

    /// <summary>When the first run's scan began: the days it found already older than the horizon then need no closing read.</summary>
    public DateTime? InitialScanBeganAt { get; set; }

    public DateTime? LastPollAt { get; set; }

    /// <summary>The last poll after which the account's count agreed with the tracked days (nothing unexplained).</summary>
    public DateTime? LastConsistentAt { get; set; }

    public DateTime? LastDeliveryAt { get; set; }

    public long EventsDelivered { get; set; }

    /// <summary>Events delivered on the UTC day of <see cref="LastDeliveryAt"/>.</summary>
    public long DeliveredThatDay { get; set; }

    /// <summary>Events found on a past day after that day had been read in full: backdated (or missed) and sent late.</summary>
    public long FoundLate { get; set; }

    public List<DayDocument> Days { get; set; } = [];
}

/// <summary>What the collector knows of one UTC day of events.</summary>
internal sealed class DayDocument
{
    public DateTime Day { get; set; }

    /// <summary>The API's count of events on that day at its last complete read; null until the first one.</summary>
    public long? VerifiedTotal { get; set; }

    /// <summary>The last complete read was proven: the day's count at its start and its end agreed with the distinct ids it saw.</summary>
    public bool Proven { get; set; }

    /// <summary>Id of the last event (ascending order) when the day was last read; lets today be read on from where it ended.</summary>
    public string? LastId { get; set; }

    public DateTime? LastFullScanAt { get; set; }

    /// <summary>The day kept changing under every read of the last poll: read it again on the next one.</summary>
    public bool Unsettled { get; set; }

    /// <summary>
    /// The first complete read of the day happened: from then on every new id on it is delivered, even one that
    /// occurred before <see cref="CheckpointDocument.StartedFrom"/> (it was created since).
    /// </summary>
    public bool Baselined { get; set; }

    /// <summary>A read interrupted by a failure or the budget resumes at this page.</summary>
    public int? ResumePage { get; set; }

    /// <summary>
    /// A proven read of the day began after it left the backdate horizon (or the first run found it outside already):
    /// everything created on it while it was inside was there to be read. Only then may the day stop being tracked.
    /// </summary>
    public bool ReadAfterHorizon { get; set; }

    /// <summary>Distinct events the first run's newest-first scan found on this day (seeds <see cref="VerifiedTotal"/>).</summary>
    public long ScanCount { get; set; }
}

/// <summary>A block of seen event keys (16 bytes each) of one source and day, written with the batch that delivered them.</summary>
internal sealed class SeenChunkDocument
{
    public const string Collection = "seen_ids";

    public ObjectId Id { get; set; } = ObjectId.Empty;

    public string SourceId { get; set; } = "";

    public DateTime Day { get; set; }

    public byte[] Keys { get; set; } = [];
}
