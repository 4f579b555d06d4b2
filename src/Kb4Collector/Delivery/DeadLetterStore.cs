using System.Globalization;
using Kb4Collector.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kb4Collector.Delivery;

/// <summary>An event the endpoint refused on its own, kept with the reason so it can be listed and replayed.</summary>
public sealed record DeadLetter(
    string SourceId,
    string EventId,
    ReadOnlyMemory<byte> Json,
    int? StatusCode,
    string Reason,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    int Attempts);

/// <summary>
/// Events the HTTP log endpoint refused one by one (LiteDB collection <c>dead_letters</c>), one entry per
/// (source, event id): a redelivery of the same event updates its entry instead of adding one.
/// </summary>
public sealed class DeadLetterStore
{
    public const string CollectionName = "dead_letters";

    /// <summary>A dead letter not retried (replayed or refused again) for this long is deleted, with a warning naming its source.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    private readonly ILiteCollection<DeadLetterDocument> _collection;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    public DeadLetterStore(CollectorDatabase database, TimeProvider timeProvider, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _collection = database.Database.GetCollection<DeadLetterDocument>(CollectionName);
        _collection.EnsureIndex(document => document.SourceId);
        _timeProvider = timeProvider;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Stores a refused event, or counts one more attempt when the source already has it.</summary>
    public void Add(string sourceId, SinkEvent sinkEvent, int? statusCode, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        ArgumentException.ThrowIfNullOrEmpty(sinkEvent.Id);
        var now = _timeProvider.GetUtcNow().UtcDateTime;
        var id = DocumentId(sourceId, sinkEvent.Id);
        lock (_gate)
        {
            var document = _collection.FindById(id) ?? new DeadLetterDocument
            {
                Id = id,
                SourceId = sourceId,
                EventId = sinkEvent.Id,
                FirstSeen = now,
            };
            document.Json = sinkEvent.Json.ToArray();
            document.StatusCode = statusCode;
            document.Reason = reason;
            document.LastSeen = now;
            document.Attempts++;
            _collection.Upsert(document);
        }
    }

    public int Count(string? sourceId = null)
        => sourceId is null ? _collection.Count() : _collection.Count(document => document.SourceId == sourceId);

    /// <summary>Dead letters ordered by source and event id, one page at a time.</summary>
    public IReadOnlyList<DeadLetter> List(string? sourceId = null, int skip = 0, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var query = _collection.Query();
        if (sourceId is not null)
        {
            query = query.Where(document => document.SourceId == sourceId);
        }
        return query.OrderBy(document => document.Id).Skip(skip).Limit(limit).ToList().Select(ToDeadLetter).ToList();
    }

    public bool Remove(string sourceId, string eventId) => _collection.Delete(DocumentId(sourceId, eventId));

    /// <summary>
    /// Deletes the dead letters last tried more than <see cref="Retention"/> before <paramref name="now"/>, logging how
    /// many each source lost; returns how many in all.
    /// </summary>
    public int Prune(DateTimeOffset now)
    {
        var cutoff = (now - Retention).UtcDateTime;
        lock (_gate)
        {
            var expired = _collection.Query().Where(document => document.LastSeen < cutoff).Select(document => document.SourceId).ToList();
            foreach (var source in expired.GroupBy(id => id, StringComparer.Ordinal))
            {
                Log.DeadLettersExpired(_logger, source.Key, source.Count(), (int)Retention.TotalDays);
            }
            return expired.Count == 0 ? 0 : _collection.DeleteMany(document => document.LastSeen < cutoff);
        }
    }

    /// <summary>
    /// Sends a source's dead letters again through <paramref name="sink"/> and removes those it accepts; those it still
    /// refuses stay, with one more attempt counted. Returns accepted (removed) and still-refused counts.
    /// </summary>
    /// <exception cref="SinkException">The endpoint failed in a retryable way; dead letters accepted before that are already removed.</exception>
    public async Task<DeliveryReport> ReplayAsync(string sourceId, HttpLogSink sink, SinkTarget target, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        ArgumentNullException.ThrowIfNull(sink);
        var pageSize = sink.Options.MaxBatchEvents;
        var total = default(DeliveryReport);
        var after = SourcePrefix(sourceId);
        while (true)
        {
            var page = _collection.Query()
                .Where(Query.And(Query.EQ(nameof(DeadLetterDocument.SourceId), sourceId), Query.GT("_id", after)))
                .OrderBy("_id")
                .Limit(pageSize)
                .ToList();
            if (page.Count == 0)
            {
                break;
            }

            var events = page.Select(document => new SinkEvent(document.EventId, document.Json)).ToList();
            var stillRefused = new HashSet<string>(StringComparer.Ordinal);
            DeliveryReport report;
            try
            {
                report = await sink.SendAsync(sourceId, target, events, stillRefused, cancellationToken);
            }
            catch (SinkException exception)
            {
                RemoveAccepted(page.Take(exception.Delivered.Settled), stillRefused);
                throw;
            }
            RemoveAccepted(page, stillRefused);
            total = new DeliveryReport(
                total.Accepted + report.Accepted, total.DeadLettered + report.DeadLettered, total.Requests + report.Requests, total.BytesSent + report.BytesSent);
            after = page[^1].Id;
            if (page.Count < pageSize)
            {
                break;
            }
        }
        Log.DeadLettersReplayed(_logger, sourceId, total.Accepted, total.DeadLettered);
        return total;
    }

    private void RemoveAccepted(IEnumerable<DeadLetterDocument> sent, HashSet<string> stillRefused)
    {
        foreach (var document in sent)
        {
            if (!stillRefused.Contains(document.EventId))
            {
                _collection.Delete(document.Id);
            }
        }
    }

    /// <summary>
    /// The source (length-prefixed, so a source's entries sort together and no two sources collide) and a SHA-256 of
    /// the event id: an id comes from the server and can be any length, and LiteDB refuses index keys over 1,023 bytes.
    /// The id itself is kept in the document.
    /// </summary>
    private static string DocumentId(string sourceId, string eventId)
        => SourcePrefix(sourceId) + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(eventId)));

    /// <summary>Sorts before every entry of the source.</summary>
    private static string SourcePrefix(string sourceId) => string.Create(CultureInfo.InvariantCulture, $"{sourceId.Length}:{sourceId}/");

    private static DeadLetter ToDeadLetter(DeadLetterDocument document) => new(
        document.SourceId,
        document.EventId,
        document.Json,
        document.StatusCode,
        document.Reason,
        AsUtc(document.FirstSeen),
        AsUtc(document.LastSeen),
        document.Attempts);

    // LiteDB stores UTC and hands dates back in local time.
    private static DateTimeOffset AsUtc(DateTime value) => new(value.ToUniversalTime(), TimeSpan.Zero);

    internal sealed class DeadLetterDocument
    {
        [BsonId]
        public string Id { get; set; } = "";

        public string SourceId { get; set; } = "";

        public string EventId { get; set; } = "";

        public byte[] Json { get; set; } = [];

        public int? StatusCode { get; set; }

        public string Reason { get; set; } = "";

        public DateTime FirstSeen { get; set; }

        public DateTime LastSeen { get; set; }

        public int Attempts { get; set; }
    }
}
