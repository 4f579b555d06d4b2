using Kb4Collector.Daemon;
using Kb4Collector.Delivery;
using Kb4Collector.Health;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Storage;

/// <summary>Call history, health events and dead letters are kept to their documented retention, by the daemon itself.</summary>
public sealed class RetentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly HealthResourceIdentity Source = new("local", "c", "src-1", "Source 1");
    private static readonly HealthProblem Problem = new(HealthEventNames.ThirdPartyGenericError, HealthSeverity.Error, "Third-party API error", "HTTP 503");

    private readonly LifecycleTempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ResolvedHealthEventsGoAfterNinetyDaysOpenOnesStay()
    {
        using var database = CollectorDatabase.Open(_folder.Path);
        var store = new HealthEventStore(database);
        var old = Now - HealthEventStore.ResolvedRetention - TimeSpan.FromDays(1);
        store.ReportUnhealthy(Source, Problem, old);
        store.Recover(Source, "recovered", old);                    // one resolved Unhealthy and one Healthy event, both old
        store.ReportUnhealthy(Source, Problem, old);                 // open since then: kept however old
        store.ReportUnhealthy(Source with { Id = "src-2" }, Problem, Now - TimeSpan.FromDays(10));
        store.Recover(Source with { Id = "src-2" }, "recovered", Now - TimeSpan.FromDays(10));

        Assert.Equal(2, store.Prune(Now));

        var left = store.List(limit: 100);
        Assert.Equal(3, left.Count);
        Assert.Single(left, e => e.Status == HealthStatus.Unhealthy && e.ResourceIdentity.Id == "src-1");
        Assert.Equal(2, left.Count(e => e.ResourceIdentity.Id == "src-2"));
    }

    [Fact]
    public void DeadLettersNotRetriedForNinetyDaysGoWithAWarningNamingTheirSource()
    {
        using var database = CollectorDatabase.Open(_folder.Path);
        var time = new FakeTimeProvider(Now - DeadLetterStore.Retention - TimeSpan.FromDays(2));
        var logger = new FakeLogger<DeadLetterStore>();
        var store = new DeadLetterStore(database, time, logger);
        store.Add("src-1", new SinkEvent("e1", "{}"u8.ToArray()), 400, "refused");
        store.Add("src-1", new SinkEvent("e2", "{}"u8.ToArray()), 400, "refused");
        time.SetUtcNow(Now - TimeSpan.FromDays(1));
        store.Add("src-1", new SinkEvent("e3", "{}"u8.ToArray()), 400, "refused");

        Assert.Equal(2, store.Prune(Now));

        Assert.Equal(["e3"], store.List().Select(letter => letter.EventId));
        var warning = Assert.Single(logger.Collector.GetSnapshot(), record => record.Id.Id == 5006);
        Assert.Contains("Deleted 2 dead letters of src-1 not retried for 90 days", warning.Message, StringComparison.Ordinal);
    }

    /// <summary>Nothing called the call-history pruning before: the daemon now prunes at start and every hour of its clock.</summary>
    [Fact]
    public async Task TheDaemonPrunesAtStartAndEveryHourOfItsClock()
    {
        var data = Path.Combine(_folder.Path, "data");
        var sources = Path.Combine(_folder.Path, "sources");
        Directory.CreateDirectory(sources);
        var time = new FakeTimeProvider(Now);
        using (var database = CollectorDatabase.Open(data))
        {
            var ledger = new CallLedger(database, time);
            ledger.RecordCall(Call(Now - CallLedger.HistoryRetention - TimeSpan.FromDays(1)));
            ledger.RecordCall(Call(Now - TimeSpan.FromMinutes(30)));
            ledger.Flush();
            var health = new HealthEventStore(database);
            health.ReportUnhealthy(Source, Problem, Now - TimeSpan.FromDays(100));
            health.Recover(Source, "recovered", Now - TimeSpan.FromDays(100));
        }

        await using var sink = await RecordingSinkServer.StartAsync();
        var app = DaemonHost.Build(new DaemonSettings
        {
            SourcesPath = sources,
            DataDirectory = data,
            LogOutput = new LockedStringWriter(),
            TimeProvider = time,
            Values = new Dictionary<string, string?>
            {
                ["Collector:Admin:Listen"] = "127.0.0.1:0",
                ["Collector:Sink:Url"] = sink.Url.ToString(),
            },
        });
        await using (app)
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
            var ledger = app.Services.GetRequiredService<CallLedger>();
            var health = app.Services.GetRequiredService<HealthEventStore>();
            await Waits.UntilAsync(() => ledger.History().Count == 1 && health.List().Count == 0, "the start-up pruning");

            // An hour later of the daemon's clock, the entry that was half an hour old a year ago goes too.
            // The service may not have started waiting for its next hour when the clock moves: move it an hour more
            // each time the condition is checked, until the pruning runs.
            time.Advance(CallLedger.HistoryRetention);
            await Waits.UntilAsync(
                () =>
                {
                    if (ledger.History().Count == 0)
                    {
                        return true;
                    }
                    time.Advance(TimeSpan.FromHours(1));
                    return false;
                },
                "the hourly pruning");
            await app.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task NoPruningBeginsBeforeTheDaemonHasStartedSoAFailedStartDoesNotCloseTheFileUnderIt()
    {
        var database = CollectorDatabase.Open(_folder.Path);
        var time = new FakeTimeProvider(Now);
        var retention = new RetentionService(
            database, new CallLedger(database, time), new HealthEventStore(database), new DeadLetterStore(database, time), time,
            new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), NullLogger<RetentionService>.Instance);
        database.Dispose(); // what a daemon that could not bind its admin port does while its services are starting

        await retention.StartAsync(TestContext.Current.CancellationToken);
        await Task.WhenAny(retention.ExecuteTask!, Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));
        Assert.False(retention.ExecuteTask!.IsFaulted, retention.ExecuteTask.Exception?.InnerException?.Message);
        await retention.StopAsync(TestContext.Current.CancellationToken);

        Assert.True(retention.ExecuteTask.IsCompletedSuccessfully);
        retention.Dispose();
    }

    private static CallRecord Call(DateTimeOffset at) => new(at, "src-1", "key-fp", "GET /v1/events", 200, 0, null, TimeSpan.FromMilliseconds(5));
}
