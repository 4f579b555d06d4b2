using System.Text.Json;

namespace Kb4Collector.KnowBe4;

/// <summary>The body of <c>POST /events</c>. Unset optional fields are not sent.</summary>
public sealed record CreateEventRequest(string TargetUser, string EventType)
{
    public string? ExternalId { get; init; }

    public string? Source { get; init; }

    public string? Description { get; init; }

    /// <summary>Defaults to now (UTC) on the server.</summary>
    public DateOnly? OccurredDate { get; init; }

    /// <summary>-10 (low risk) to 10 (high risk).</summary>
    public int? RiskLevel
    {
        get;
        init => field = value is null or (>= EventQuery.MinRiskLevel and <= EventQuery.MaxRiskLevel) ? value : throw new ArgumentOutOfRangeException(nameof(RiskLevel), value, $"The risk level must be between {EventQuery.MinRiskLevel} and {EventQuery.MaxRiskLevel}.");
    }

    /// <summary>0 or 1.</summary>
    public int? RiskDecayMode
    {
        get;
        init => field = value is null or 0 or 1 ? value : throw new ArgumentOutOfRangeException(nameof(RiskDecayMode), value, "The risk decay mode must be 0 or 1.");
    }

    /// <summary>Defaults to the occurred date plus one month on the server.</summary>
    public DateOnly? RiskExpireDate { get; init; }

    /// <summary>Free-form JSON sent as <c>metadata</c>.</summary>
    public JsonElement? Metadata { get; init; }
}
