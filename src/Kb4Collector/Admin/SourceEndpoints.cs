using System.Collections.Concurrent;
using Kb4Collector.Daemon;
using Kb4Collector.Delivery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Admin;

/// <summary>
/// The collector and its sources, after Sumo's Collector Management API with <c>local</c> as the collector id:
/// summary, sources, one source (or its file with <c>?download=true</c>), restart, call history, usage and dead letters.
/// </summary>
internal static class SourceEndpoints
{
    public const string CollectorPath = "/api/v1/collectors/local";
    public const string SourcesPath = CollectorPath + "/sources";

    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    public const int UsageDays = 30;

    /// <summary>Enough for every source's open events: repeats update an open event instead of adding one.</summary>
    public const int MaxUnresolvedScanned = 10_000;

    public static void Map(IEndpointRouteBuilder routes, CollectorRuntime runtime, DateTimeOffset startedAt, ILogger logger)
    {
        var time = runtime.Services.TimeProvider;
        var replaying = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);

        routes.MapGet(CollectorPath, () =>
        {
            var unresolved = runtime.Health.List(MaxUnresolvedScanned, unresolvedOnly: true);
            var collector = AdminMapping.Collector(
                runtime.CollectorName, runtime.FirstLoad.IsCompletedSuccessfully, startedAt, time.GetUtcNow(), runtime.Sources(), unresolved.Count, runtime.ConfigProblems);
            return AdminResults.Json(new CollectorResponse(collector), AdminJsonContext.Default.CollectorResponse);
        });

        routes.MapGet(SourcesPath, () =>
        {
            var health = AdminMapping.BySource(runtime.Health.List(MaxUnresolvedScanned, unresolvedOnly: true));
            var sources = runtime.Sources().Select(view => AdminMapping.Source(view, [.. health[view.Definition.Id]], id => health[id])).ToList();
            return AdminResults.Json(new SourcesResponse(sources), AdminJsonContext.Default.SourcesResponse);
        });

        routes.MapGet(SourcesPath + "/{id}", (string id, HttpRequest request) =>
        {
            if (!AdminResults.TryBoolean(request, "download", out var download, out var problem))
            {
                return problem;
            }
            if (runtime.Find(id) is not { } view)
            {
                return AdminResults.SourceNotFound(id);
            }
            if (download)
            {
                return AdminResults.Json(AdminMapping.SourceFile(view.Definition), AdminJsonContext.Default.SourceFileJson);
            }
            var unresolved = runtime.Health.List(MaxUnresolvedScanned, sourceId: id, unresolvedOnly: true);
            return AdminResults.Json(new SourceResponse(AdminMapping.Source(view, unresolved, dataTypeId => runtime.Health.List(MaxUnresolvedScanned, sourceId: dataTypeId, unresolvedOnly: true))), AdminJsonContext.Default.SourceResponse);
        });

        routes.MapPost(SourcesPath + "/{id}/action/restart", (string id) =>
        {
            if (runtime.Find(id) is not { } view || !runtime.RequestRestart(id))
            {
                return AdminResults.SourceNotFound(id);
            }
            var accepted = new RestartResponse(view.Definition.Id, view.Definition.Name, "restart source initiated");
            return AdminResults.Json(accepted, AdminJsonContext.Default.RestartResponse, StatusCodes.Status202Accepted);
        });

        routes.MapGet(SourcesPath + "/{id}/calls", (string id, HttpRequest request) =>
        {
            if (!AdminResults.TryInteger(request, "limit", DefaultLimit, 1, MaxLimit, out var limit, out var problem))
            {
                return problem;
            }
            if (runtime.Find(id) is not { } view)
            {
                return AdminResults.SourceNotFound(id);
            }
            var calls = runtime.Services.Ledger.History(view.Definition.ApiKeyFingerprint, id, limit);
            return AdminResults.Json(new CallsResponse([.. calls.Select(AdminMapping.Call)]), AdminJsonContext.Default.CallsResponse);
        });

        routes.MapGet(SourcesPath + "/{id}/usage", (string id) =>
        {
            if (runtime.Find(id) is not { } view)
            {
                return AdminResults.SourceNotFound(id);
            }
            var key = view.Definition.ApiKeyFingerprint;
            var ledger = runtime.Services.Ledger;
            var today = view.Quota.Day;
            var usage = new UsageResponse(
                AdminMapping.Quota(view.Quota, key),
                ledger.DailyUsage(key, today.AddDays(1 - UsageDays), today),
                [.. ledger.YearlyUsage(key, today.Year).Take(today.Month)]);
            return AdminResults.Json(usage, AdminJsonContext.Default.UsageResponse);
        });

        routes.MapGet(SourcesPath + "/{id}/deadLetters", (string id, HttpRequest request) =>
        {
            if (!AdminResults.TryInteger(request, "limit", DefaultLimit, 1, MaxLimit, out var limit, out var problem)
                || !AdminResults.TryInteger(request, "offset", 0, 0, int.MaxValue, out var offset, out problem))
            {
                return problem;
            }
            if (runtime.Find(id) is null)
            {
                return AdminResults.SourceNotFound(id);
            }
            var store = runtime.Services.Sink.DeadLetters;
            var page = store.List(id, offset, limit);
            var letters = new DeadLettersResponse([.. page.Select(AdminMapping.DeadLetter)], store.Count(id), offset, limit);
            return AdminResults.Json(letters, AdminJsonContext.Default.DeadLettersResponse);
        });

        routes.MapPost(SourcesPath + "/{id}/deadLetters/action/replay", async (string id, CancellationToken cancellationToken) =>
        {
            if (runtime.Find(id) is not { } view)
            {
                return AdminResults.SourceNotFound(id);
            }
            if (!replaying.TryAdd(id, true))
            {
                return AdminResults.Error(StatusCodes.Status409Conflict, "conflict", "A replay of this source's dead letters is already under way.");
            }
            try
            {
                var sink = runtime.Services.Sink;
                var definition = view.Definition;
                var target = SinkTarget.FromSourceFields(definition.Name, definition.Category ?? "", runtime.CollectorName, definition.Fields)
                    with { SiemForward = definition.SiemForward };
                var report = await sink.DeadLetters.ReplayAsync(id, sink, target, cancellationToken);
                var replayed = new ReplayResponse(report.Accepted, report.DeadLettered, sink.DeadLetters.Count(id));
                return AdminResults.Json(replayed, AdminJsonContext.Default.ReplayResponse);
            }
            catch (SinkException failure)
            {
                Log.ReplayFailed(logger, view.Definition.Name, failure.Message);
                return AdminResults.Error(StatusCodes.Status502BadGateway, "sink.failed", "The log endpoint did not accept the replay: " + failure.Message);
            }
            finally
            {
                replaying.TryRemove(id, out _);
            }
        });
    }
}
