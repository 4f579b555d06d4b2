namespace Kb4Collector.Emulator;

/// <summary>
/// The Reporting API side of the emulator (<c>/v1/...</c>): how often phishing tests and training campaigns start, how
/// long they run, and the Reporting limits. Tests, recipients' results, enrollments and risk scores are a pure function
/// of the seed and the clock, so the ground truth knows every version of every record.
/// </summary>
public sealed record EmulatorReporting
{
    /// <summary>A new phishing security test starts this often (the first one <see cref="History"/> before the start).</summary>
    public TimeSpan PhishingTestEvery { get; init; } = TimeSpan.FromDays(2);

    /// <summary>How long a test tracks results; recipients' rows change only inside it, then the test is Closed.</summary>
    public TimeSpan PhishingTestDuration { get; init; } = TimeSpan.FromDays(3);

    /// <summary>Recipients per test (at most the account's users).</summary>
    public int RecipientsPerTest { get; init; } = 20;

    /// <summary>A new training campaign starts this often.</summary>
    public TimeSpan TrainingCampaignEvery { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long a campaign's enrollments take to be started and completed.</summary>
    public TimeSpan TrainingCampaignDuration { get; init; } = TimeSpan.FromDays(5);

    public int EnrollmentsPerCampaign { get; init; } = 15;

    /// <summary>How far before the scenario start the first test and campaign started.</summary>
    public TimeSpan History { get; init; } = TimeSpan.FromDays(6);

    /// <summary>Requests per second per account (0: off).</summary>
    public int RequestsPerSecond { get; init; } = 4;

    /// <summary>Requests per burst window per account (0: off); the window starts at the first request after the last one ended.</summary>
    public int RequestsPerMinute { get; init; } = 50;

    public TimeSpan BurstWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The daily limit is this plus the account's seats (KnowBe4's reference: 2,000 + seats; 0: off).</summary>
    public int DailyBase { get; init; } = 2_000;

    public bool DailyLimitOff { get; init; }

    /// <summary>
    /// Whether training enrollments answer by cursor when asked (<c>cursor=</c>, KnowBe4's reference). Off, the cursor is
    /// ignored and the answer is page 1 as a bare array, like a server without cursors.
    /// </summary>
    public bool EnrollmentCursors { get; init; } = true;

    public static EmulatorReporting LimitsOff { get; } = new() { RequestsPerSecond = 0, RequestsPerMinute = 0, DailyLimitOff = true };

    internal IEnumerable<(string Field, string Problem)> Problems()
    {
        if (PhishingTestEvery <= TimeSpan.Zero)
        {
            yield return ("reporting.phishingTestEvery", "must be positive");
        }
        if (PhishingTestDuration <= TimeSpan.Zero)
        {
            yield return ("reporting.phishingTestDuration", "must be positive");
        }
        if (TrainingCampaignEvery <= TimeSpan.Zero)
        {
            yield return ("reporting.trainingCampaignEvery", "must be positive");
        }
        if (TrainingCampaignDuration <= TimeSpan.Zero)
        {
            yield return ("reporting.trainingCampaignDuration", "must be positive");
        }
        if (RecipientsPerTest < 1 || EnrollmentsPerCampaign < 1)
        {
            yield return ("reporting.recipientsPerTest", "recipientsPerTest and enrollmentsPerCampaign must be at least 1");
        }
        if (BurstWindow <= TimeSpan.Zero)
        {
            yield return ("reporting.burstWindow", "must be positive");
        }
    }
}

/// <summary>One version of one Reporting record: what the API answered from <see cref="From"/> on (until the next version).</summary>
public sealed record ReportingRecordVersion(string DataType, string Key, DateTimeOffset From, string Json);
