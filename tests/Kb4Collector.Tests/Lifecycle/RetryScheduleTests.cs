using Kb4Collector.Lifecycle;

namespace Kb4Collector.Tests.Lifecycle;

public sealed class RetryScheduleTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetryPolicy Policy = RetryPolicy.Default;

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(5, 160)]
    [InlineData(6, 300)]
    [InlineData(40, 300)]
    [InlineData(int.MaxValue, 300)]
    public void BackoffDoublesFromFiveSecondsUpToFiveMinutesWithEqualJitter(int retriesSoFar, int ceilingSeconds)
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var delay = RetrySchedule.Backoff(Policy, retriesSoFar, random);

            Assert.InRange(delay, TimeSpan.FromSeconds(ceilingSeconds / 2.0), TimeSpan.FromSeconds(ceilingSeconds));
            Assert.Equal(0, delay.Ticks % TimeSpan.TicksPerMillisecond);
        }
    }

    [Fact]
    public void TheSameSeedGivesTheSameSchedule()
    {
        var first = Enumerable.Range(0, 10).Select(n => RetrySchedule.Backoff(Policy, n, new Random(99))).ToList();
        var second = Enumerable.Range(0, 10).Select(n => RetrySchedule.Backoff(Policy, n, new Random(99))).ToList();

        Assert.Equal(first, second);
    }

    [Fact]
    public void JitterSpreadsTheDelays()
    {
        var random = new Random(3);
        var delays = Enumerable.Range(0, 50).Select(_ => RetrySchedule.Backoff(Policy, 6, random)).Distinct().Count();

        Assert.True(delays > 40, $"only {delays} distinct delays");
    }

    [Fact]
    public void RetryAfterLongerThanTheBackoffIsHonoured()
    {
        var next = RetrySchedule.NextAttempt(Policy, Now, Now.AddMinutes(90), 0, TimeSpan.FromMinutes(3), new Random(1));

        Assert.Equal(Now.AddMinutes(3), next);
    }

    [Fact]
    public void RetryAfterShorterThanTheBackoffDoesNotShortenIt()
    {
        var next = RetrySchedule.NextAttempt(Policy, Now, Now.AddMinutes(90), 6, TimeSpan.FromSeconds(1), new Random(1));

        Assert.InRange(next!.Value, Now.AddSeconds(150), Now.AddSeconds(300));
    }

    [Fact]
    public void ABackoffPastTheWindowBecomesOneFinalAttemptExactlyAtItsEnd()
    {
        var windowEndsAt = Now.AddSeconds(30);

        var next = RetrySchedule.NextAttempt(Policy, Now, windowEndsAt, 10, null, new Random(1));

        Assert.Equal(windowEndsAt, next);
    }

    [Fact]
    public void NoAttemptIsScheduledOnceTheWindowHasClosed()
    {
        Assert.Null(RetrySchedule.NextAttempt(Policy, Now, Now, 3, null, new Random(1)));
        Assert.Null(RetrySchedule.NextAttempt(Policy, Now, Now.AddSeconds(-1), 3, null, new Random(1)));
    }

    [Fact]
    public void ARetryAfterReachingPastTheWindowEndsTheRetries()
    {
        Assert.Null(RetrySchedule.NextAttempt(Policy, Now, Now.AddMinutes(1), 0, TimeSpan.FromMinutes(2), new Random(1)));
    }

    [Fact]
    public void AttemptsNeverLieBeyondTheWindow()
    {
        var random = new Random(5);
        var windowEndsAt = Now.AddMinutes(90);
        var now = Now;
        for (var retries = 0; ; retries++)
        {
            var next = RetrySchedule.NextAttempt(Policy, now, windowEndsAt, retries, null, random);
            if (next is null)
            {
                Assert.Equal(windowEndsAt, now);
                break;
            }

            Assert.True(next > now && next <= windowEndsAt);
            now = next.Value;
        }
    }

    [Theory]
    [InlineData("2025-03-10T23:59:59Z", null, "2025-03-11T00:00:00Z")]
    [InlineData("2025-03-10T00:00:00Z", null, "2025-03-11T00:00:00Z")]
    [InlineData("2025-03-10T05:00:00Z", "07:30:00", "2025-03-10T07:30:00Z")]
    [InlineData("2025-03-10T08:00:00Z", "07:30:00", "2025-03-11T07:30:00Z")]
    [InlineData("2025-03-10T23:30:00-05:00", null, "2025-03-12T00:00:00Z")]
    public void TheQuotaResetsAtTheNextUtcMidnightOrTheConfiguredTimeOfDay(string now, string? resetTimeOfDay, string expected)
    {
        var reset = RetrySchedule.NextQuotaReset(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), resetTimeOfDay is null ? null : TimeSpan.Parse(resetTimeOfDay, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), reset);
    }

    [Fact]
    public void AResetTimeOutsideTheDayIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrySchedule.NextQuotaReset(Now, TimeSpan.FromHours(24)));
    }
}
