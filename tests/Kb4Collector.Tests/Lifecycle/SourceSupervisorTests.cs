using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.Health;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Lifecycle;

public sealed class SourceSupervisorTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The second poll (the first after a successful one), where the outages in these tests begin.</summary>
    private static readonly DateTimeOffset OutageStart = T0.AddMinutes(5);

    private readonly LifecycleTempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ScriptedSource _source;

    public SourceSupervisorTests() => _source = new ScriptedSource(_time);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A401MakesOneCallAndLeavesTheSourceInErrorForGood()
    {
        _source.PollFailure = _ => ScriptedSource.Api(KnowBe4FailureKind.Unauthorized, 401);
        using var harness = Start();

        await harness.DriveUntilAsync(T0.AddDays(10));

        Assert.Equal([T0], _source.Polls);
        Assert.Equal(SourceState.Error, harness.Status.State);
        Assert.Equal(ErrorClass.ThirdPartyConfig, harness.Status.ErrorClass);
        Assert.True(harness.Status.RetriesStopped);
        Assert.Equal(
            [(SourceState.Pending, SourceState.Started), (SourceState.Started, SourceState.Initialized), (SourceState.Initialized, SourceState.Error)],
            StatesOf(harness.Status.RecentTransitions));
        var raised = Assert.Single(harness.Health.List());
        Assert.Equal(HealthEventNames.ThirdPartyConfigError, raised.EventName);
        Assert.Equal(HealthStatus.Unhealthy, raised.Status);
        Assert.False(raised.Resolved);
        Assert.Contains("GET /events", raised.Details.Description, StringComparison.Ordinal);
        Assert.Contains("401", raised.Details.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AConfigUpdateOrARestartWalksAThirdPartyConfigErrorBackToCollecting(bool configUpdate)
    {
        var keyWorks = false;
        _source.PollFailure = _ => keyWorks ? null : ScriptedSource.Api(KnowBe4FailureKind.Unauthorized, 403);
        using var harness = Start();
        await harness.DriveUntilAsync(T0.AddHours(1));
        var before = harness.Status.RecentTransitions.Count;

        keyWorks = true;
        if (configUpdate)
        {
            harness.Supervisor.NotifyConfigUpdated(_source.Work("config-v2"));
        }
        else
        {
            harness.Supervisor.RequestRestart();
        }

        await harness.DriveUntilAsync(T0.AddHours(1));

        Assert.Equal(
            [
                (SourceState.Error, SourceState.Pending),
                (SourceState.Pending, SourceState.Started),
                (SourceState.Started, SourceState.Initialized),
                (SourceState.Initialized, SourceState.Authenticated),
                (SourceState.Authenticated, SourceState.Collecting),
            ],
            StatesOf(harness.Status.RecentTransitions.Skip(before)));
        Assert.Equal([T0, T0.AddHours(1)], _source.Polls);
        Assert.Null(harness.Status.ErrorClass);
        Assert.Equal(T0.AddHours(1).AddMinutes(5), harness.Status.NextAttemptAt);
        Assert.Empty(harness.Health.List(unresolvedOnly: true));
        var healthy = Assert.Single(harness.Health.List(), e => e.Status == HealthStatus.Healthy);
        Assert.Equal(HealthEventNames.ThirdPartyConfigError, healthy.EventName);
    }

    [Fact]
    public async Task ServerErrorsFor89MinutesEndInRecovery()
    {
        _source.PollFailure = now => now >= OutageStart && now < OutageStart.AddMinutes(89) ? ScriptedSource.Api(KnowBe4FailureKind.ServerError, 503) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(OutageStart.AddHours(3));

        var failures = _source.Polls.Count(p => p >= OutageStart && p < OutageStart.AddMinutes(89));
        var recoveredAt = _source.Polls.First(p => p >= OutageStart.AddMinutes(89));
        Assert.InRange(failures, 15, 60);
        Assert.InRange(recoveredAt, OutageStart.AddMinutes(89), OutageStart.AddMinutes(90));
        Assert.Equal(SourceState.Collecting, harness.Status.State);
        Assert.Null(harness.Status.ErrorClass);
        Assert.Null(harness.Status.FirstFailureAt);
        Assert.Equal(0, harness.Status.RetryCount);
        Assert.Contains((SourceState.Error, SourceState.Collecting), StatesOf(harness.Status.RecentTransitions));
        Assert.True(_source.Polls[^1] >= OutageStart.AddHours(3).AddMinutes(-5), "collection goes on after the recovery");

        var events = harness.Health.List();
        var error = Assert.Single(events, e => e.Status == HealthStatus.Unhealthy);
        Assert.Equal(HealthEventNames.ThirdPartyGenericError, error.EventName);
        Assert.Equal(failures, error.Count);
        Assert.Equal(OutageStart, error.EventTime);
        Assert.Equal(recoveredAt, error.ResolvedAt);
        var healthy = Assert.Single(events, e => e.Status == HealthStatus.Healthy);
        Assert.Equal(recoveredAt, healthy.EventTime);
    }

    /// <summary>
    /// Found with the Reporting model (seed cpDOFlVBewV5): during a 70-minute 503 maintenance every retry spent four
    /// calls, and every other one found the 50-a-minute limit reached and only waited. That wait counted as a poll
    /// that succeeded: the streak started over at retry 1, a few seconds apart, and the retries spent the key's whole
    /// daily budget in the outage.
    /// </summary>
    [Fact]
    public async Task APollThatOnlyWaitsForALimitDoesNotEndAFailureStreak()
    {
        var deferNext = false;
        _source.DeferredFor = now =>
        {
            if (now < OutageStart || now >= OutageStart.AddMinutes(70))
            {
                return null;
            }
            deferNext = !deferNext;
            return deferNext ? null : TimeSpan.FromSeconds(30);
        };
        _source.PollFailure = now => now >= OutageStart && now < OutageStart.AddMinutes(70) ? ScriptedSource.Api(KnowBe4FailureKind.ServerError, 503) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(OutageStart.AddHours(3));

        var attempts = _source.Polls.Count(p => p >= OutageStart && p < OutageStart.AddMinutes(70));
        Assert.InRange(attempts, 10, 100);
        Assert.Single(StatesOf(harness.Status.RecentTransitions), transition => transition == (SourceState.Error, SourceState.Collecting));
        Assert.Equal(SourceState.Collecting, harness.Status.State);
        var error = Assert.Single(harness.Health.List(), e => e.Status == HealthStatus.Unhealthy);
        Assert.Equal(OutageStart, error.EventTime);
    }

    [Fact]
    public async Task ServerErrorsFor91MinutesLeaveTheSourceInErrorAndSilent()
    {
        _source.PollFailure = now => now >= OutageStart && now < OutageStart.AddMinutes(91) ? ScriptedSource.Api(KnowBe4FailureKind.ServerError, 503) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(OutageStart.AddDays(3));

        Assert.Equal(OutageStart.AddMinutes(90), _source.Polls[^1]);
        Assert.Equal(SourceState.Error, harness.Status.State);
        Assert.Equal(ErrorClass.ThirdPartyGeneric, harness.Status.ErrorClass);
        Assert.Equal(OutageStart, harness.Status.FirstFailureAt);
        Assert.Equal(OutageStart.AddMinutes(90), harness.Status.RetryWindowEndsAt);
        Assert.True(harness.Status.RetriesStopped);
        var failures = _source.Polls.Count(p => p >= OutageStart);
        Assert.Equal(failures - 1, harness.Status.RetryCount);
        var error = Assert.Single(harness.Health.List());
        Assert.False(error.Resolved);
        Assert.Equal(failures, error.Count);
    }

    [Fact]
    public async Task AWindowThatRanOutWhileTheDaemonWasDownOpensAgainAtTheNextStart()
    {
        // Failing from OutageStart; the daemon stops 40 minutes into the window and starts again 15 hours later, when
        // the sink works again. The window ran out while nothing retried: found by the collection model's outages, where
        // the source then stayed in Error after one more failure and delivered nothing more.
        var recovered = OutageStart.AddHours(15);
        _source.PollFailure = now => now >= OutageStart && now < recovered ? ScriptedSource.Api(KnowBe4FailureKind.Timeout, null) : null;
        using (var first = Start())
        {
            await first.DriveUntilAsync(OutageStart.AddMinutes(40));
        }
        _time.SetUtcNow(recovered.AddMinutes(-1));

        using var second = Start();
        Assert.Equal(SourceState.Error, second.Status.State);
        Assert.False(second.Status.RetriesStopped);
        Assert.Equal(_time.GetUtcNow(), second.Status.NextAttemptAt);

        await second.DriveUntilAsync(recovered.AddHours(1));
        Assert.Equal(SourceState.Collecting, second.Status.State);
        Assert.Null(second.Status.FirstFailureAt);
    }

    [Fact]
    public async Task TheRetryWindowSurvivesAProcessRestart()
    {
        _source.PollFailure = now => now >= OutageStart ? ScriptedSource.Api(KnowBe4FailureKind.Timeout, null) : null;
        SourceStatus beforeRestart;
        using (var first = Start())
        {
            await first.DriveUntilAsync(OutageStart.AddMinutes(40));
            beforeRestart = first.Status;
        }

        var pollsBeforeRestart = _source.Polls.Count;
        using var second = Start();

        Assert.Equal(SourceState.Error, second.Status.State);
        Assert.Equal(OutageStart, second.Status.FirstFailureAt);
        Assert.Equal(beforeRestart.RetryCount, second.Status.RetryCount);
        Assert.Equal(beforeRestart.NextAttemptAt, second.Status.NextAttemptAt);

        await second.DriveUntilAsync(OutageStart.AddDays(2));

        Assert.True(_source.Polls.Count > pollsBeforeRestart, "the streak's retries go on after the restart");
        Assert.Equal(OutageStart.AddMinutes(90), _source.Polls[^1]);
        Assert.Equal(OutageStart, second.Status.FirstFailureAt);
        Assert.True(second.Status.RetriesStopped);
        Assert.Equal(
            [(SourceState.Error, SourceState.Initialized), (SourceState.Initialized, SourceState.Error)],
            StatesOf(second.Status.RecentTransitions.Take(2)));
        var error = Assert.Single(second.Health.List());
        Assert.Equal(_source.Polls.Count(p => p >= OutageStart), error.Count);
    }

    [Fact]
    public async Task AWindowThatRanOutWhileTheSourceRetriedStaysClosedAcrossARestart()
    {
        // The source used its whole window before the daemon went down: a restart of the daemon is not a retry.
        // (A window that ran out while the daemon was down opens again: AWindowThatRanOutWhileTheDaemonWasDown….)
        _source.PollFailure = now => now >= OutageStart ? ScriptedSource.Api(KnowBe4FailureKind.Network, null) : null;
        using (var first = Start())
        {
            await first.DriveUntilAsync(OutageStart.AddHours(2));
            Assert.True(first.Status.RetriesStopped);
        }

        var polls = _source.Polls.Count;
        _time.SetUtcNow(OutageStart.AddHours(5));
        using var second = Start();
        await second.DriveUntilAsync(OutageStart.AddDays(1));

        Assert.Equal(polls, _source.Polls.Count);
        Assert.True(second.Status.RetriesStopped);
    }

    [Fact]
    public async Task LimitExceededWaitsForMidnightUtcWithoutOpeningTheWindow()
    {
        var evening = new DateTimeOffset(2025, 3, 10, 23, 0, 0, TimeSpan.Zero);
        var midnight = evening.AddHours(1);
        _time.SetUtcNow(evening);
        _source.PollFailure = now => now >= evening.AddMinutes(5) && now < midnight ? ScriptedSource.Api(KnowBe4FailureKind.QuotaExhausted, 429) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(midnight.AddMilliseconds(-1));

        Assert.Equal([evening, evening.AddMinutes(5)], _source.Polls);
        Assert.Equal(SourceState.Collecting, harness.Status.State);
        Assert.Null(harness.Status.ErrorClass);
        Assert.Null(harness.Status.FirstFailureAt);
        Assert.Null(harness.Status.RetryWindowEndsAt);
        Assert.Equal(midnight, harness.Status.NotBefore);
        var warning = Assert.Single(harness.Health.List(unresolvedOnly: true));
        Assert.Equal(HealthEventNames.ThirdPartyQuotaWarning, warning.EventName);
        Assert.Equal(HealthSeverity.Warning, warning.SeverityLevel);

        await harness.DriveUntilAsync(midnight.AddMinutes(1));

        Assert.Equal([evening, evening.AddMinutes(5), midnight], _source.Polls);
        Assert.Equal(SourceState.Collecting, harness.Status.State);
        Assert.Null(harness.Status.NotBefore);
        Assert.DoesNotContain(harness.Status.RecentTransitions, t => t.To == SourceState.Error);
        Assert.Empty(harness.Health.List(unresolvedOnly: true));
        Assert.Equal(midnight, Assert.Single(harness.Health.List(), e => e.Status == HealthStatus.Healthy).EventTime);
    }

    [Fact]
    public async Task AQuotaWaitSurvivesARestartAndHonoursAConfiguredResetTime()
    {
        var options = new SupervisorOptions { CollectorName = "test-collector", QuotaResetTimeOfDayUtc = TimeSpan.FromHours(14) };
        var reset = T0.AddHours(2);
        _source.PollFailure = now => now >= OutageStart && now < reset ? ScriptedSource.Api(KnowBe4FailureKind.QuotaExhausted, 429) : null;
        using (var first = Start(options))
        {
            await first.DriveUntilAsync(OutageStart.AddMinutes(1));
        }

        using var second = Start(options);
        await second.DriveUntilAsync(reset.AddMilliseconds(-1));

        Assert.Equal([T0, OutageStart], _source.Polls);
        Assert.Equal(2, _source.Initializations);
        Assert.Equal(SourceState.Initialized, second.Status.State);

        await second.DriveUntilAsync(reset);

        Assert.Equal([T0, OutageStart, reset], _source.Polls);
        Assert.Equal(SourceState.Collecting, second.Status.State);
    }

    [Fact]
    public async Task AQuotaWaitInsideAnErrorStreakDoesNotSpendTheWindow()
    {
        var midnight = new DateTimeOffset(2025, 3, 11, 0, 0, 0, TimeSpan.Zero);
        _source.PollFailure = now =>
            now < OutageStart ? null
            : now < OutageStart.AddMinutes(10) || now >= midnight ? ScriptedSource.Api(KnowBe4FailureKind.ServerError, 502)
            : ScriptedSource.Api(KnowBe4FailureKind.QuotaExhausted, 429);
        using var harness = Start();

        await harness.DriveUntilAsync(midnight.AddDays(2));

        var quotaAnsweredAt = _source.Polls.First(p => p >= OutageStart.AddMinutes(10));
        var windowEndsAt = OutageStart.AddMinutes(90) + (midnight - quotaAnsweredAt);
        Assert.Equal(windowEndsAt, harness.Status.RetryWindowEndsAt);
        Assert.Equal(windowEndsAt, _source.Polls[^1]);
        Assert.Equal(midnight, _source.Polls.First(p => p > quotaAnsweredAt));
        Assert.Equal(OutageStart, harness.Status.FirstFailureAt);
        Assert.True(harness.Status.RetriesStopped);
    }

    [Fact]
    public async Task A500BeforeTheFirstAuthenticationIsAConfigurationError()
    {
        // The client reports a 500 to a key that has not worked yet as Unauthorized.
        _source.PollFailure = _ => ScriptedSource.Api(KnowBe4FailureKind.Unauthorized, 500);
        using var harness = Start();

        await harness.DriveUntilAsync(T0.AddDays(1));

        Assert.Single(_source.Polls);
        Assert.Equal(ErrorClass.ThirdPartyConfig, harness.Status.ErrorClass);
        Assert.Contains("wrong API key or region", Assert.Single(harness.Health.List()).Details.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A500AfterAuthenticationIsRetried()
    {
        _source.PollFailure = now => now >= OutageStart ? ScriptedSource.Api(KnowBe4FailureKind.ServerError, 500) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(OutageStart.AddMinutes(10));

        Assert.True(_source.Polls.Count > 3);
        Assert.Equal(ErrorClass.ThirdPartyGeneric, harness.Status.ErrorClass);
        Assert.False(harness.Status.RetriesStopped);
    }

    [Fact]
    public async Task HavingAuthenticatedSurvivesARestartButNotAConfigChange()
    {
        using (var first = Start())
        {
            await first.DriveUntilAsync(T0);
        }

        // A new process has a new client, which reports the first 500 as Unauthorized.
        _source.PollFailure = _ => ScriptedSource.Api(KnowBe4FailureKind.Unauthorized, 500);
        using (var sameConfig = Start())
        {
            Assert.True(sameConfig.Status.EverAuthenticated);
            await sameConfig.DriveUntilAsync(T0);
            Assert.Equal(ErrorClass.ThirdPartyGeneric, sameConfig.Status.ErrorClass);
        }

        using var newConfig = Start(work: _source.Work("config-v2"));
        Assert.Equal(SourceState.Pending, newConfig.Status.State);
        Assert.Null(newConfig.Status.ErrorClass);
        await newConfig.DriveUntilAsync(T0);

        Assert.Equal(ErrorClass.ThirdPartyConfig, newConfig.Status.ErrorClass);
    }

    [Fact]
    public async Task RetryAfterIsHonoured()
    {
        _source.PollFailure = now => now == OutageStart ? ScriptedSource.Api(KnowBe4FailureKind.RateLimited, 429, TimeSpan.FromMinutes(3)) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(T0.AddMinutes(10));

        Assert.Equal([T0, OutageStart, OutageStart.AddMinutes(3)], _source.Polls);
        Assert.Equal(SourceState.Collecting, harness.Status.State);
    }

    [Fact]
    public async Task ASinkFailureIsFirstPartyAndItsRetryAfterIsHonoured()
    {
        _source.PollFailure = now => now == OutageStart ? new SinkException("https://sink.example/receiver", 503, "POST answered 503", TimeSpan.FromSeconds(90)) : null;
        using var harness = Start();

        await harness.DriveUntilAsync(OutageStart.AddSeconds(89));

        Assert.Equal(ErrorClass.FirstPartyGeneric, harness.Status.ErrorClass);
        Assert.Equal(HealthEventNames.FirstPartyGenericError, Assert.Single(harness.Health.List()).EventName);

        await harness.DriveUntilAsync(OutageStart.AddSeconds(90));

        Assert.Equal([T0, OutageStart, OutageStart.AddSeconds(90)], _source.Polls);
        Assert.Equal(SourceState.Collecting, harness.Status.State);
    }

    [Fact]
    public async Task AnInvalidConfigurationStopsTheSourceBeforeAnyCall()
    {
        _source.InitializeFailure = () => new SourceConfigurationException("events.json: source 'kb4': region 'XX' is unknown", "region");
        using var harness = Start();

        await harness.DriveUntilAsync(T0.AddDays(1));

        Assert.Empty(_source.Polls);
        Assert.Equal(1, _source.Initializations);
        Assert.Equal(ErrorClass.ThirdPartyConfig, harness.Status.ErrorClass);
        Assert.Equal(
            [(SourceState.Pending, SourceState.Started), (SourceState.Started, SourceState.Error)],
            StatesOf(harness.Status.RecentTransitions));
    }

    [Fact]
    public async Task AFailedInitializationIsRetriedAndRecovers()
    {
        var failuresLeft = 2;
        _source.InitializeFailure = () => failuresLeft-- > 0 ? new IOException("checkpoint file busy") : null;
        using var harness = Start();

        await harness.DriveUntilAsync(T0.AddMinutes(2));

        Assert.Equal(3, _source.Initializations);
        Assert.Single(_source.Polls);
        Assert.Equal(
            [
                (SourceState.Pending, SourceState.Started),
                (SourceState.Started, SourceState.Error),
                (SourceState.Error, SourceState.Initialized),
                (SourceState.Initialized, SourceState.Authenticated),
                (SourceState.Authenticated, SourceState.Collecting),
            ],
            StatesOf(harness.Status.RecentTransitions));
        Assert.Equal(HealthEventNames.FirstPartyGenericError, Assert.Single(harness.Health.List(), e => e.Status == HealthStatus.Healthy).EventName);
    }

    [Fact]
    public async Task DeletingStopsTheSourceAndRemovesItsState()
    {
        _source.PollFailure = _ => ScriptedSource.Api(KnowBe4FailureKind.Unauthorized, 401);
        using var harness = Start();
        await harness.DriveUntilAsync(T0);

        harness.Supervisor.RequestDelete();
        harness.Supervisor.RequestRestart();
        var due = await harness.Supervisor.StepAsync(TestContext.Current.CancellationToken);

        Assert.Null(due);
        Assert.Equal(SourceState.Stopping, harness.Status.State);
        Assert.Equal(0, harness.Database.Database.GetCollection(SourceSupervisor.StatesCollectionName).Count());
        Assert.Empty(harness.Health.List(unresolvedOnly: true));
        await harness.DriveUntilAsync(T0.AddDays(1));
        Assert.Single(_source.Polls);
        Assert.Equal(SourceState.Stopping, harness.Status.State);
    }

    [Fact]
    public async Task RunAsyncAppliesCommandsOnItsLoopAndStopsOnShutdown()
    {
        var keyWorks = false;
        _source.PollFailure = _ => keyWorks ? null : ScriptedSource.Api(KnowBe4FailureKind.Unauthorized, 401);
        using (var harness = Start())
        {
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var run = harness.Supervisor.RunAsync(shutdown.Token);

            await LifecycleTestWaits.UntilAsync(() => harness.Status.State == SourceState.Error);
            for (var day = 0; day < 5; day++)
            {
                _time.Advance(TimeSpan.FromDays(1));
                await Task.Delay(2, TestContext.Current.CancellationToken);
            }

            Assert.Single(_source.Polls);

            keyWorks = true;
            harness.Supervisor.RequestRestart();
            await LifecycleTestWaits.UntilAsync(() => harness.Status.State == SourceState.Collecting);
            Assert.Equal(2, _source.Polls.Count);

            await shutdown.CancelAsync();
            await run;
            Assert.Equal(SourceState.Stopping, harness.Status.State);
            Assert.Null(harness.Status.NextAttemptAt);
        }

        using var restarted = Start();
        Assert.Equal(SourceState.Pending, restarted.Status.State);
        Assert.True(restarted.Status.EverAuthenticated);
    }

    [Fact]
    public async Task RunAsyncPollsOnTheClockAndReturnsAfterADelete()
    {
        using var harness = Start();
        var run = harness.Supervisor.RunAsync(TestContext.Current.CancellationToken);
        await LifecycleTestWaits.UntilAsync(() => _source.Polls.Count == 1);

        await LifecycleTestWaits.UntilAsync(() => _source.Polls.Count == 3, () => _time.Advance(TimeSpan.FromMinutes(1)));

        var polls = _source.Polls;
        Assert.True(polls[1] - polls[0] >= TimeSpan.FromMinutes(5));
        Assert.True(polls[2] - polls[1] >= TimeSpan.FromMinutes(5));
        Assert.Equal(SourceState.Collecting, harness.Status.State);

        harness.Supervisor.RequestDelete();
        await run;
        Assert.Equal(SourceState.Stopping, harness.Status.State);
    }

    [Fact]
    public async Task AGracefulShutdownLetsTheStepUnderWayFinishThenStopsKeepingTheState()
    {
        var polling = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var work = new SourceWork(
            _ => ValueTask.CompletedTask,
            async (_, _) =>
            {
                polling.TrySetResult();
                await release.Task;
                return new PollResult(TimeSpan.FromMinutes(5));
            });
        using var harness = Start(work: work);
        var run = harness.Supervisor.RunAsync(TestContext.Current.CancellationToken);
        await polling.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        harness.Supervisor.RequestShutdown();
        Assert.False(run.IsCompleted);
        release.SetResult();
        await run.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(SourceState.Stopping, harness.Status.State);
        Assert.NotNull(harness.Status.LastSuccessAt); // the poll under way was not aborted
        Assert.Equal(1, harness.Database.Database.GetCollection(SourceSupervisor.StatesCollectionName).Count());
    }

    private SupervisorHarness Start(SupervisorOptions? options = null, SourceWork? work = null) =>
        new(_folder.Path, _time, work ?? _source.Work(), options);

    private static List<(SourceState, SourceState)> StatesOf(IEnumerable<SourceTransition> transitions) =>
        transitions.Select(t => (t.From, t.To)).ToList();
}
