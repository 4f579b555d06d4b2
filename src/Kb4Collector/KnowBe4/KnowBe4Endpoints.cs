namespace Kb4Collector.KnowBe4;

/// <summary>The endpoint names used in <see cref="KnowBe4ApiException.Endpoint"/> and in messages.</summary>
public static class KnowBe4Endpoints
{
    public const string ListEvents = "GET /events";
    public const string GetEvent = "GET /events/{id}";
    public const string CreateEvent = "POST /events";
    public const string DeleteEvent = "DELETE /events/{id}";
    public const string ListEventTypes = "GET /event_types";
    public const string GetEventType = "GET /event_types/{id}";
    public const string ListStatuses = "GET /statuses";
    public const string GetStatus = "GET /statuses/{id}";
}
