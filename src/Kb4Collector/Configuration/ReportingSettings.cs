using System.Globalization;
using System.Text;

namespace Kb4Collector.Configuration;

/// <summary>The Reporting API data types a source may collect, as <c>dataTypes</c> spells them.</summary>
public enum ReportingDataType
{
    PhishingTests,
    TrainingEnrollments,
    UserRiskScores,
}

public static class ReportingDataTypes
{
    public const string PhishingTests = "phishingTests";
    public const string TrainingEnrollments = "trainingEnrollments";
    public const string UserRiskScores = "userRiskScores";

    /// <summary>The User Event API, in Sumo's KB4-v2/v3 words.</summary>
    public const string ExternalEvents = "externalEvents";

    public static string Name(ReportingDataType type) => type switch
    {
        ReportingDataType.PhishingTests => PhishingTests,
        ReportingDataType.TrainingEnrollments => TrainingEnrollments,
        _ => UserRiskScores,
    };

    public static bool TryParse(string text, out ReportingDataType type)
    {
        foreach (var candidate in Enum.GetValues<ReportingDataType>())
        {
            if (string.Equals(Name(candidate), text, StringComparison.Ordinal))
            {
                type = candidate;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>Every value <c>dataTypes</c> accepts.</summary>
    public static IReadOnlyList<string> Accepted { get; } = [PhishingTests, TrainingEnrollments, UserRiskScores, ExternalEvents];
}

/// <summary>
/// A source's Reporting API side (Sumo's "KnowBe4 KMSAT" schema): its own host, key, budget and one schedule per data
/// type. Printing it masks the key.
/// </summary>
public sealed record ReportingSettings
{
    public static readonly TimeSpan DefaultPhishingPollInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultTrainingPollInterval = TimeSpan.FromHours(6);
    public static readonly TimeSpan DefaultRiskScorePollInterval = TimeSpan.FromHours(24);
    public static readonly TimeSpan DefaultQuietPeriod = TimeSpan.FromDays(14);

    public required Uri BaseUrl { get; init; }

    /// <summary>The resolved Reporting API key. Never log or print it; use <see cref="ApiKeyFingerprint"/>.</summary>
    public required string ApiKey { get; init; }

    public string ApiKeyReference { get; init; } = "literal";

    public required IReadOnlyList<ReportingDataType> DataTypes { get; init; }

    public TimeSpan PhishingPollInterval { get; init; } = DefaultPhishingPollInterval;

    public TimeSpan TrainingPollInterval { get; init; } = DefaultTrainingPollInterval;

    public TimeSpan RiskScorePollInterval { get; init; } = DefaultRiskScorePollInterval;

    /// <summary>A closed test whose recipients have not changed for this long is no longer read.</summary>
    public TimeSpan QuietPeriod { get; init; } = DefaultQuietPeriod;

    /// <summary>Seats for the daily budget (1,000 + seats); read from <c>GET /v1/account</c> when absent.</summary>
    public int? Seats { get; init; }

    /// <summary>An explicit daily budget for the key, instead of 1,000 + seats.</summary>
    public int? DailyCallBudget { get; init; }

    public string ApiKeyFingerprint => Quota.ApiKeyFingerprint.Of(ApiKey);

    public TimeSpan PollInterval(ReportingDataType type) => type switch
    {
        ReportingDataType.PhishingTests => PhishingPollInterval,
        ReportingDataType.TrainingEnrollments => TrainingPollInterval,
        _ => RiskScorePollInterval,
    };

    /// <summary>Every setting as text (the key as its fingerprint), for the source's config fingerprint.</summary>
    public string Canonical()
    {
        var text = new StringBuilder();
        text.Append(BaseUrl.AbsoluteUri).Append('\n').Append(ApiKeyFingerprint).Append('\n')
            .Append(string.Join(',', DataTypes.Select(ReportingDataTypes.Name))).Append('\n')
            .Append(CultureInfo.InvariantCulture, $"{PhishingPollInterval.Ticks}/{TrainingPollInterval.Ticks}/{RiskScorePollInterval.Ticks}/{QuietPeriod.Ticks}/{Seats}/{DailyCallBudget}");
        return text.ToString();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("BaseUrl = ").Append(BaseUrl)
            .Append(", ApiKey = ").Append(SourceDefinition.Mask)
            .Append(", ApiKeyFingerprint = ").Append(ApiKeyFingerprint)
            .Append(", DataTypes = ").Append(string.Join(",", DataTypes.Select(ReportingDataTypes.Name)));
        return true;
    }
}
