using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Kb4Collector.Quota;

/// <summary>
/// One KnowBe4 pacing limiter per API key (by fingerprint), shared by every source and command in the process that
/// uses the key: KnowBe4 allows 4 requests per second per account; the limiter grants 4 per <see cref="Window"/>.
/// </summary>
public sealed class ApiKeyRateLimiters : IDisposable
{
    public const int RequestsPerSecond = 4;

    /// <summary>
    /// The pacing window: a second and a margin. KnowBe4 counts requests as they arrive, and permits granted exactly a
    /// second apart do not leave exactly a second apart (each request is sent a moment after its grant, a moment that
    /// varies by a millisecond or more); the margin keeps any five consecutive requests more than a second apart.
    /// </summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(1050);

    /// <summary>Waiters beyond this many are refused at once instead of queueing without bound.</summary>
    public const int QueueLimit = 10_000;

    private readonly TimeProvider _timeProvider;
    private readonly int _requestsPerSecond;
    private readonly ConcurrentDictionary<string, Lazy<RollingWindowRateLimiter>> _limiters = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <param name="requestsPerSecond">KnowBe4's limit; only tests and benchmarks against the emulator raise it.</param>
    public ApiKeyRateLimiters(TimeProvider timeProvider, int requestsPerSecond = RequestsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        _timeProvider = timeProvider;
        _requestsPerSecond = requestsPerSecond;
    }

    /// <summary>The limiter for the key with this <see cref="ApiKeyFingerprint"/>; the same instance on every call.</summary>
    public RateLimiter For(string keyFingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyFingerprint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _limiters.GetOrAdd(
            keyFingerprint,
            static (_, self) => new Lazy<RollingWindowRateLimiter>(() => new RollingWindowRateLimiter(self._requestsPerSecond, Window, QueueLimit, self._timeProvider)),
            this).Value;
    }

    /// <summary>A handler that paces an HttpClient through the key's limiter (put it in front of the client's primary handler).</summary>
    public RateLimitingHandler CreateHandler(string keyFingerprint) => new(For(keyFingerprint));

    public void Dispose()
    {
        _disposed = true;
        foreach (var limiter in _limiters.Values)
        {
            if (limiter.IsValueCreated)
            {
                limiter.Value.Dispose();
            }
        }
        _limiters.Clear();
    }
}
