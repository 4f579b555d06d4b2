using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kb4Collector.KnowBe4;

/// <summary>The <c>{"data": ..., "meta": ...}</c> wrapper of every list answer.</summary>
internal sealed record ListEnvelope<T>(IReadOnlyList<T> Data, PageMeta? Meta = null);

/// <summary>The <c>{"data": ...}</c> wrapper of every single-item answer.</summary>
internal sealed record ItemEnvelope<T>(T Data);

/// <summary><c>GET /event_types</c> carries only <c>meta.count</c>.</summary>
internal sealed record CountMeta(int Count = 0);

internal sealed record EventTypeListEnvelope(IReadOnlyList<EventType> Data, CountMeta? Meta = null);

/// <summary>The answer of <c>POST /events</c>: <c>{"data":{"id":"&lt;request id&gt;"}}</c>.</summary>
internal sealed record CreatedRequest(string Id);

/// <summary>An error body such as <c>{"message":"Limit Exceeded"}</c>.</summary>
internal sealed record ErrorBody(string? Message = null, string? Error = null);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ListEnvelope<UserEvent>))]
[JsonSerializable(typeof(ItemEnvelope<UserEvent>))]
[JsonSerializable(typeof(EventTypeListEnvelope))]
[JsonSerializable(typeof(ItemEnvelope<EventType>))]
[JsonSerializable(typeof(ListEnvelope<EventStatus>))]
[JsonSerializable(typeof(ItemEnvelope<EventStatus>))]
[JsonSerializable(typeof(ItemEnvelope<CreatedRequest>))]
[JsonSerializable(typeof(CreateEventRequest))]
[JsonSerializable(typeof(PageMeta))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class KnowBe4JsonContext : JsonSerializerContext;
