using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Collection;

/// <summary>
/// One configured source, wired: its KnowBe4 client paced by the key's limiter and counted in the key's ledger, its
/// cursor, and its delivery to the sink. <see cref="Work"/> is what the source's supervisor runs.
/// </summary>
public sealed class SourcePipeline
{
    private const string ListEventsEndpoint = "GET /events";

    private readonly SourceDefinition _source;
    private readonly CollectionServices _services;
    private readonly Func<int> _sourcesSharingKey;
    private readonly KnowBe4Client _client;
    private readonly SinkTarget _target;
    private readonly ILogger _logger;

    public SourcePipeline(SourceDefinition source, CollectionServices services, string collectorName, Func<int> sourcesSharingKey, CollectionOptions? collection = null)
    {
        _source = source;
        _services = services;
        _sourcesSharingKey = sourcesSharingKey;
        _logger = services.LoggerFactory.CreateLogger<SourcePipeline>();
        services.Ledger.SetBudget(source.ApiKeyFingerprint, DailyBudget.Create(source.LicensedUsers, source.DailyCallBudget));

        var pacing = services.Limiters.CreateHandler(source.ApiKeyFingerprint);
        pacing.InnerHandler = services.KnowBe4Handler;
        // The pool underneath is shared by every source: this client must not dispose it.
        var http = new HttpClient(pacing, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _client = new KnowBe4Client(http, new KnowBe4ClientOptions(source.BaseUrl, source.ApiKey), services.TimeProvider);
        _target = SinkTarget.FromSourceFields(source.Name, source.Category ?? "", collectorName, source.Fields) with { SiemForward = source.SiemForward };

        var options = (collection ?? new CollectionOptions()) with
        {
            InitialLookback = source.InitialLookback,
            BackdateHorizon = source.BackdateHorizon,
            MaxBatchEvents = services.Sink.Options.MaxBatchEvents,
            MaxBatchBytes = services.Sink.Options.MaxBatchBytes,
        };
        Collector = new SourceCollector(
            source.Id,
            source.QueryFingerprint,
            options,
            FetchAsync,
            DeliverAsync,
            services.Database,
            services.TimeProvider,
            services.LoggerFactory.CreateLogger<SourceCollector>(),
            SpareCallsToday);
        Work = new SourceWork(InitializeAsync, PollOnceAsync, source.ConfigFingerprint);
    }

    public SourceCollector Collector { get; }

    public SourceWork Work { get; }

    public SourceDefinition Source => _source;

    public QuotaStatus Quota() => _services.Ledger.Status(_source.ApiKeyFingerprint, _services.TimeProvider.GetUtcNow());

    private ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        var problems = _target.Validate(_services.Sink.Options.Format);
        if (problems.Count > 0)
        {
            var problem = problems[0];
            throw new SourceConfigurationException($"Source \"{_source.Name}\" ({_source.SourceFile}): field \"{problem.Field}\": {problem.Reason}", problem.Field);
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask<PollResult> PollOnceAsync(CancellationToken cancellationToken)
    {
        var now = _services.TimeProvider.GetUtcNow();
        foreach (var scope in new[] { NotBeforeStore.KeyScope(_source.ApiKeyFingerprint), NotBeforeStore.SourceScope(_source.Id) })
        {
            if (_services.NotBefore.Get(scope) is { } notBefore && notBefore.Until > now)
            {
                return new PollResult(notBefore.Until - now);
            }
        }

        CollectionPollResult result;
        try
        {
            result = await Collector.PollOnceAsync(cancellationToken);
        }
        finally
        {
            _services.Ledger.Flush();
        }
        var after = _services.TimeProvider.GetUtcNow();
        if (result.BudgetResetsAt is { } resetsAt)
        {
            return new PollResult(resetsAt > after ? resetsAt - after : TimeSpan.Zero);
        }
        return new PollResult(PollSchedule.NextInterval(
            _services.Ledger.Remaining(_source.ApiKeyFingerprint, after),
            PollSchedule.UntilNextUtcMidnight(after),
            Math.Max(1, _sourcesSharingKey()),
            // A steady poll costs one to three calls; a backlog drain is a one-off and must not stretch the next interval.
            callsPerPoll: Math.Clamp(result.Calls, 1, 3),
            _source.PollingInterval));
    }

    private async Task<RawEventPage> FetchAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var ledger = _services.Ledger;
        var fingerprint = _source.ApiKeyFingerprint;
        var time = _services.TimeProvider;
        if (!ledger.TryReserveCall(fingerprint))
        {
            var now = time.GetUtcNow();
            throw new DailyBudgetExhaustedException(
                $"The daily call budget of the key used by source \"{_source.Name}\" is spent.",
                now + PollSchedule.UntilNextUtcMidnight(now));
        }

        var started = time.GetTimestamp();
        try
        {
            var page = await _client.ListEventsRawAsync(query, cancellationToken);
            ledger.RecordCall(new CallRecord(time.GetUtcNow(), _source.Id, fingerprint, ListEventsEndpoint, 200, page.Events.Count, null, time.GetElapsedTime(started)));
            return page;
        }
        catch (KnowBe4ApiException failure)
        {
            var now = time.GetUtcNow();
            ledger.RecordCall(new CallRecord(now, _source.Id, fingerprint, ListEventsEndpoint, failure.StatusCode, 0, failure.Kind + ": " + failure.Message, time.GetElapsedTime(started)));
            if (failure.Kind == KnowBe4FailureKind.QuotaExhausted)
            {
                ledger.MarkDayExhausted(fingerprint, now);
            }
            else if (failure.RetryAfter is { } wait)
            {
                _services.NotBefore.Defer(NotBeforeStore.KeyScope(fingerprint), wait, $"KnowBe4 asked to retry after {wait} ({failure.Endpoint}, HTTP {failure.StatusCode})");
            }
            throw;
        }
        catch (Exception failure) when (failure is not OperationCanceledException)
        {
            ledger.RecordCall(new CallRecord(time.GetUtcNow(), _source.Id, fingerprint, ListEventsEndpoint, null, 0, failure.GetType().Name, time.GetElapsedTime(started)));
            throw;
        }
    }

    private async Task DeliverAsync(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken)
    {
        var batch = new SinkEvent[events.Count];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = new SinkEvent(events[i].Id, events[i].Json);
        }
        var report = await _services.Sink.SendAsync(_source.Id, _target, batch, cancellationToken);
        if (report.DeadLettered > 0)
        {
            Log.DeadLettered(_logger, _source.Id, report.DeadLettered);
        }
    }

    /// <summary>Calls left today beyond what the remaining polls of every source on the key will need.</summary>
    private long SpareCallsToday()
    {
        var now = _services.TimeProvider.GetUtcNow();
        var remaining = _services.Ledger.Remaining(_source.ApiKeyFingerprint, now);
        var pollsLeft = Math.Ceiling(PollSchedule.UntilNextUtcMidnight(now) / _source.PollingInterval);
        return remaining - (long)(pollsLeft * Math.Max(1, _sourcesSharingKey()) * 2);
    }
}
