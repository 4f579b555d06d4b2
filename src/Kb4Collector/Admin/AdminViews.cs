using System.Text.Json;
using System.Text.Json.Serialization;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;

namespace Kb4Collector.Admin;

// What the admin endpoint answers. Field names follow Sumo's Collector Management API where it has one
// (collector, sources, source config, state, healthEvents); everything else is this collector's addition.

/// <summary><c>GET /api/v1/collectors/local</c>.</summary>
public sealed record CollectorResponse(CollectorJson Collector);

public sealed record CollectorJson(
    string Id,
    string Name,
    string CollectorVersion,
    bool Ready,
    DateTimeOffset StartedAt,
    long UptimeSeconds,
    int SourceCount,
    IReadOnlyDictionary<string, int> States,
    int UnresolvedHealthEvents,
    IReadOnlyList<ConfigProblemJson> ConfigProblems,
    string? Shard = null);

public sealed record ConfigProblemJson(string File, string? Source, string Field, string Message, string Severity, int? Line = null, int? Column = null);

/// <summary><c>GET /api/v1/collectors/local/sources</c>.</summary>
public sealed record SourcesResponse(IReadOnlyList<SourceJson> Sources);

/// <summary><c>GET /api/v1/collectors/local/sources/{id}</c>.</summary>
public sealed record SourceResponse(SourceJson Source);

/// <summary>
/// A source as Sumo shows a C2C source (<c>id</c>, <c>name</c>, <c>sourceType</c>, <c>schemaRef</c>, <c>config</c> with
/// secrets masked, <c>state</c>), plus what this collector knows of its collection.
/// </summary>
public sealed record SourceJson(
    string Id,
    string Name,
    string SourceType,
    SchemaRefJson SchemaRef,
    SourceConfigJson Config,
    SourceStateJson State,
    string Health,
    long EventsDelivered,
    CheckpointJson? Checkpoint,
    QuotaJson Quota,
    int DeadLetters,
    string SourceFile,
    long? EventsDeliveredToday = null,
    string? NextPollReason = null,
    string? CheckpointPosition = null,
    long? BackdatedFoundLate = null,
    PlanJson? Plan = null,
    IReadOnlyList<DataTypeJson>? DataTypes = null);

/// <summary>A Reporting data type of a "KnowBe4 KMSAT" source (issue 10): its own state, schedule, checkpoint and the key's Reporting quota.</summary>
public sealed record DataTypeJson(
    string Id,
    string Name,
    string DataType,
    SourceStateJson State,
    string Health,
    string PollInterval,
    Reporting.ReportingCheckpointView Checkpoint,
    Reporting.ReportingQuotaStatus Quota);

/// <summary>How the source spends its share of the key's daily calls (see the README's "How collection works").</summary>
public sealed record PlanJson(
    int DailyCalls,
    string PollInterval,
    double PollsPerDay,
    string RescanPeriod,
    long? RescanPeriodSeconds,
    int RescanPassCost,
    bool PaysForHorizon,
    string Summary);

public sealed record SchemaRefJson(string Type);

/// <summary>The <c>config</c> object of a source file, with the API key masked.</summary>
public sealed record SourceConfigJson(
    string Name,
    string? Description,
    string? Category,
    IReadOnlyDictionary<string, JsonElement> Fields,
    [property: JsonPropertyName("baseURL")] string BaseUrl,
    string ApiKey,
    int? LicensedUsers,
    int? DailyCallBudget,
    long PollingInterval,
    string InitialLookback,
    string BackdateHorizon);

/// <summary>Sumo's <c>{"state": "Collecting"}</c>, with the failure streak and the schedule beside it.</summary>
public sealed record SourceStateJson(
    SourceState State,
    ErrorClass? ErrorClass,
    string? LastReason,
    DateTimeOffset? FirstFailureAt,
    DateTimeOffset? RetryWindowEndsAt,
    int RetryCount,
    bool RetriesStopped,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? NotBefore,
    DateTimeOffset? LastPollAt,
    DateTimeOffset? LastSuccessAt,
    bool EverAuthenticated,
    IReadOnlyList<TransitionJson> Transitions);

public sealed record TransitionJson(SourceState From, SourceState To, DateTimeOffset At);

public sealed record CheckpointJson(
    DateTimeOffset StartedFrom,
    DateTimeOffset? LastPollAt,
    DateTimeOffset? LastDeliveryAt,
    long OutsideTotal,
    IReadOnlyList<CheckpointDayJson> Days,
    long FoundLate = 0,
    bool FirstRunComplete = false);

public sealed record CheckpointDayJson(DateOnly Day, long? VerifiedTotal, DateTimeOffset? LastFullScanAt, bool Proven = false);

/// <summary>Today's (UTC) calls of the source's API key; every source using the key shares it.</summary>
public sealed record QuotaJson(
    DateOnly Day,
    string KeyFingerprint,
    int Used,
    int Budget,
    int ManualReserve,
    int RemainingScheduled,
    int RemainingManual);

/// <summary>The <c>?download=true</c> form: a file the collector can read back, without id or state, secrets masked.</summary>
public sealed record SourceFileJson(
    [property: JsonPropertyName("api.version")] string ApiVersion,
    SourceDefinitionJson Source);

public sealed record SourceDefinitionJson(SchemaRefJson SchemaRef, string SourceType, SourceConfigJson Config);

/// <summary><c>POST …/sources/{id}/action/restart</c> (202).</summary>
public sealed record RestartResponse(string Id, string Name, string Message);

/// <summary><c>GET /api/v1/healthEvents</c>: Sumo's list with a continuation token, always null here (one page).</summary>
public sealed record HealthEventsResponse(
    IReadOnlyList<HealthEvent> Data,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Token);

/// <summary><c>GET …/sources/{id}/calls</c>: the newest KnowBe4 calls first.</summary>
public sealed record CallsResponse(IReadOnlyList<CallJson> Data);

/// <summary>One KnowBe4 call; <see cref="Id"/> is a short digest of its time, source and endpoint, stable across reads.</summary>
public sealed record CallJson(DateTimeOffset Time, string Endpoint, int? Status, int Events, string? Error, double DurationMs, string? Id = null);

/// <summary><c>GET …/sources/{id}/usage</c>: today's quota, the last 30 days and the months of this year.</summary>
public sealed record UsageResponse(QuotaJson Today, IReadOnlyList<DayUsage> Days, IReadOnlyList<MonthUsage> Months);

/// <summary><c>GET …/sources/{id}/deadLetters</c>: events the log endpoint refused, one page.</summary>
public sealed record DeadLettersResponse(IReadOnlyList<DeadLetterJson> Data, int Total, int Offset, int Limit);

public sealed record DeadLetterJson(
    string EventId,
    int? StatusCode,
    string Reason,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    int Attempts,
    JsonElement Event);

/// <summary><c>POST …/sources/{id}/deadLetters/action/replay</c>.</summary>
public sealed record ReplayResponse(int Accepted, int StillRefused, int Remaining);
