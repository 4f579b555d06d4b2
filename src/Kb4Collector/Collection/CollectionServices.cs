using Kb4Collector.Delivery;
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
}
