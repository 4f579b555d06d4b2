using Kb4Collector.Daemon;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Kb4Collector.Admin;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text from the daemon's registry (<see cref="RequestMetrics"/>: request counters and
/// latency histograms, <c>process_*</c>, <c>dotnet_*</c>), the per-source series refreshed from the runtime's views on each scrape.
/// Labels are the source's name and id, never a key. Series of removed sources go away with them.
/// </summary>
internal sealed class AdminMetrics
{
    public const string Path = "/metrics";
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] SourceLabels = ["source", "source_id"];
    private static readonly SourceState[] States = Enum.GetValues<SourceState>();
    private static readonly string[] KnownEventNames =
    [
        HealthEventNames.ThirdPartyConfigError,
        HealthEventNames.ThirdPartyGenericError,
        HealthEventNames.FirstPartyGenericError,
        HealthEventNames.ThirdPartyQuotaWarning,
    ];

    private readonly CollectorRuntime _runtime;
    private readonly Lock _gate = new();
    private readonly Gauge _sources;
    private readonly Gauge _configProblems;
    private readonly Gauge _state;
    private readonly Counter _delivered;
    private readonly Gauge _callsToday;
    private readonly Gauge _quotaBudget;
    private readonly Gauge _quotaRemaining;
    private readonly Gauge _unresolved;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _deadLetters;

    public AdminMetrics(CollectorRuntime runtime, RequestMetrics requests)
    {
        _runtime = runtime;
        Registry = requests.Registry;
        var factory = Metrics.WithCustomRegistry(Registry);

        var info = factory.CreateGauge("kb4collector_info", "The collector's name and version (always 1).", ["collector", "version"]);
        info.WithLabels(runtime.CollectorName, AdminVersion.Current).Set(1);
        _sources = factory.CreateGauge("kb4collector_sources", "Sources this collector runs.");
        _configProblems = factory.CreateGauge("kb4collector_config_problems", "Findings in the source files, by severity (an erroneous source does not run).", ["severity"]);
        _state = factory.CreateGauge("kb4collector_source_state", "1 for the source's lifecycle state, 0 for the others.", [.. SourceLabels, "state"]);
        _delivered = factory.CreateCounter("kb4collector_events_delivered_total", "Events the log endpoint accepted for the source (kept across restarts).", SourceLabels);
        _callsToday = factory.CreateGauge("kb4collector_source_knowbe4_calls_today", "KnowBe4 calls counted today (UTC) against the source's API key.", SourceLabels);
        _quotaBudget = factory.CreateGauge("kb4collector_source_quota_budget", "Daily KnowBe4 call budget of the source's API key.", SourceLabels);
        _quotaRemaining = factory.CreateGauge("kb4collector_source_quota_remaining", "Calls scheduled polling may still make today with the source's API key.", SourceLabels);
        _unresolved = factory.CreateGauge("kb4collector_source_unresolved_health_events", "Unresolved health events of the source, by event name (error class).", [.. SourceLabels, "event_name"]);
        _lastSuccess = factory.CreateGauge("kb4collector_source_last_success_timestamp_seconds", "Unix time of the source's last successful poll; absent before the first.", SourceLabels);
        _deadLetters = factory.CreateGauge("kb4collector_source_dead_letters", "Events of the source the log endpoint refused, kept for replay.", SourceLabels);
        Registry.AddBeforeCollectCallback(Refresh);
    }

    public CollectorRegistry Registry { get; }

    public static void Map(IEndpointRouteBuilder routes, AdminMetrics metrics) =>
        routes.MapGet(Path, async (HttpContext context) =>
        {
            // Exported into memory first: the registry may write synchronously, which Kestrel's response stream refuses.
            using var buffer = new MemoryStream();
            await metrics.Registry.CollectAndExportAsTextAsync(buffer, context.RequestAborted);
            context.Response.ContentType = ContentType;
            context.Response.ContentLength = buffer.Length;
            buffer.Position = 0;
            await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
        });

    private void Refresh()
    {
        lock (_gate)
        {
            var views = _runtime.Sources();
            var health = AdminMapping.BySource(_runtime.Health.List(SourceEndpoints.MaxUnresolvedScanned, unresolvedOnly: true));
            var problems = _runtime.ConfigProblems;

            _sources.Set(views.Count);
            _configProblems.WithLabels("error").Set(problems.Count(problem => problem.IsError));
            _configProblems.WithLabels("warning").Set(problems.Count(problem => !problem.IsError));

            foreach (var view in views)
            {
                var name = view.Definition.Name;
                var id = view.Definition.Id;
                foreach (var state in States)
                {
                    _state.WithLabels(name, id, state.ToString()).Set(state == view.Status.State ? 1 : 0);
                }

                var delivered = view.Checkpoint?.EventsDelivered ?? 0;
                var counter = _delivered.WithLabels(name, id);
                if (delivered < counter.Value)
                {
                    // The checkpoint was voided (a different account or key): a new series, as after a counter reset.
                    counter.Remove();
                    counter = _delivered.WithLabels(name, id);
                }
                counter.IncTo(delivered);

                _callsToday.WithLabels(name, id).Set(view.Quota.Used);
                _quotaBudget.WithLabels(name, id).Set(view.Quota.Budget);
                _quotaRemaining.WithLabels(name, id).Set(view.Quota.RemainingScheduled);
                _deadLetters.WithLabels(name, id).Set(view.DeadLetters);

                var open = health[id].ToList();
                foreach (var eventName in KnownEventNames.Union(open.Select(healthEvent => healthEvent.EventName), StringComparer.Ordinal))
                {
                    _unresolved.WithLabels(name, id, eventName).Set(open.Count(healthEvent => healthEvent.EventName == eventName));
                }

                if (view.Status.LastSuccessAt is { } lastSuccess)
                {
                    _lastSuccess.WithLabels(name, id).Set(lastSuccess.ToUnixTimeMilliseconds() / 1000.0);
                }
                else
                {
                    _lastSuccess.WithLabels(name, id).Remove();
                }
            }

            var running = views.Select(view => view.Definition.Id).ToHashSet(StringComparer.Ordinal);
            RemoveGone(_state, running);
            RemoveGone(_delivered, running);
            RemoveGone(_callsToday, running);
            RemoveGone(_quotaBudget, running);
            RemoveGone(_quotaRemaining, running);
            RemoveGone(_unresolved, running);
            RemoveGone(_lastSuccess, running);
            RemoveGone(_deadLetters, running);
        }
    }

    private static void RemoveGone<TChild>(Collector<TChild> metric, HashSet<string> running)
        where TChild : ChildBase
    {
        foreach (var labels in metric.GetAllLabelValues().ToList())
        {
            if (!running.Contains(labels[1]))
            {
                metric.WithLabels(labels).Remove();
            }
        }
    }
}
