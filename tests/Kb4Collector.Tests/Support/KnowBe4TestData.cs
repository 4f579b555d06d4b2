namespace Kb4Collector.Tests.Support;

/// <summary>User Event API payloads: the spec's captured shapes (spec §2.1, §2.5, §2.6) verbatim, and builders.</summary>
internal static class KnowBe4TestData
{
    public const string ApiKey = "kb4-test-key-0123456789abcdef";

    /// <summary>The event object of spec §2.1, verbatim.</summary>
    public const string SpecEvent = """
        {
          "id": "786a515c-1cbd-4a8c-a94a-61ad877c893c",
          "account_id": 52306,
          "user": { "email": "user@example.com", "id": 38651943, "archived": false },
          "external_id": null,
          "source": null,
          "description": "My description",
          "occurred_date": "2022-08-09T10:05:13.890Z",
          "risk": { "level": 5, "decay_mode": 0, "expire_date": null },
          "metadata": null,
          "event_type": { "id": 420899085, "name": "event_type_55", "description": null }
        }
        """;

    /// <summary>The <c>meta</c> of spec §2.1, verbatim.</summary>
    public const string SpecMeta = """
        {
            "count": 3,
            "limit_value": 50,
            "total_pages": 1,
            "current_page": 1,
            "next_page": null,
            "prev_page": null,
            "is_first_page": true,
            "is_last_page": true,
            "is_out_of_range": false
          }
        """;

    /// <summary>GET /event_types of spec §2.5, verbatim.</summary>
    public const string SpecEventTypes = """
        {
          "data": [
            { "id": 2372028386, "account_id": 585832, "name": "User submitted SPAM", "description": null },
            { "id": 2372028387, "account_id": 585832, "name": "PhishRIP Message Found", "description": null }
          ],
          "meta": { "count": 2 }
        }
        """;

    /// <summary>The status object of spec §2.6, verbatim.</summary>
    public const string SpecStatus = """
        {
          "id": "abcdefgh-843c-4fc8-bb2f-decf89876f7b",
          "details": {
            "events":   ["87654321-a083-42b9-b50a-fb69b8e2b185"],
            "failures": []
          },
          "processed": "2023-04-01T14:39:40.132Z",
          "api_key": "Test Integration"
        }
        """;

    /// <summary>A page in the shape of spec §2.1 (pretty-printed like the captures) around the given events.</summary>
    public static string Page(string meta, params string[] events) =>
        "{\n  \"data\": [\n" + string.Join(",\n", events) + "\n  ],\n  \"meta\": " + meta + "\n}\n";

    public static string Meta(int currentPage, int totalPages, int count, int limit = 50) =>
        $$"""
        {"count":{{count}},"limit_value":{{limit}},"total_pages":{{totalPages}},"current_page":{{currentPage}},"next_page":{{(currentPage < totalPages ? (currentPage + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "null")}},"prev_page":{{(currentPage > 1 ? (currentPage - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : "null")}},"is_first_page":{{(currentPage == 1 ? "true" : "false")}},"is_last_page":{{(currentPage >= totalPages ? "true" : "false")}},"is_out_of_range":false}
        """;

    /// <summary>A compact event like the API's, with a chosen id, time and description (already JSON-escaped).</summary>
    public static string Event(string id, string occurredDate, string description = "Desc", string eventType = "Password lockout") =>
        "{\"id\":\"" + id + "\",\"account_id\":52306,\"user\":{\"email\":\"jane@example.com\",\"id\":38651943,\"archived\":false},"
        + "\"external_id\":\"ext-" + id + "\",\"source\":\"helpdesk\",\"description\":\"" + description + "\",\"occurred_date\":\"" + occurredDate + "\","
        + "\"risk\":{\"level\":3,\"decay_mode\":0,\"expire_date\":null},\"metadata\":null,"
        + "\"event_type\":{\"id\":420899085,\"name\":\"" + eventType + "\",\"description\":null}}";

    public static string Status(string id, string? processed, IEnumerable<string> eventIds, string failures = "[]") =>
        "{\"data\":{\"id\":\"" + id + "\",\"details\":{\"events\":[" + string.Join(",", eventIds.Select(e => "\"" + e + "\""))
        + "],\"failures\":" + failures + "},\"processed\":" + (processed is null ? "null" : "\"" + processed + "\"")
        + ",\"api_key\":\"Test Integration\"}}";
}
