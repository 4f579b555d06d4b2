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

    public static SourceJson Source(SourceView view, IReadOnlyList<HealthEvent> unresolved) => new(
        view.Definition.Id,
        view.Definition.Name,
        SourceType,
        new SchemaRefJson(SchemaType),
        Config(view.Definition),
        State(view.Status),
        Health(unresolved),
        view.Checkpoint?.EventsDelivered ?? 0,
        view.Checkpoint is { } checkpoint ? Checkpoint(checkpoint) : null,
        Quota(view.Quota, view.Definition.ApiKeyFingerprint),
        view.DeadLetters,
        view.Definition.SourceFile);

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
        [.. checkpoint.Days.Select(day => new CheckpointDayJson(day.Day, day.VerifiedTotal, day.LastFullScanAt))]);

    public static QuotaJson Quota(QuotaStatus quota, string keyFingerprint) => new(
        quota.Day, keyFingerprint, quota.Used, quota.Budget, quota.ManualReserve, quota.RemainingScheduled, quota.RemainingManual);

    public static CallJson Call(CallRecord call) =>
        new(call.Time, call.Endpoint, call.Status, call.Events, call.Error, Math.Round(call.Duration.TotalMilliseconds, 1));

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
