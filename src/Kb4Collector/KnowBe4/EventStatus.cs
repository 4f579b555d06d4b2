using System.Text.Json;

namespace Kb4Collector.KnowBe4;

/// <summary>The status of one create request (spec §2.6). <see cref="Processed"/> is null while it is pending.</summary>
/// <remarks><see cref="ApiKey"/> is the key's name as shown in the console, never the secret.</remarks>
public sealed record EventStatus(string Id, StatusDetails? Details = null, DateTimeOffset? Processed = null, string? ApiKey = null)
{
    public IReadOnlyList<string> EventIds => Details?.Events ?? [];

    public IReadOnlyList<JsonElement> Failures => Details?.Failures ?? [];

    /// <summary>True once the request was processed or its created events or failures are listed.</summary>
    public bool IsComplete => Processed is not null || EventIds.Count > 0 || Failures.Count > 0;
}

/// <summary>What a create request produced. The shape of a failure is undocumented, so failures stay raw JSON.</summary>
public sealed record StatusDetails(IReadOnlyList<string>? Events = null, IReadOnlyList<JsonElement>? Failures = null);

/// <summary>One page of <c>GET /statuses</c>; the API may leave out <c>meta</c>.</summary>
public sealed record StatusPage(IReadOnlyList<EventStatus> Statuses, PageMeta? Meta);
