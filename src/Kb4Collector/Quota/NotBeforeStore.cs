using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Quota;

/// <summary>A persisted "do not call before" time for a key or a source.</summary>
public sealed record NotBefore(string Scope, DateTimeOffset Until, string Reason);

/// <summary>
/// Long waits (<c>Retry-After</c>, a spent daily quota) survive a restart: a wait of more than a minute is written to
/// LiteDB <c>not_before</c>, keyed by <see cref="KeyScope"/> or <see cref="SourceScope"/>. Shorter waits are left to the
/// caller's delay. A scope keeps the latest of the times it is given until that time passes or it is cleared.
/// </summary>
public sealed class NotBeforeStore
{
    public const string CollectionName = "not_before";

    public static readonly TimeSpan PersistThreshold = TimeSpan.FromMinutes(1);

    private readonly ILiteCollection<NotBeforeDocument> _collection;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();

    public NotBeforeStore(CollectorDatabase database, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(database);
        _collection = database.Database.GetCollection<NotBeforeDocument>(CollectionName);
        _timeProvider = timeProvider;
    }

    public static string KeyScope(string keyFingerprint) => "key:" + keyFingerprint;

    public static string SourceScope(string sourceId) => "source:" + sourceId;

    /// <summary>
    /// Records that <paramref name="scope"/> must wait <paramref name="wait"/> from now and returns until when it must
    /// wait (the later of this and an already persisted time). Persisted only when the wait is longer than a minute.
    /// </summary>
    public DateTimeOffset Defer(string scope, TimeSpan wait, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        var now = _timeProvider.GetUtcNow();
        var until = now + (wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
        lock (_gate)
        {
            var existing = _collection.FindById(scope);
            var existingUntil = existing is null ? (DateTimeOffset?)null : AsUtc(existing.Until);
            if (existingUntil > until)
            {
                return existingUntil.Value;
            }
            if (wait > PersistThreshold)
            {
                _collection.Upsert(new NotBeforeDocument { Scope = scope, Until = until.UtcDateTime, Reason = reason });
            }
        }
        return until;
    }

    /// <summary>The scope's persisted wait if it has not passed yet; a passed one is removed.</summary>
    public NotBefore? Get(string scope)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        lock (_gate)
        {
            var document = _collection.FindById(scope);
            if (document is null)
            {
                return null;
            }
            var until = AsUtc(document.Until);
            if (until <= _timeProvider.GetUtcNow())
            {
                _collection.Delete(scope);
                return null;
            }
            return new NotBefore(document.Scope, until, document.Reason);
        }
    }

    public bool Clear(string scope) => _collection.Delete(scope);

    /// <summary>Every persisted wait that has not passed, for the admin endpoint.</summary>
    public IReadOnlyList<NotBefore> List()
    {
        var now = _timeProvider.GetUtcNow();
        return [.. _collection.FindAll()
            .Select(document => new NotBefore(document.Scope, AsUtc(document.Until), document.Reason))
            .Where(notBefore => notBefore.Until > now)];
    }

    // LiteDB stores UTC and hands dates back in local time.
    private static DateTimeOffset AsUtc(DateTime value) => new(value.ToUniversalTime(), TimeSpan.Zero);

    internal sealed class NotBeforeDocument
    {
        [BsonId]
        public string Scope { get; set; } = "";

        public DateTime Until { get; set; }

        public string Reason { get; set; } = "";
    }
}
