using Kb4Collector.Daemon;
using Kb4Collector.Sharding;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;

namespace Kb4Collector.Admin;

/// <summary>This replica's shard and the configured sources other replicas collect, each with its owner.</summary>
public sealed record ShardResponse(string Shard, int Index, int Count, int Collected, IReadOnlyList<ShardElsewhereSource> Elsewhere);

public sealed record ShardElsewhereSource(string Id, string Name, string KeyFingerprint, int Owner);

internal static class ShardEndpoints
{
    public const string ShardPath = SourceEndpoints.CollectorPath + "/shard";

    public static void Map(IEndpointRouteBuilder routes, CollectorRuntime runtime) =>
        routes.MapGet(ShardPath, () =>
        {
            var shard = runtime.Shard;
            var elsewhere = runtime.SourcesElsewhere()
                .Select(source => new ShardElsewhereSource(source.Id, source.Name, source.ApiKeyFingerprint, ShardAssignment.OwnerOf(source.ApiKeyFingerprint, shard.Count)))
                .ToList();
            var response = new ShardResponse(shard.ToString(), shard.Index, shard.Count, runtime.Sources().Count, elsewhere);
            return AdminResults.Json(response, AdminJsonContext.Default.ShardResponse);
        });
}
