using Kb4Collector.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kb4Collector.Admin;

/// <summary>
/// <c>GET /api/v1/healthEvents</c>: Sumo's health events, unresolved first and newest first within each group.
/// <c>?unresolved=true</c> lists only the open ones (Sumo's default), <c>?sourceId=</c> one source's (also of a deleted
/// source), <c>?limit=</c> at most that many.
/// </summary>
internal static class HealthEndpoints
{
    public const string Path = "/api/v1/healthEvents";

    public static void Map(IEndpointRouteBuilder routes, HealthEventStore health)
    {
        routes.MapGet(Path, (HttpRequest request) =>
        {
            if (!AdminResults.TryInteger(request, "limit", SourceEndpoints.DefaultLimit, 1, SourceEndpoints.MaxLimit, out var limit, out var problem)
                || !AdminResults.TryBoolean(request, "unresolved", out var unresolvedOnly, out problem))
            {
                return problem;
            }
            var sourceId = request.Query["sourceId"].ToString();
            var events = health.List(limit, sourceId.Length == 0 ? null : sourceId, unresolvedOnly);
            return AdminResults.Json(new HealthEventsResponse(events, Token: null), AdminJsonContext.Default.HealthEventsResponse);
        });
    }
}
