using System.Threading.RateLimiting;
using Kb4Collector.Quota;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Quota;

public sealed class RollingWindowRateLimiterTests
{
    private static readonly DateTimeOffset Start = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NeverGrantsMoreThanFourInAnyOneSecondWindowUnderConcurrentAcquires()
    {
        var time = new FakeTimeProvider(Start);
        using var limiter = new RollingWindowRateLimiter(4, TimeSpan.FromSeconds(1), 1_000, time);
        var pending = new List<Task<RateLimitLease>>();
        var grants = new List<DateTimeOffset>();

        // Every 50 ms for 3 s, three threads ask at once; grants land on the 50 ms grid, so checking after each step sees exact grant times.
        for (var step = 0; step < 1_000 && (step < 60 || pending.Count > 0); step++)
        {
            if (step < 60)
            {
                var calls = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(() => limiter.AcquireAsync(1, Ct).AsTask(), Ct, TaskCreationOptions.None, TaskScheduler.Default));
                pending.AddRange(await Task.WhenAll(calls));
            }
            foreach (var granted in pending.Where(task => task.IsCompleted).ToList())
            {
                Assert.True((await granted).IsAcquired);
                grants.Add(time.GetUtcNow());
                pending.Remove(granted);
            }
            time.Advance(Step);
        }

        Assert.Equal(180, grants.Count);
        for (var i = 4; i < grants.Count; i++)
        {
            // Never closer than a second (the ceiling) and, with waiters queued, never later (the pace is the full 4/s).
            Assert.True(grants[i] - grants[i - 4] == TimeSpan.FromSeconds(1), $"grants {i - 4} and {i} are {(grants[i] - grants[i - 4]).TotalMilliseconds} ms apart");
        }
        Assert.Equal(4, grants.Count(grant => grant - grants[0] < TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AQueuedAcquireWaitsForTheOldestGrantToLeaveTheWindow()
    {
        var time = new FakeTimeProvider(Start);
        using var limiter = new RollingWindowRateLimiter(4, TimeSpan.FromSeconds(1), 10, time);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.AcquireAsync(1, Ct)).IsAcquired);
        }
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.True((await limiter.AcquireAsync(1, Ct)).IsAcquired);

        var fifth = limiter.AcquireAsync(1, Ct).AsTask();
        var sixth = limiter.AcquireAsync(1, Ct).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(599));
        Assert.False(fifth.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(fifth.IsCompleted);
        Assert.True(sixth.IsCompleted); // the first three left together
        Assert.True((await fifth).IsAcquired);
        Assert.Equal(0, limiter.GetStatistics()!.CurrentQueuedCount);
    }

    [Fact]
    public async Task AttemptAcquireRefusesWithTheWaitWhenTheWindowIsFull()
    {
        var time = new FakeTimeProvider(Start);
        using var limiter = new RollingWindowRateLimiter(4, TimeSpan.FromSeconds(1), 10, time);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(limiter.AttemptAcquire().IsAcquired);
        }
        time.Advance(TimeSpan.FromMilliseconds(250));

        using var refused = limiter.AttemptAcquire();

        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(750), retryAfter);
        Assert.Equal(1, limiter.GetStatistics()!.TotalFailedLeases);
        Assert.Equal(4, limiter.GetStatistics()!.TotalSuccessfulLeases);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ACancelledWaiterLeavesTheQueueAndTheNextOneIsServed()
    {
        var time = new FakeTimeProvider(Start);
        using var limiter = new RollingWindowRateLimiter(4, TimeSpan.FromSeconds(1), 10, time);
        for (var i = 0; i < 4; i++)
        {
            await limiter.AcquireAsync(1, Ct);
        }
        using var cancel = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(1, cancel.Token).AsTask();
        var next = limiter.AcquireAsync(1, Ct).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, limiter.GetStatistics()!.CurrentQueuedCount);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await next).IsAcquired);
        Assert.Equal(3, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task AFullQueueRefusesAtOnce()
    {
        var time = new FakeTimeProvider(Start);
        using var limiter = new RollingWindowRateLimiter(4, TimeSpan.FromSeconds(1), 1, time);
        for (var i = 0; i < 4; i++)
        {
            await limiter.AcquireAsync(1, Ct);
        }
        var queued = limiter.AcquireAsync(1, Ct).AsTask();

        using var refused = await limiter.AcquireAsync(1, Ct);

        Assert.False(refused.IsAcquired);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task DisposingRefusesTheWaiters()
    {
        var time = new FakeTimeProvider(Start);
        var limiter = new RollingWindowRateLimiter(4, TimeSpan.FromSeconds(1), 10, time);
        for (var i = 0; i < 4; i++)
        {
            await limiter.AcquireAsync(1, Ct);
        }
        var waiting = limiter.AcquireAsync(1, Ct).AsTask();

        limiter.Dispose();

        Assert.False((await waiting).IsAcquired);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => limiter.AcquireAsync(1, Ct).AsTask());
    }
}
