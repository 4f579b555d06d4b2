using System.Globalization;
using System.Text.Json;

namespace Kb4Collector.KnowBe4;

/// <summary>
/// Reads a <c>GET /events</c> body in one <see cref="Utf8JsonReader"/> pass. Events are not deserialised: only
/// <c>id</c> and <c>occurred_date</c> are read, and each event object is kept as a slice of the body.
/// </summary>
internal static class RawEventPageParser
{
    /// <exception cref="FormatException">The body is not a valid events page; the message says where.</exception>
    public static RawEventPage Parse(ReadOnlyMemory<byte> body)
    {
        var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            return ParsePage(ref reader, body);
        }
        catch (InvalidOperationException exception)
        {
            // An id that is not valid UTF-8 cannot become a string.
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"invalid text at byte {reader.BytesConsumed}: {FirstSentence(exception.Message)}"), exception);
        }
        catch (JsonException exception)
        {
            throw new FormatException(
                string.Create(CultureInfo.InvariantCulture, $"invalid JSON at byte {reader.BytesConsumed}: {FirstSentence(exception.Message)}"),
                exception);
        }
    }

    private static RawEventPage ParsePage(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("the body is not a JSON object");
        }

        List<RawEvent>? events = null;
        PageMeta? meta = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                events = ReadEvents(ref reader, body);
            }
            else if (reader.ValueTextEquals("meta"u8))
            {
                reader.Read();
                meta = reader.TokenType == JsonTokenType.Null
                    ? null
                    : JsonSerializer.Deserialize(ref reader, KnowBe4JsonContext.Default.PageMeta);
            }
            else
            {
                reader.Skip();
            }
        }
        // The loop ends on the object's EndObject; anything but whitespace after it is invalid JSON.
        if (reader.Read())
        {
            throw new FormatException("unexpected content after the top-level object");
        }

        if (events is null)
        {
            throw new FormatException("the body has no 'data' array");
        }
        if (meta is null)
        {
            throw new FormatException("the body has no 'meta' object");
        }
        return new RawEventPage(events, meta);
    }

    private static List<RawEvent> ReadEvents(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException("'data' is not an array");
        }
        var events = new List<RawEvent>(EventQuery.MaxPerPage);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            events.Add(ReadEvent(ref reader, body, events.Count));
        }
        return events;
    }

    private static RawEvent ReadEvent(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, int index)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"the event at index {index} is not a JSON object"));
        }
        var start = (int)reader.TokenStartIndex;
        string? id = null;
        DateTimeOffset? occurredDate = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                if (string.IsNullOrEmpty(id))
                {
                    throw Invalid(index, "id");
                }
            }
            else if (reader.ValueTextEquals("occurred_date"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value))
                {
                    throw Invalid(index, "occurred_date");
                }
                occurredDate = value;
            }
            else
            {
                reader.Skip();
            }
        }
        var end = (int)reader.BytesConsumed;
        if (id is null)
        {
            throw Invalid(index, "id");
        }
        if (occurredDate is null)
        {
            throw Invalid(index, "occurred_date");
        }
        var json = body[start..end];
        // Forwarded byte for byte, but never as invalid UTF-8: a SIEM may drop or mangle the whole batch. Bad bytes become U+FFFD.
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            json = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(json.Span));
        }
        return new RawEvent(id, occurredDate.Value, json);
    }

    private static FormatException Invalid(int index, string field) =>
        new(string.Create(CultureInfo.InvariantCulture, $"the event at index {index} has no valid '{field}'"));

    /// <summary>
    /// The reader's first sentence, control characters escaped: System.Text.Json quotes the offending text, and a
    /// body with a newline or ESC there must not forge a log line or a health event's second line.
    /// </summary>
    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return Configuration.Text.Escape(end < 0 ? message : message[..(end + 1)]);
    }
}
