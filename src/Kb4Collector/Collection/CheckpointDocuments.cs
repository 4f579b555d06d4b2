using LiteDB;

namespace Kb4Collector.Collection;

/// <summary>The stored cursor of one source: which UTC days are tracked and what is known of each.</summary>
internal sealed class CheckpointDocument
{
    public const string Collection = "checkpoints";
    public const int CurrentVersion = 1;

    [BsonId]
    public string SourceId { get; set; } = "";

    public int Version { get; set; } = CurrentVersion;

    /// <summary>Base URL, key fingerprint and filters: a different query must not reuse this cursor.</summary>
    public string QueryFingerprint { get; set; } = "";

    /// <summary>Events that occurred before this instant on the first tracked day were there before the source existed.</summary>
    public DateTime StartedFrom { get; set; }

    /// <summary>Events the API counts outside the tracked days (older than the horizon), so the account total can be reconciled.</summary>
    /// <remarks>It can be negative for a while: changes that landed during the first run are counted here until found.</remarks>
    public long OutsideTotal { get; set; }

    /// <summary>False until the first run has taken the account's count.</summary>
    public bool Baselined { get; set; }

    public DateTime? LastPollAt { get; set; }

    public DateTime? LastDeliveryAt { get; set; }

    public long EventsDelivered { get; set; }

    public List<DayDocument> Days { get; set; } = [];
}

/// <summary>What the collector knows of one UTC day of events.</summary>
internal sealed class DayDocument
{
    public DateTime Day { get; set; }

    /// <summary>The API's count of events on that day when it was last read consistently; null until the first full read.</summary>
    public long? VerifiedTotal { get; set; }

    /// <summary>Id of the last event (ascending order) when the day was last read; lets today be read from where it ended.</summary>
    public string? LastId { get; set; }

    public DateTime? LastFullScanAt { get; set; }

    /// <summary>The day kept changing under every read of the last poll: read it again in full on the next one.</summary>
    public bool Unsettled { get; set; }
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
