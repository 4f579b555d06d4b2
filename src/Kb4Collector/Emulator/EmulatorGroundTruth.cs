namespace Kb4Collector.Emulator;

/// <summary>An event as the emulator knows it: when it came to exist, when it was deleted, and its exact bytes.</summary>
public sealed record GroundTruthEvent(
    string Id,
    string Account,
    long AccountId,
    DateTimeOffset OccurredDate,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeletedAt,
    ReadOnlyMemory<byte> Json)
{
    public bool IsDeleted => DeletedAt is not null;

    /// <summary>True when the event was listable at <paramref name="instant"/>.</summary>
    public bool ExistedAt(DateTimeOffset instant) => CreatedAt <= instant && (DeletedAt is not { } deleted || instant < deleted);
}

/// <summary>What one API key did. <see cref="Calls"/> counted against the daily quota; <see cref="Requests"/> is everything presented with the key.</summary>
public sealed record EmulatorKeyCalls(
    string Account,
    string KeyName,
    long Requests,
    long Calls,
    long RateLimited,
    long QuotaExceeded,
    long Revoked,
    long FaultResponses);

/// <summary>429 responses served, by cause: the 4 req/s limit, the daily quota, or a scripted fault.</summary>
public sealed record TooManyRequestsCounts(long Rate, long Quota, long Fault)
{
    public long Total => Rate + Quota + Fault;
}

/// <summary>The truth a test or benchmark checks a collector against. Reading it materialises due arrivals.</summary>
public sealed class EmulatorGroundTruth
{
    private readonly EmulatorState _state;

    internal EmulatorGroundTruth(EmulatorState state) => _state = state;

    /// <summary>Every event that ever existed (deleted ones included), in creation order.</summary>
    public IReadOnlyList<GroundTruthEvent> AllEvents() => _state.SnapshotEvents(account: null, liveOnly: false);

    /// <summary>The events that exist now, optionally for one account (by name).</summary>
    public IReadOnlyList<GroundTruthEvent> LiveEvents(string? account = null) => _state.SnapshotEvents(account, liveOnly: true);

    /// <summary>Per API key, by key name ("{account} key {n}").</summary>
    public IReadOnlyDictionary<string, EmulatorKeyCalls> CallsByKey => _state.SnapshotCalls();

    public TooManyRequestsCounts TooManyRequestsServed => _state.SnapshotTooManyRequests();

    /// <summary>401/403/500 answers for a missing, unknown or revoked key.</summary>
    public long UnauthorizedServed => _state.SnapshotUnauthorized();

    /// <summary>Every version of every phishing recipient row and training enrollment up to now (Reporting API), optionally for one account.</summary>
    public IReadOnlyList<ReportingRecordVersion> ReportingVersions(string? account = null) => _state.SnapshotReportingVersions(account);

    /// <summary>Each active user's row as <c>GET /v1/users</c> lists it on <paramref name="day"/> (the daily risk snapshot).</summary>
    public IReadOnlyList<ReportingRecordVersion> RiskSnapshots(DateOnly day, string? account = null) => _state.SnapshotRiskSnapshots(account, day);

    /// <summary>Every account and group risk history point (<c>account/{date}</c>, <c>group/{id}/{date}</c>) as listed on <paramref name="day"/>.</summary>
    public IReadOnlyList<ReportingRecordVersion> RiskHistory(DateOnly day, string? account = null) => _state.SnapshotRiskHistory(account, day);

    /// <summary>The phishing tests whose tracking ended before <paramref name="before"/>.</summary>
    public IReadOnlyList<long> ClosedTests(DateTimeOffset before, string? account = null) => _state.SnapshotClosedTests(account, before);

    /// <summary>Reporting API calls answered and refused (per second, burst, daily) and 503 maintenance answers served.</summary>
    public ReportingCallCounts ReportingCalls => _state.SnapshotReportingCalls();

    /// <summary>How often each scripted fault kind hit a request.</summary>
    public IReadOnlyDictionary<EmulatorFaultKind, long> FaultsServed => _state.SnapshotFaultsServed();
}
