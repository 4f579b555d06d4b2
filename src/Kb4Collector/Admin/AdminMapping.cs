using System.Text.Json;
using Kb4Collector.Collection;
using Kb4Collector.Configuration;
using Kb4Collector.Daemon;
using Kb4Collector.Delivery;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;

namespace Kb4Collector.Admin;

/// <summary>Maps the runtime's views to the admin endpoint's JSON. The API key never leaves as anything but the mask.</summary>
internal static class AdminMapping
{
    public const string SchemaType = "KnowBe4";
    public const string SourceType = "Universal";
    public const string ApiVersion = "v1";

    public const string Healthy = "Healthy";
    public const string Warning = "Warning";
    public const string Error = "Error";

    public static CollectorJson Collector(
        string name, bool ready, DateTimeOffset startedAt, DateTimeOffset now, IReadOnlyList<SourceView> sources, int unresolvedHealthEvents, IReadOnlyList<ConfigProblem> problems)
    {
        var states = Enum.GetValues<SourceState>().ToDictionary(state => state.ToString(), _ => 0, StringComparer.Ordinal);
        foreach (var source in sources)
        {
            states[source.Status.State.ToString()]++;
        }
        return new CollectorJson(
            "local",
            name,
            AdminVersion.Current,
            ready,
            startedAt,
            (long)Math.Max(0, (now - startedAt).TotalSeconds),
            sources.Count,
            states,
            unresolvedHealthEvents,
            [.. problems.Select(ConfigProblem)]);
    }

    /// <summary>The source as JSON; <paramref name="unresolvedOf"/> gives a data type's unresolved health events by its id (its own health).</summary>
    public static SourceJson Source(SourceView view, IReadOnlyList<HealthEvent> unresolved, Func<string, IEnumerable<HealthEvent>>? unresolvedOf = null) => new(
        view.Definition.Id,
        view.Definition.Name,
        SourceType,
        new SchemaRefJson(view.Definition.Reporting is null && view.Definition.CollectUserEvents ? SchemaType : Configuration.SourceEntryValidator.KmsatSchema),
        Config(view.Definition),
        State(view.Status),
        Health(unresolved),
        view.Checkpoint?.EventsDelivered ?? 0,
        view.Checkpoint is { } checkpoint ? Checkpoint(checkpoint) : null,
        Quota(view.Quota, view.Definition.ApiKeyFingerprint),
        view.DeadLetters,
        view.Definition.SourceFile,
        view.EventsDeliveredToday,
        view.NextPollReason ?? NextPollReason(view.Status),
        view.CheckpointPosition,
        view.BackdatedFoundLate,
        view.Plan is { } plan ? Plan(plan) : null,
        view.DataTypes is { Count: > 0 } dataTypes
            ? [.. dataTypes.Select(type => new DataTypeJson(
                type.Id, type.Name, type.DataType, State(type.Status), Health(unresolvedOf?.Invoke(type.Id) ?? []), DurationParser.Format(type.PollInterval), type.Checkpoint, type.Quota))]
            : null);

    public static PlanJson Plan(CollectionPlan plan) => new(
        plan.DailyCalls,
        DurationParser.FormatRoundedUp(plan.PollInterval),
        Math.Round(plan.PollsPerDay, 1),
        plan.RescanPeriod == TimeSpan.MaxValue ? "never" : DurationParser.FormatRoundedUp(plan.RescanPeriod),
        plan.RescanPeriod == TimeSpan.MaxValue ? null : (long)Math.Ceiling(plan.RescanPeriod.TotalSeconds),
        plan.RescanPassCost,
        plan.PaysForHorizon,
        plan.Describe());

    /// <summary>Why the source acts next when then, as far as its status tells; the engine's own reason wins when it gives one.</summary>
    public static string? NextPollReason(SourceStatus status) => status switch
    {
        { RetriesStopped: true } => status.ErrorClass == ErrorClass.ThirdPartyConfig
            ? "waiting for a restart or a config update"
            : "retry window closed: waiting for a restart or a config update",
        { NextAttemptAt: null } => null,
        { NotBefore: { } notBefore } when status.NextAttemptAt >= notBefore => "quota reset or Retry-After",
        { State: SourceState.Error } => "retry with backoff inside the retry window",
        { State: SourceState.Collecting } => "polling schedule",
        _ => "starting up",
    };

    public static SourceFileJson SourceFile(SourceDefinition definition) =>
        new(ApiVersion, new SourceDefinitionJson(new SchemaRefJson(SchemaType), SourceType, Config(definition)));

    public static SourceConfigJson Config(SourceDefinition definition)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in definition.Fields.OrderBy(field => field.Key, StringComparer.Ordinal))
        {
            fields[key] = JsonSerializer.SerializeToElement(value, AdminJsonContext.Default.String);
        }
        fields[SinkTarget.SiemForwardField] = JsonSerializer.SerializeToElement(definition.SiemForward, AdminJsonContext.Default.Boolean);
        return new SourceConfigJson(
            definition.Name,
            definition.Description,
            definition.Category,
            fields,
            definition.BaseUrl.AbsoluteUri,
            SourceDefinition.Mask,
            definition.LicensedUsers,
            definition.DailyCallBudget,
            (long)definition.PollingInterval.TotalSeconds,
            DurationParser.Format(definition.InitialLookback),
            DurationParser.Format(definition.BackdateHorizon));
    }

    public static SourceStateJson State(SourceStatus status) => new(
        status.State,
        status.ErrorClass,
        status.LastReason,
        status.FirstFailureAt,
        status.RetryWindowEndsAt,
        status.RetryCount,
        status.RetriesStopped,
        status.NextAttemptAt,
        status.NotBefore,
        status.LastPollAt,
        status.LastSuccessAt,
        status.EverAuthenticated,
        [.. status.RecentTransitions.Select(transition => new TransitionJson(transition.From, transition.To, transition.At))]);

    /// <summary>Sumo's Health column: Error or Warning while an event of that severity is unresolved, else Healthy.</summary>
    public static string Health(IEnumerable<HealthEvent> unresolved)
    {
        var health = Healthy;
        foreach (var healthEvent in unresolved)
        {
            if (healthEvent.SeverityLevel == HealthSeverity.Error)
            {
                return Error;
            }
            health = Warning;
        }
        return health;
    }

    public static CheckpointJson Checkpoint(CheckpointSummary checkpoint) => new(
        checkpoint.StartedFrom,
        checkpoint.LastPollAt,
        checkpoint.LastDeliveryAt,
        checkpoint.OutsideTotal,
        [.. checkpoint.Days.Select(day => new CheckpointDayJson(day.Day, day.VerifiedTotal, day.LastFullScanAt, day.Proven))],
        checkpoint.FoundLate,
        checkpoint.FirstRunComplete);

    public static QuotaJson Quota(QuotaStatus quota, string keyFingerprint) => new(
        quota.Day, keyFingerprint, quota.Used, quota.Budget, quota.ManualReserve, quota.RemainingScheduled, quota.RemainingManual);

    public static CallJson Call(CallRecord call) =>
        new(call.Time, call.Endpoint, call.Status, call.Events, call.Error, Math.Round(call.Duration.TotalMilliseconds, 1), CallId(call));

    /// <summary>A short id for a call in the history: the first 12 hex digits of SHA-256 over its time, source and endpoint.</summary>
    public static string CallId(CallRecord call)
    {
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{call.Time.UtcTicks}|{call.SourceId}|{call.Endpoint}");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..12];
    }

    public static DeadLetterJson DeadLetter(DeadLetter letter) => new(
        letter.EventId, letter.StatusCode, letter.Reason, letter.FirstSeen, letter.LastSeen, letter.Attempts, EventElement(letter.Json));

    public static ConfigProblemJson ConfigProblem(ConfigProblem problem) =>
        new(problem.File, problem.Source, problem.Field, problem.Message, problem.Severity.ToString(), problem.Line, problem.Column);

    /// <summary>Unresolved events grouped by source id.</summary>
    public static ILookup<string, HealthEvent> BySource(IEnumerable<HealthEvent> unresolved) =>
        unresolved.ToLookup(healthEvent => healthEvent.ResourceIdentity.Id, StringComparer.Ordinal);

    // A dead letter is the KnowBe4 event as received; should it not parse, it is shown as text rather than hidden.
    private static JsonElement EventElement(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(System.Text.Encoding.UTF8.GetString(json.Span), AdminJsonContext.Default.String);
        }
    }
}
