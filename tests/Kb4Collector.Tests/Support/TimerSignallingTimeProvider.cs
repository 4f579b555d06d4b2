using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports each timer it creates, so a test can advance the clock exactly
/// when the code under test has started waiting (no guessing with real delays).
/// </summary>
internal sealed class TimerSignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>
    /// Runs <paramref name="work"/> to completion, advancing the clock by each new timer's due time as soon as the
    /// timer exists. Bounded by <paramref name="maxTimers"/> and by a real-time stall limit.
    /// </summary>
    public async Task<T> DriveAsync<T>(Task<T> work, int maxTimers = 100)
    {
        for (var timers = 0; timers < maxTimers && !work.IsCompleted; timers++)
        {
            var next = _created.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask();
            var first = await Task.WhenAny(work, next).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            if (first == next)
            {
                Advance(await next);
            }
        }
        return await work;
    }
}
