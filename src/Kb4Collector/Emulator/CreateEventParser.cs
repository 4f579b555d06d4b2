using System.Globalization;
using System.Text.Json;

namespace Kb4Collector.Emulator;

/// <summary>Validates a POST /events body (spec §2.3); a problem becomes a 400 message.</summary>
internal static class CreateEventParser
{
    public const int MaxBodyBytes = 64 * 1024;

    public static bool TryParse(ReadOnlyMemory<byte> body, out CreateEventRequest? request, out string error)
    {
        request = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            error = "Request body must be valid JSON";
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "Request body must be a JSON object";
                return false;
            }
            if (!TryString(root, "target_user", 320, out var targetUser, out error)
                || !TryString(root, "event_type", 255, out var eventType, out error)
                || !TryString(root, "external_id", 64, out var externalId, out error)
                || !TryString(root, "source", 255, out var source, out error)
                || !TryString(root, "description", 255, out var description, out error)
                || !TryOccurred(root, out var occurred, out error)
                || !TryInt(root, "risk_level", -10, 10, out var riskLevel, out error)
                || !TryInt(root, "risk_decay_mode", 0, 1, out var decayMode, out error)
                || !TryDay(root, "risk_expire_date", out var expire, out error))
            {
                return false;
            }
            if (targetUser is null)
            {
                error = "target_user is required";
                return false;
            }
            if (eventType is null)
            {
                error = "event_type is required";
                return false;
            }
            string? metadata = null;
            if (root.TryGetProperty("metadata", out var metadataElement) && metadataElement.ValueKind != JsonValueKind.Null)
            {
                if (metadataElement.ValueKind != JsonValueKind.Object)
                {
                    error = "metadata must be a JSON object";
                    return false;
                }
                metadata = metadataElement.GetRawText();
            }
            request = new CreateEventRequest(targetUser, eventType, externalId, source, description, occurred, riskLevel, decayMode, expire, metadata);
            error = string.Empty;
            return true;
        }
    }

    private static bool TryString(JsonElement root, string name, int maxLength, out string? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{name} must be a string";
            return false;
        }
        var text = element.GetString()!.Trim();
        if (text.Length > maxLength)
        {
            error = $"{name} must be at most {maxLength} characters";
            return false;
        }
        value = text.Length == 0 ? null : text;
        return true;
    }

    /// <summary><c>YYYY-MM-DD</c> becomes midnight UTC; a full ISO-8601 timestamp is kept (to the millisecond).</summary>
    private static bool TryOccurred(JsonElement root, out DateTimeOffset? value, out string error)
    {
        value = null;
        if (!TryString(root, "occurred_date", 64, out var text, out error) || text is null)
        {
            return error.Length == 0;
        }
        if (EventQuery.TryParseDay(text, out var day))
        {
            value = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }
        if (text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            value = EmulatorState.Truncate(instant);
            return true;
        }
        error = "occurred_date must be a date (YYYY-MM-DD)";
        return false;
    }

    private static bool TryDay(JsonElement root, string name, out DateOnly? value, out string error)
    {
        value = null;
        if (!TryString(root, name, 64, out var text, out error) || text is null)
        {
            return error.Length == 0;
        }
        if (!EventQuery.TryParseDay(text, out var day))
        {
            error = $"{name} must be a date (YYYY-MM-DD)";
            return false;
        }
        value = day;
        return true;
    }

    /// <summary>Accepts a JSON number or a numeric string (XSOAR sends risk_decay_mode as "0"/"1").</summary>
    private static bool TryInt(JsonElement root, string name, int min, int max, out int? value, out string error)
    {
        value = null;
        error = string.Empty;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        int number;
        var ok = element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetInt32(out number),
            JsonValueKind.String => int.TryParse(element.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number),
            _ => (number = 0) != 0,
        };
        if (!ok || number < min || number > max)
        {
            error = $"{name} must be an integer from {min} to {max}";
            return false;
        }
        value = number;
        return true;
    }
}
