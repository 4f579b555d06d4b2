using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;
using Microsoft.Extensions.Logging;
using Polly;

namespace Kb4Collector.Collection;

/// <summary>
/// One configured source, wired: its KnowBe4 client paced by the key's limiter and counted in the key's ledger, its
/// cursor, and its delivery to the sink. <see cref="Work"/> is what the source's supervisor runs.
/// </summary>
public sealed class SourcePipeline
{
    private const string ListEventsEndpoint = "GET /events";

    /// <summary>An idle source says so at Information level this often (a poll that did something always does).</summary>
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromHours(1);

    private readonly SourceDefinition _source;
    private readonly CollectionServices _services;
    private readonly Func<int> _sourcesSharingKey;
    private readonly KnowBe4Client _client;
    private readonly SinkTarget _target;
    private readonly ResiliencePipeline<FetchOutcome> _retry;
    private readonly DailyBudget _budget;
    private readonly ILogger _logger;
    private bool _rotationCounted;
    private CollectionPlan? _plan;
    private int _idlePolls;
    private DateTimeOffset _lastSummaryAt;

    public SourcePipeline(SourceDefinition source, CollectionServices services, string collectorName, Func<int> sourcesSharingKey, CollectionOptions? collection = null)
    {
        _source = source;
        _services = services;
        _sourcesSharingKey = sourcesSharingKey;
        _logger = services.LoggerFactory.CreateLogger<SourcePipeline>();
        _budget = DailyBudget.Create(source.LicensedUsers, source.DailyCallBudget, collectorShare: source.MaxQuotaShare);
        services.Ledger.SetBudget(source.ApiKeyFingerprint, _budget);
        _client = services.CreateKnowBe4Client(source.BaseUrl, source.ApiKey, source.ApiKeyFingerprint);
        _target = SinkTarget.FromSourceFields(source.Name, source.Category ?? "", collectorName, source.Fields) with { SiemForward = source.SiemForward };
        _retry = services.Retry.Build(services.TimeProvider, (failure, attempt, delay) =>
            Log.RetryingCall(_logger, _source.Name, ListEventsEndpoint, failure.Message, attempt, (long)delay.TotalMilliseconds));
        _lastSummaryAt = services.TimeProvider.GetUtcNow();

        var options = (collection ?? new CollectionOptions()) with
        {
            InitialLookback = source.InitialLookback,
            BackdateHorizon = source.BackdateHorizon,
            MaxBatchEvents = services.Sink.Options.MaxBatchEvents,
            MaxBatchBytes = services.Sink.Options.MaxBatchBytes,
        };
        Collector = new SourceCollector(
            source.Id,
            new CollectionIdentity(source.QueryFingerprint, source.LegacyQueryFingerprint, source.ApiKeyFingerprint),
            options,
            FetchAsync,
            DeliverAsync,
            services.Database,
            services.TimeProvider,
            services.LoggerFactory.CreateLogger<SourceCollector>());
        Work = new SourceWork(InitializeAsync, PollOnceAsync, source.ConfigFingerprint);
    }

    public SourceCollector Collector { get; }

    public SourceWork Work { get; }

    public SourceDefinition Source => _source;

    /// <summary>The plan of the last poll (null before the first one).</summary>
    public CollectionPlan? Plan => _plan;

    public QuotaStatus Quota() => _services.Ledger.Status(_source.ApiKeyFingerprint, _services.TimeProvider.GetUtcNow());

    private ValueTask InitializeAsync(CancellationToken cancellationToken)
    {
        if (!_rotationCounted && Collector.StoredKeyFingerprint() is { Length: > 0 } previous && previous != _source.ApiKeyFingerprint)
        {
            // A rotated key of the same account starts the day with what the old one spent: KnowBe4 counts the account.
            _services.Ledger.CarryOverToday(previous, _source.ApiKeyFingerprint, _services.TimeProvider.GetUtcNow());
        }
        _rotationCounted = true;
        var problems = _target.Validate(_services.Sink.Options.Format);
        if (problems.Count > 0)
        {
            var problem = problems[0];
            throw new SourceConfigurationException($"Source \"{_source.Name}\" ({_source.SourceFile}): field \"{problem.Field}\": {problem.Reason}", problem.Field);
        }
        UpdatePlan();
        return ValueTask.CompletedTask;
    }

    private async ValueTask<PollResult> PollOnceAsync(PollProgress progress, CancellationToken cancellationToken)
    {
        var now = _services.TimeProvider.GetUtcNow();
        foreach (var scope in new[] { NotBeforeStore.KeyScope(_source.ApiKeyFingerprint), NotBeforeStore.SourceScope(_source.Id) })
        {
            if (_services.NotBefore.Get(scope) is { } notBefore && notBefore.Until > now)
            {
                return new PollResult(notBefore.Until - now);
            }
        }

        var plan = UpdatePlan();
        CollectionPollResult result;
        try
        {
            result = await Collector.PollOnceAsync(new RescanAllowance(plan.RescanPeriod, CanAffordRescan, CanAffordHistory, plan.FitsADay), progress.FirstPageArrived, cancellationToken);
        }
        finally
        {
            _services.Ledger.Flush();
        }
        var after = _services.TimeProvider.GetUtcNow();
        var next = result.BudgetResetsAt is { } resetsAt
            ? (resetsAt > after ? resetsAt - after : TimeSpan.Zero)
            : PollSchedule.NextInterval(
                Math.Max(0, _services.Ledger.Remaining(_source.ApiKeyFingerprint, after) - ReservedForRescans(plan, after)),
                PollSchedule.UntilNextUtcMidnight(after),
                Math.Max(1, _sourcesSharingKey()),
                // A steady poll costs one call, two when something arrived; a longer poll (a backlog, a change looked
                // for) is a one-off and must not stretch the next interval.
                callsPerPoll: result.Calls == 2 ? 2 : 1,
                _source.PollingInterval);
        Summarize(result, next, after);
        return new PollResult(next);
    }

    /// <summary>The plan for this source's share of the key's budget; logged when it changes.</summary>
    private CollectionPlan UpdatePlan()
    {
        var plan = CollectionPlan.Create(
            _budget.Scheduled,
            Math.Max(1, _sourcesSharingKey()),
            _source.PollingInterval,
            _source.RescanInterval,
            Collector.RescanPassCost);
        if (_plan is null || _plan.PaysForHorizon != plan.PaysForHorizon || Differs(_plan.PollInterval, plan.PollInterval) || Differs(_plan.RescanPeriod, plan.RescanPeriod))
        {
            var description = plan.Describe();
            Log.PlanChanged(_logger, _source.Name, description);
        }
        _plan = plan;
        return plan;

        static bool Differs(TimeSpan before, TimeSpan now) =>
            before != now && (before == TimeSpan.MaxValue || now == TimeSpan.MaxValue || Math.Abs((before - now).TotalSeconds) > before.TotalSeconds / 10);
    }

    private void Summarize(CollectionPollResult result, TimeSpan next, DateTimeOffset now)
    {
        if (result.EventsDelivered > 0 || result.Calls > 1)
        {
            var nextPoll = DurationParser.FormatRoundedUp(next);
            Log.PollSummary(_logger, _source.Name, result.EventsDelivered, result.Calls, nextPoll);
            _idlePolls = 0;
            _lastSummaryAt = now;
            return;
        }
        _idlePolls++;
        if (now - _lastSummaryAt >= HeartbeatInterval)
        {
            var nextPoll = DurationParser.FormatRoundedUp(next);
            Log.IdleHeartbeat(_logger, _source.Name, _idlePolls, nextPoll);
            _idlePolls = 0;
            _lastSummaryAt = now;
        }
    }

    private async Task<FetchOutcome> FetchAsync(EventQuery query, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(static (state, token) => state.pipeline.FetchOnceAsync(state.query, token), (pipeline: this, query), cancellationToken);

    private async ValueTask<FetchOutcome> FetchOnceAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var ledger = _services.Ledger;
        var fingerprint = _source.ApiKeyFingerprint;
        var time = _services.TimeProvider;
        if (!ledger.TryReserveCall(fingerprint))
        {
            var now = time.GetUtcNow();
            return FetchOutcome.BudgetSpent(now + PollSchedule.UntilNextUtcMidnight(now));
        }

        var started = time.GetTimestamp();
        try
        {
            var page = await _client.ListEventsRawAsync(query, cancellationToken);
            ledger.RecordCall(new CallRecord(time.GetUtcNow(), _source.Id, fingerprint, ListEventsEndpoint, 200, page.Events.Count, null, time.GetElapsedTime(started)));
            return FetchOutcome.Of(page);
        }
        catch (KnowBe4ApiException failure)
        {
            var now = time.GetUtcNow();
            ledger.RecordCall(new CallRecord(now, _source.Id, fingerprint, ListEventsEndpoint, failure.StatusCode, 0, failure.Kind + ": " + failure.Message, time.GetElapsedTime(started)));
            if (failure.Kind == KnowBe4FailureKind.QuotaExhausted)
            {
                ledger.MarkDayExhausted(fingerprint, now);
            }
            else if (failure.RetryAfter is { } wait && !CallRetry.IsTransient(failure, _services.Retry.MaxRetryAfter))
            {
                _services.NotBefore.Defer(NotBeforeStore.KeyScope(fingerprint), wait, $"KnowBe4 asked to retry after {wait} ({failure.Endpoint}, HTTP {failure.StatusCode})");
            }
            throw;
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
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

    /// <summary>The first run's one-off read of the days before the lookback may take up to half of what is left today.</summary>
    private bool CanAffordHistory(int cost) =>
        cost <= _services.Ledger.Remaining(_source.ApiKeyFingerprint, _services.TimeProvider.GetUtcNow()) / 2;

    /// <summary>Whether a re-read of <paramref name="cost"/> calls leaves enough for every remaining poll today at the plan's interval.</summary>
    private bool CanAffordRescan(int cost)
    {
        var now = _services.TimeProvider.GetUtcNow();
        var remaining = _services.Ledger.Remaining(_source.ApiKeyFingerprint, now);
        var interval = _plan?.PollInterval ?? _source.PollingInterval;
        var pollsLeft = Math.Ceiling(PollSchedule.UntilNextUtcMidnight(now) / interval);
        return remaining - (long)(pollsLeft * Math.Max(1, _sourcesSharingKey())) - cost >= 0;
    }

    /// <summary>The calls the plan's re-reads need for the rest of the UTC day: polls spend only what is left.</summary>
    private static int ReservedForRescans(CollectionPlan plan, DateTimeOffset now) =>
        plan.RescanPeriod == TimeSpan.MaxValue
            ? 0
            : (int)Math.Ceiling(plan.RescanPassCost * (PollSchedule.UntilNextUtcMidnight(now) / plan.RescanPeriod));
}
