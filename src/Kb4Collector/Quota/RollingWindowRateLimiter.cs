using System.Threading.RateLimiting;

namespace Kb4Collector.Quota;

/// <summary>
/// Grants at most <c>permitLimit</c> permits in any window of <c>window</c> length, exactly: a permit is granted at time
/// <c>t</c> only if fewer than the limit were granted in <c>(t - window, t]</c>. Waiters are served first come, first
/// served. Time comes from the injected <see cref="TimeProvider"/> (a one-shot timer wakes the queue), so tests drive
/// it with a fake clock. Permits are spent, not returned: disposing a lease gives nothing back.
/// </summary>
/// <remarks>
/// The built-in token-bucket and segmented sliding-window limiters can grant a full burst right after a refill that
/// follows a burst, i.e. up to twice the limit within one window; KnowBe4's 4 requests/s is a hard ceiling.
/// </remarks>
public sealed class RollingWindowRateLimiter : RateLimiter
{
    private static readonly RateLimitLease Granted = new Lease(true, null);
    private static readonly RateLimitLease Refused = new Lease(false, null);

    private readonly int _permitLimit;
    private readonly int _queueLimit;
    private readonly TimeProvider _timeProvider;
    private readonly long _windowTimestampTicks;
    private readonly Queue<long> _grants = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private int _queuedPermits;
    private long _successfulLeases;
    private long _failedLeases;
    private long _lastGrant;
    private bool _disposed;

    public RollingWindowRateLimiter(int permitLimit, TimeSpan window, int queueLimit, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permitLimit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLimit);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _permitLimit = permitLimit;
        _queueLimit = queueLimit;
        _timeProvider = timeProvider;
        _windowTimestampTicks = (long)Math.Ceiling(window.TotalSeconds * timeProvider.TimestampFrequency);
        _timer = timeProvider.CreateTimer(static state => ((RollingWindowRateLimiter)state!).ServeWaiters(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _lastGrant = timeProvider.GetTimestamp() - _windowTimestampTicks;
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                var now = _timeProvider.GetTimestamp();
                Expire(now);
                if (_grants.Count > 0 || _waiters.Count > 0)
                {
                    return null;
                }
                return _timeProvider.GetElapsedTime(_lastGrant + _windowTimestampTicks, now);
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Expire(_timeProvider.GetTimestamp());
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _permitLimit - _grants.Count,
                CurrentQueuedCount = _queuedPermits,
                TotalSuccessfulLeases = _successfulLeases,
                TotalFailedLeases = _failedLeases,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _permitLimit);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _timeProvider.GetTimestamp();
            Expire(now);
            if (TryGrant(permitCount, now))
            {
                return Granted;
            }
            _failedLeases++;
            return new Lease(false, DelayUntilCapacity(now));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _permitLimit);
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _timeProvider.GetTimestamp();
            Expire(now);
            if (TryGrant(permitCount, now))
            {
                return new ValueTask<RateLimitLease>(Granted);
            }
            if (_queuedPermits + permitCount > _queueLimit)
            {
                _failedLeases++;
                return new ValueTask<RateLimitLease>(new Lease(false, DelayUntilCapacity(now)));
            }
            waiter = new Waiter(permitCount, this);
            waiter.Node = _waiters.AddLast(waiter);
            _queuedPermits += permitCount;
            ScheduleWake(now);
        }
        if (cancellationToken.CanBeCanceled)
        {
            // Registered outside the lock: an already-cancelled token runs the callback right here.
            var registration = cancellationToken.Register(static state => ((Waiter)state!).Owner.Cancel((Waiter)state!), waiter);
            bool alreadyServed;
            lock (_gate)
            {
                alreadyServed = waiter.Node is null;
                if (!alreadyServed)
                {
                    waiter.Registration = registration;
                }
            }
            if (alreadyServed)
            {
                registration.Dispose();
            }
        }
        return new ValueTask<RateLimitLease>(waiter.Completion.Task);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Shutdown();
        }
        base.Dispose(disposing);
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Shutdown();
        return base.DisposeAsyncCore();
    }

    // Refuses every waiter and stops the timer; later calls throw ObjectDisposedException.
    private void Shutdown()
    {
        List<(Waiter Waiter, CancellationTokenRegistration Registration)> pending = [];
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var waiter in _waiters)
            {
                pending.Add((waiter, waiter.Registration));
                waiter.Node = null;
                waiter.Registration = default;
            }
            _waiters.Clear();
            _queuedPermits = 0;
        }
        _timer.Dispose();
        foreach (var (waiter, registration) in pending)
        {
            registration.Dispose();
            waiter.Completion.TrySetResult(Refused);
        }
    }

    // Caller holds _gate. A zero-permit request asks "is a permit available now?" without spending one.
    private bool TryGrant(int permitCount, long now)
    {
        if (_waiters.Count > 0 || _grants.Count + Math.Max(permitCount, 1) > _permitLimit)
        {
            return false;
        }
        for (var i = 0; i < permitCount; i++)
        {
            _grants.Enqueue(now);
        }
        if (permitCount > 0)
        {
            _lastGrant = now;
        }
        _successfulLeases++;
        return true;
    }

    // Caller holds _gate.
    private void Expire(long now)
    {
        while (_grants.Count > 0 && now - _grants.Peek() >= _windowTimestampTicks)
        {
            _grants.Dequeue();
        }
    }

    // Caller holds _gate; only meaningful when the window is full.
    private TimeSpan DelayUntilCapacity(long now)
    {
        if (_grants.Count == 0)
        {
            return TimeSpan.Zero;
        }
        var remaining = _grants.Peek() + _windowTimestampTicks - now;
        return TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(remaining * (double)TimeSpan.TicksPerSecond / _timeProvider.TimestampFrequency)));
    }

    // Caller holds _gate.
    private void ScheduleWake(long now) => _timer.Change(DelayUntilCapacity(now), Timeout.InfiniteTimeSpan);

    private void ServeWaiters()
    {
        List<(Waiter Waiter, CancellationTokenRegistration Registration)>? granted = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            var now = _timeProvider.GetTimestamp();
            Expire(now);
            while (_waiters.First is { } node && _grants.Count + Math.Max(node.Value.PermitCount, 1) <= _permitLimit)
            {
                var waiter = node.Value;
                _waiters.RemoveFirst();
                waiter.Node = null;
                _queuedPermits -= waiter.PermitCount;
                for (var i = 0; i < waiter.PermitCount; i++)
                {
                    _grants.Enqueue(now);
                }
                _lastGrant = now;
                _successfulLeases++;
                (granted ??= []).Add((waiter, waiter.Registration));
                waiter.Registration = default;
            }
            if (_waiters.Count > 0)
            {
                ScheduleWake(now);
            }
        }
        if (granted is null)
        {
            return;
        }
        foreach (var (waiter, registration) in granted)
        {
            registration.Dispose();
            waiter.Completion.TrySetResult(Granted);
        }
    }

    private void Cancel(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node is null)
            {
                return; // already granted or disposed: the lease stands
            }
            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            _queuedPermits -= waiter.PermitCount;
            if (_waiters.Count > 0)
            {
                ScheduleWake(_timeProvider.GetTimestamp());
            }
        }
        waiter.Completion.TrySetCanceled();
    }

    private sealed class Waiter(int permitCount, RollingWindowRateLimiter owner)
    {
        public int PermitCount { get; } = permitCount;

        public RollingWindowRateLimiter Owner { get; } = owner;

        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Both guarded by the limiter's lock. Node is null once the waiter left the queue (served, cancelled or disposed).
        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Lease(bool isAcquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => isAcquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } delay && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = delay;
                return true;
            }
            metadata = null;
            return false;
        }
    }
}
