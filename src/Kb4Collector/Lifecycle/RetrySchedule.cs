namespace Kb4Collector.Lifecycle;

/// <summary>Pure timing decisions: when to retry inside the window, and when the daily quota comes back.</summary>
public static class RetrySchedule
{
    /// <summary>
    /// The delay after <paramref name="retriesSoFar"/> failed retries: the capped exponential delay with "equal
    /// jitter" (uniform between half of it and all of it), so sources failing together spread out but never
    /// come back almost at once. Whole milliseconds, as LiteDB stores times.
    /// </summary>
    public static TimeSpan Backoff(RetryPolicy policy, int retriesSoFar, Random random)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(random);
        var exponential = policy.InitialDelay.TotalMilliseconds * Math.Pow(policy.Multiplier, Math.Clamp(retriesSoFar, 0, 64));
        var ceiling = Math.Min(policy.MaxDelay.TotalMilliseconds, exponential);
        return TimeSpan.FromMilliseconds(Math.Round((ceiling / 2) + (random.NextDouble() * ceiling / 2)));
    }

    /// <summary>
    /// When to try again after a Generic failure at <paramref name="now"/>, or null when no attempt fits before
    /// <paramref name="windowEndsAt"/> (the source then stays in Error). The attempt honours <paramref name="retryAfter"/>
    /// and never lies past the window's end, except that a backoff overshooting the end is pulled in to one final
    /// attempt exactly at the end: a failure that clears before the window closes is always noticed.
    /// </summary>
    public static DateTimeOffset? NextAttempt(
        RetryPolicy policy, DateTimeOffset now, DateTimeOffset windowEndsAt, int retriesSoFar, TimeSpan? retryAfter, Random random)
    {
        var serverWait = retryAfter is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        var delay = Backoff(policy, retriesSoFar, random);
        var attempt = now + (serverWait > delay ? serverWait : delay);
        if (attempt <= windowEndsAt)
        {
            return attempt;
        }

        return now < windowEndsAt && now + serverWait <= windowEndsAt ? windowEndsAt : null;
    }

    /// <summary>The first quota reset strictly after <paramref name="now"/>: UTC midnight, or the given UTC time of day.</summary>
    public static DateTimeOffset NextQuotaReset(DateTimeOffset now, TimeSpan? resetTimeOfDayUtc = null)
    {
        if (resetTimeOfDayUtc is { } timeOfDay && (timeOfDay < TimeSpan.Zero || timeOfDay >= TimeSpan.FromDays(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(resetTimeOfDayUtc), timeOfDay, "A time of day lies between 00:00 and 24:00.");
        }

        var utcNow = now.ToUniversalTime();
        var reset = new DateTimeOffset(utcNow.Date, TimeSpan.Zero) + (resetTimeOfDayUtc ?? TimeSpan.Zero);
        return reset > utcNow ? reset : reset.AddDays(1);
    }
}
