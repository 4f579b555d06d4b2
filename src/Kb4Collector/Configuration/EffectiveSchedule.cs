using System.Globalization;
using Kb4Collector.Quota;

namespace Kb4Collector.Configuration;

/// <summary>
/// How often a source will really poll on a quiet day: its <c>pollingInterval</c>, stretched when the key's daily budget
/// cannot pay for that many polls (<see cref="PollSchedule.NextInterval"/> over a whole UTC day), and why.
/// </summary>
public static class EffectiveSchedule
{
    /// <summary>An idle poll costs one call (DESIGN §12); backlog drains are one-offs and do not set the pace.</summary>
    public const int CallsPerIdlePoll = 1;

    public static TimeSpan Interval(SourceDefinition source, int sourcesSharingKey)
    {
        ArgumentNullException.ThrowIfNull(source);
        var budget = DailyBudget.Create(source.LicensedUsers, source.DailyCallBudget, collectorShare: source.MaxQuotaShare);
        return PollSchedule.NextInterval(budget.Scheduled, TimeSpan.FromDays(1), Math.Max(1, sourcesSharingKey), CallsPerIdlePoll, source.PollingInterval);
    }

    /// <summary>One line: the effective interval, the budget it comes from and whether the budget stretched the configured interval.</summary>
    public static string Describe(SourceDefinition source, int sourcesSharingKey)
    {
        ArgumentNullException.ThrowIfNull(source);
        var budget = DailyBudget.Create(source.LicensedUsers, source.DailyCallBudget, collectorShare: source.MaxQuotaShare);
        var interval = Interval(source, sourcesSharingKey);
        var origin = source.DailyCallBudget is not null ? "dailyCallBudget"
            : source.LicensedUsers is { } seats ? string.Create(CultureInfo.InvariantCulture, $"10 x {seats:N0} licensedUsers")
            : "the default; licensedUsers not given";
        var shared = sourcesSharingKey > 1 ? string.Create(CultureInfo.InvariantCulture, $", shared by the {sourcesSharingKey} sources using the key") : "";
        var pace = string.Create(CultureInfo.InvariantCulture,
            $"daily budget {budget.Total:N0} calls ({origin}), {budget.ManualReserve:N0} kept for manual calls, {budget.Scheduled:N0} for polling (maxQuotaShare {source.MaxQuotaShare:0.##}){shared}");
        var why = interval > source.PollingInterval
            ? $"the budget stretches pollingInterval {DurationParser.Format(source.PollingInterval)}: {pace}"
            : $"pollingInterval; {pace}";
        return $"polls every {DurationParser.Format(interval)} on a quiet day ({why})";
    }
}
