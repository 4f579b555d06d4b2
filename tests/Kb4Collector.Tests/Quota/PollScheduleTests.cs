using Kb4Collector.Quota;

namespace Kb4Collector.Tests.Quota;

public sealed class PollScheduleTests
{
    [Theory]
    // remaining, hours to midnight, sources, calls/poll, pollingInterval s => expected s
    [InlineData(1_000, 24, 1, 1, 300, 300)]       // plenty: the configured interval
    [InlineData(96, 24, 1, 1, 300, 900)]          // 96 polls over 24 h: every 15 min
    [InlineData(96, 24, 2, 1, 300, 1_800)]        // two sources share the key: each gets half
    [InlineData(96, 24, 1, 3, 300, 2_700)]        // three calls per poll: a third of the polls
    [InlineData(96, 12, 1, 1, 300, 450)]          // half a day left: the same calls go further
    [InlineData(10, 1, 1, 1, 60, 360)]
    [InlineData(1, 6, 1, 1, 300, 21_600)]         // one call left: it is the only poll for the rest of the day
    [InlineData(0, 6, 1, 1, 300, 21_600)]         // nothing left: until midnight
    [InlineData(2, 6, 3, 1, 300, 21_600)]         // not enough for every source: until midnight
    [InlineData(2, 6, 1, 3, 300, 21_600)]         // not enough for one poll: until midnight
    [InlineData(0, 0.001, 1, 1, 300, 300)]        // midnight is seconds away: never below the interval
    [InlineData(1_000_000, 24, 1, 1, 1, 1)]       // 1 s interval is allowed (tests, demos)
    public void NextInterval(int remaining, double hoursToMidnight, int sources, int callsPerPoll, int pollingSeconds, int expectedSeconds)
    {
        var interval = PollSchedule.NextInterval(
            remaining, TimeSpan.FromHours(hoursToMidnight), sources, callsPerPoll, TimeSpan.FromSeconds(pollingSeconds));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), interval);
    }

    [Fact]
    public void TheRemainingCallsAreNeverSpentBeforeMidnight()
    {
        var untilMidnight = TimeSpan.FromHours(24);
        var remaining = 500;
        var polls = 0;
        while (untilMidnight > TimeSpan.Zero && polls < 10_000)
        {
            remaining -= 2;
            polls++;
            untilMidnight -= PollSchedule.NextInterval(remaining, untilMidnight, 1, 2, TimeSpan.FromSeconds(60));
            Assert.True(remaining >= 0 || untilMidnight <= TimeSpan.Zero);
        }
        Assert.InRange(polls, 240, 251);
    }

    [Theory]
    [InlineData("2024-03-01T23:59:59.000Z", 1)]
    [InlineData("2024-03-01T00:00:00.000Z", 86_400)]
    [InlineData("2024-03-01T12:00:00.000+02:00", 50_400)]
    public void UntilNextUtcMidnight(string now, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), PollSchedule.UntilNextUtcMidnight(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void ImpossibleInputsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PollSchedule.NextInterval(10, TimeSpan.FromHours(1), 0, 1, TimeSpan.FromSeconds(300)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PollSchedule.NextInterval(10, TimeSpan.FromHours(1), 1, 0, TimeSpan.FromSeconds(300)));
        Assert.Throws<ArgumentOutOfRangeException>(() => PollSchedule.NextInterval(10, TimeSpan.FromHours(1), 1, 1, TimeSpan.Zero));
    }
}
