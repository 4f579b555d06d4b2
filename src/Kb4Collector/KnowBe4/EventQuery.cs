namespace Kb4Collector.KnowBe4;

/// <summary>Sort keys of <c>GET /events</c> (<c>order_by</c>).</summary>
public enum EventOrderBy
{
    Id,
    EventType,
    OccurredDate,
}

/// <summary>Sort direction (<c>order_direction</c>).</summary>
public enum SortDirection
{
    Asc,
    Desc,
}

/// <summary>Page and filters of <c>GET /events</c>. Only the values that are set reach the query string.</summary>
public sealed record EventQuery
{
    public const int MaxPerPage = 100;
    public const int MinRiskLevel = -10;
    public const int MaxRiskLevel = 10;

    /// <summary>1-based page number.</summary>
    public int? Page
    {
        get;
        init => field = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Page), value, "The page must be 1 or more.");
    }

    /// <summary>Page size, 1 to 100.</summary>
    public int? PerPage
    {
        get;
        init => field = value is null or (>= 1 and <= MaxPerPage) ? value : throw new ArgumentOutOfRangeException(nameof(PerPage), value, $"per_page must be between 1 and {MaxPerPage}.");
    }

    /// <summary>Event type name.</summary>
    public string? EventType { get; init; }

    /// <summary>The user's email address.</summary>
    public string? TargetUser { get; init; }

    public string? ExternalId { get; init; }

    public string? Source { get; init; }

    /// <summary>Day of occurrence (UTC day, <c>YYYY-MM-DD</c>).</summary>
    public DateOnly? OccurredDate { get; init; }

    /// <summary>Risk level, -10 to 10.</summary>
    public int? RiskLevel
    {
        get;
        init => field = value is null or (>= MinRiskLevel and <= MaxRiskLevel) ? value : throw new ArgumentOutOfRangeException(nameof(RiskLevel), value, $"The risk level must be between {MinRiskLevel} and {MaxRiskLevel}.");
    }

    /// <summary>Risk decay mode, 0 or 1.</summary>
    public int? RiskDecayMode
    {
        get;
        init => field = value is null or 0 or 1 ? value : throw new ArgumentOutOfRangeException(nameof(RiskDecayMode), value, "The risk decay mode must be 0 or 1.");
    }

    public DateOnly? RiskExpireDate { get; init; }

    public EventOrderBy? OrderBy { get; init; }

    public SortDirection? OrderDirection { get; init; }

    /// <summary>The query string including its leading <c>?</c>, or an empty string when nothing is set.</summary>
    public string ToQueryString()
    {
        var builder = new QueryStringBuilder();
        builder.Add("page", Page);
        builder.Add("per_page", PerPage);
        builder.Add("event_type", EventType);
        builder.Add("target_user", TargetUser);
        builder.Add("external_id", ExternalId);
        builder.Add("source", Source);
        builder.Add("occurred_date", OccurredDate);
        builder.Add("risk_level", RiskLevel);
        builder.Add("risk_decay_mode", RiskDecayMode);
        builder.Add("risk_expire_date", RiskExpireDate);
        builder.Add("order_by", OrderBy switch
        {
            null => null,
            EventOrderBy.Id => "id",
            EventOrderBy.EventType => "event_type",
            EventOrderBy.OccurredDate => "occurred_date",
            _ => throw new ArgumentOutOfRangeException(nameof(OrderBy), OrderBy, "Unknown sort key."),
        });
        builder.Add("order_direction", OrderDirection switch
        {
            null => null,
            SortDirection.Asc => "asc",
            SortDirection.Desc => "desc",
            _ => throw new ArgumentOutOfRangeException(nameof(OrderDirection), OrderDirection, "Unknown sort direction."),
        });
        return builder.ToString();
    }
}
