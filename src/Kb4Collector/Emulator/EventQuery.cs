using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Kb4Collector.Emulator;

internal enum EventOrder
{
    OccurredDate,
    Id,
    EventType,
}

/// <summary>The query of GET /events: paging, one order, and equality filters (dates as UTC days).</summary>
internal sealed record EventQuery
{
    public PageRequest Paging { get; init; }
    public EventOrder OrderBy { get; init; }
    public bool Descending { get; init; } = true;
    public string? EventType { get; init; }
    public string? TargetUser { get; init; }
    public string? ExternalId { get; init; }
    public string? Source { get; init; }
    public DateOnly? OccurredDate { get; init; }
    public int? RiskLevel { get; init; }
    public int? RiskDecayMode { get; init; }
    public DateOnly? RiskExpireDate { get; init; }

    /// <summary>True when the timeline index answers the query without filtering or sorting.</summary>
    public bool UsesIndex =>
        OrderBy == EventOrder.OccurredDate && EventType is null && TargetUser is null && ExternalId is null
        && Source is null && RiskLevel is null && RiskDecayMode is null && RiskExpireDate is null;

    public static bool TryParse(IQueryCollection query, out EventQuery result, out string error)
    {
        result = new EventQuery { Paging = PageRequest.Parse(Value(query, "page"), Value(query, "per_page")) };
        error = string.Empty;

        if (Value(query, "order_by") is { } orderBy)
        {
            EventOrder? order = orderBy.ToLowerInvariant() switch
            {
                "occurred_date" => EventOrder.OccurredDate,
                "id" => EventOrder.Id,
                "event_type" => EventOrder.EventType,
                _ => null,
            };
            if (order is null)
            {
                error = "order_by must be one of id, event_type, occurred_date";
                return false;
            }
            result = result with { OrderBy = order.Value };
        }
        if (Value(query, "order_direction") is { } direction)
        {
            if (!direction.Equals("asc", StringComparison.OrdinalIgnoreCase) && !direction.Equals("desc", StringComparison.OrdinalIgnoreCase))
            {
                error = "order_direction must be asc or desc";
                return false;
            }
            result = result with { Descending = direction.Equals("desc", StringComparison.OrdinalIgnoreCase) };
        }
        result = result with
        {
            EventType = Value(query, "event_type"),
            TargetUser = Value(query, "target_user"),
            ExternalId = Value(query, "external_id"),
            Source = Value(query, "source"),
        };
        if (!TryDate(query, "occurred_date", out var occurred, ref error)
            || !TryDate(query, "risk_expire_date", out var expire, ref error)
            || !TryInt(query, "risk_level", -10, 10, out var level, ref error)
            || !TryInt(query, "risk_decay_mode", 0, 1, out var decay, ref error))
        {
            return false;
        }
        result = result with { OccurredDate = occurred, RiskExpireDate = expire, RiskLevel = level, RiskDecayMode = decay };
        return true;
    }

    public bool Matches(EmulatorEvent item) =>
        (OccurredDate is not { } day || DateOnly.FromDateTime(item.OccurredDate.UtcDateTime) == day)
        && (EventType is null || item.Type.Name.Equals(EventType, StringComparison.OrdinalIgnoreCase)
            || item.Type.Id.ToString(CultureInfo.InvariantCulture) == EventType)
        && (TargetUser is null || item.User.Email.Equals(TargetUser, StringComparison.OrdinalIgnoreCase)
            || item.User.Id.ToString(CultureInfo.InvariantCulture) == TargetUser)
        && (ExternalId is null || string.Equals(item.ExternalId, ExternalId, StringComparison.Ordinal))
        && (Source is null || string.Equals(item.Source, Source, StringComparison.Ordinal))
        && (RiskLevel is null || item.RiskLevel == RiskLevel)
        && (RiskDecayMode is null || item.RiskDecayMode == RiskDecayMode)
        && (RiskExpireDate is null || item.RiskExpireDate == RiskExpireDate);

    public Comparison<EmulatorEvent> Comparison()
    {
        Comparison<EmulatorEvent> ascending = OrderBy switch
        {
            EventOrder.Id => static (left, right) => string.CompareOrdinal(left.Id, right.Id),
            EventOrder.EventType => static (left, right) =>
            {
                var byName = string.Compare(left.Type.Name, right.Type.Name, StringComparison.OrdinalIgnoreCase);
                return byName != 0 ? byName : EventTimeline.Compare(left, right);
            },
            _ => EventTimeline.Compare,
        };
        return Descending ? (left, right) => ascending(right, left) : ascending;
    }

    /// <summary>The first non-empty value of a query parameter; blank counts as absent.</summary>
    internal static string? Value(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0]!.Trim() : null;

    internal static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    private static bool TryDate(IQueryCollection query, string name, out DateOnly? value, ref string error)
    {
        value = null;
        if (Value(query, name) is not { } text)
        {
            return true;
        }
        if (!TryParseDay(text, out var day))
        {
            error = $"{name} must be a date (YYYY-MM-DD)";
            return false;
        }
        value = day;
        return true;
    }

    private static bool TryInt(IQueryCollection query, string name, int min, int max, out int? value, ref string error)
    {
        value = null;
        if (Value(query, name) is not { } text)
        {
            return true;
        }
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            error = $"{name} must be an integer from {min} to {max}";
            return false;
        }
        value = number;
        return true;
    }
}
