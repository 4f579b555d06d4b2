using System.Globalization;

namespace Kb4Collector.Collection;

/// <summary>
/// How a source spends its share of the key's daily calls: how often it polls and how often each tracked day is read
/// again in full. Derived from the budget, never assumed: when the budget cannot pay for the configured interval and
/// rescan interval, both stretch and <see cref="PaysForHorizon"/> says so.
/// </summary>
/// <param name="DailyCalls">Calls per UTC day this source may spend (its share of the key's collector budget).</param>
/// <param name="PollInterval">The interval between polls the budget pays for (never below the configured one).</param>
/// <param name="RescanPeriod">How often each tracked day is read again in full; <see cref="TimeSpan.MaxValue"/> when never.</param>
/// <param name="RescanPassCost">Calls one re-read of every tracked day costs today.</param>
/// <param name="PaysForHorizon">Whether the budget pays for the configured polling interval and rescan interval.</param>
public sealed record CollectionPlan(int DailyCalls, TimeSpan PollInterval, TimeSpan RescanPeriod, int RescanPassCost, bool PaysForHorizon)
{
    /// <summary>Part of the budget kept free for the extra calls a change costs (counting days, reading on).</summary>
    public const double Slack = 0.1;

    private const double MaxRescanPeriodDays = 3650;

    public double PollsPerDay => TimeSpan.FromDays(1) / PollInterval;

    /// <param name="scheduledDailyCalls">The key's calls per day the collector may spend (after its share and the manual reserve).</param>
    /// <param name="sourcesSharingKey">Sources collecting with the same key (they share its budget evenly).</param>
    /// <param name="pollingInterval">The configured minimum interval between polls.</param>
    /// <param name="rescanInterval">The configured interval between full re-reads of each tracked day.</param>
    /// <param name="rescanPassCost">Calls one full re-read of every tracked day costs.</param>
    public static CollectionPlan Create(int scheduledDailyCalls, int sourcesSharingKey, TimeSpan pollingInterval, TimeSpan rescanInterval, int rescanPassCost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourcesSharingKey, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollingInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rescanInterval, TimeSpan.Zero);
        var day = TimeSpan.FromDays(1);
        var perSource = Math.Max(0, scheduledDailyCalls) / (double)sourcesSharingKey;
        var usable = perSource * (1 - Slack);
        var pollCalls = day / pollingInterval;
        var rescanCalls = rescanPassCost * (day / rescanInterval);
        if (pollCalls + rescanCalls <= usable)
        {
            return new CollectionPlan((int)perSource, pollingInterval, rescanInterval, rescanPassCost, PaysForHorizon: true);
        }

        // Not enough for both: new events keep at least half of what is usable, re-reads get what is left.
        var forRescans = Math.Min(rescanCalls, usable / 2);
        var forPolls = Math.Max(usable - forRescans, 1);
        var pollInterval = Max(pollingInterval, day / forPolls);
        var leftForRescans = usable - (day / pollInterval);
        var periodDays = rescanPassCost == 0 ? 0 : leftForRescans <= 0 ? double.PositiveInfinity : rescanPassCost / leftForRescans;
        var rescanPeriod = periodDays > MaxRescanPeriodDays ? TimeSpan.MaxValue : Max(rescanInterval, TimeSpan.FromDays(periodDays));
        return new CollectionPlan((int)perSource, pollInterval, rescanPeriod, rescanPassCost, PaysForHorizon: false);
    }

    /// <summary>Whether <paramref name="calls"/> fit in what a day of this plan leaves beside its polls (one call each).</summary>
    public bool FitsADay(int calls) => calls <= (DailyCalls * (1 - Slack)) - PollsPerDay;

    /// <summary>One line for the log and the admin endpoint.</summary>
    public string Describe()
    {
        var rescans = RescanPeriod == TimeSpan.MaxValue ? "never (no calls left for it)" : "every " + Configuration.DurationParser.FormatRoundedUp(RescanPeriod);
        var verdict = PaysForHorizon ? "the budget pays for the configured schedule" : "the budget does NOT pay for the configured schedule: both are stretched";
        return string.Create(CultureInfo.InvariantCulture,
            $"{DailyCalls} calls/day: poll every {Configuration.DurationParser.FormatRoundedUp(PollInterval)} ({PollsPerDay:0.#} polls/day), re-read each tracked day {rescans} ({RescanPassCost} calls a pass); {verdict}");
    }

    private static TimeSpan Max(TimeSpan left, TimeSpan right) => left > right ? left : right;
}
