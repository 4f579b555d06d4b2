using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Collection;

/// <summary>What every source's pipeline shares: the database, the sink, the per-key pacing and budget, the clock.</summary>
public sealed class CollectionServices(
    CollectorDatabase database,
    HttpLogSink sink,
    ApiKeyRateLimiters limiters,
    CallLedger ledger,
    NotBeforeStore notBefore,
    HttpMessageHandler knowBe4Handler,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    public CollectorDatabase Database { get; } = database;

    public HttpLogSink Sink { get; } = sink;

    public ApiKeyRateLimiters Limiters { get; } = limiters;

    public CallLedger Ledger { get; } = ledger;

    public NotBeforeStore NotBefore { get; } = notBefore;

    /// <summary>The connection pool every KnowBe4 client shares; each source puts its key's pacing in front of it.</summary>
    public HttpMessageHandler KnowBe4Handler { get; } = knowBe4Handler;

    public TimeProvider TimeProvider { get; } = timeProvider;

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    /// <summary>The Reporting API's limits per key: a ledger of its own, never the User Event one.</summary>
    public Reporting.ReportingGate ReportingGate => _reportingGate.Value;

    private readonly Lazy<Reporting.ReportingGate> _reportingGate = new(() => new Reporting.ReportingGate(database, timeProvider));

    /// <summary>How a poll retries a lone transient KnowBe4 failure before the source goes to Error.</summary>
    public CallRetry Retry { get; init; } = CallRetry.Default;

    /// <summary>
    /// The one place a collecting KnowBe4 client is built: the key's pacing in front of the shared connection pool.
    /// </summary>
    public KnowBe4Client CreateKnowBe4Client(Uri baseUrl, string apiKey, string keyFingerprint)
    {
        var pacing = Limiters.CreateHandler(keyFingerprint);
        pacing.InnerHandler = KnowBe4Handler;
        // The pool underneath is shared by every source: this client must not dispose it.
        var http = new HttpClient(pacing, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        return new KnowBe4Client(http, new KnowBe4ClientOptions(baseUrl, apiKey), TimeProvider);
    }
}
