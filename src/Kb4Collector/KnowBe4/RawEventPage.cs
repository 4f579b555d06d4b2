namespace Kb4Collector.KnowBe4;

/// <summary>
/// One page of <c>GET /events</c> for forwarding: each event's exact bytes from the response body plus the two
/// fields the collector needs to order and deduplicate them.
/// </summary>
public sealed record RawEventPage(IReadOnlyList<RawEvent> Events, PageMeta Meta);

/// <summary>An event as received. <see cref="Json"/> is a slice of the response body, byte for byte.</summary>
public readonly record struct RawEvent(string Id, DateTimeOffset OccurredDate, ReadOnlyMemory<byte> Json);
