using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Quota;

public sealed class CallLedgerTests : IDisposable
{
    private const string Key = "0123456789abcdef";
    private const string OtherKey = "fedcba9876543210";

    private readonly DeliveryTestFolder _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 3, 1, 23, 58, 0, TimeSpan.Zero));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ScheduledCallsStopAtTheReserveAndManualCallsMayUseIt()
    {
        using var database = _folder.OpenDatabase();
        var ledger = Ledger(database, DailyBudget.Create(licensedUsers: 2, manualReserve: 10)); // 20 calls, 10 reserved

        Assert.Equal(10, Enumerable.Range(0, 15).Count(_ => ledger.TryReserveCall(Key)));
        Assert.Equal(0, ledger.Remaining(Key, _time.GetUtcNow()));
        Assert.Equal(10, Enumerable.Range(0, 15).Count(_ => ledger.TryReserveCall(Key, CallPurpose.Manual)));

        var status = ledger.Status(Key, _time.GetUtcNow());
        Assert.Equal(new QuotaStatus(new DateOnly(2024, 3, 1), 20, 20, 10, 0, 0), status);
    }

    [Fact]
    public void CountsPerUtcDayAndStartsAfreshAtMidnight()
    {
        using var database = _folder.OpenDatabase();
        var ledger = Ledger(database, DailyBudget.Create(licensedUsers: 100)); // 1000 calls, 50 reserved
        for (var i = 0; i < 30; i++)
        {
            Assert.True(ledger.TryReserveCall(Key));
        }
        Assert.Equal(920, ledger.Remaining(Key, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromMilliseconds(1)); // 23:59:59.999
        Assert.True(ledger.TryReserveCall(Key));
        _time.Advance(TimeSpan.FromMilliseconds(1)); // 00:00:00.000 the next day
        Assert.True(ledger.TryReserveCall(Key));

        Assert.Equal(949, ledger.Remaining(Key, _time.GetUtcNow()));
        Assert.Equal(919, ledger.Remaining(Key, new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal(
            [new DayUsage(new DateOnly(2024, 2, 29), 0, 0), new DayUsage(new DateOnly(2024, 3, 1), 31, 0), new DayUsage(new DateOnly(2024, 3, 2), 1, 0)],
            ledger.DailyUsage(Key, new DateOnly(2024, 2, 29), new DateOnly(2024, 3, 2)));
    }

    [Fact]
    public void KeysAreCountedSeparately()
    {
        using var database = _folder.OpenDatabase();
        var ledger = Ledger(database, DailyBudget.Create(licensedUsers: null, dailyCallBudget: 12, manualReserve: 0));
        ledger.SetBudget(OtherKey, DailyBudget.Create(licensedUsers: null, dailyCallBudget: 12, manualReserve: 0));

        for (var i = 0; i < 12; i++)
        {
            ledger.TryReserveCall(Key);
        }

        Assert.False(ledger.TryReserveCall(Key));
        Assert.True(ledger.TryReserveCall(OtherKey));
    }

    [Fact]
    public void AServerSideLimitExceededSpendsTheRestOfTheDay()
    {
        using var database = _folder.OpenDatabase();
        var ledger = Ledger(database, DailyBudget.Create(licensedUsers: 100));
        ledger.TryReserveCall(Key);

        ledger.MarkDayExhausted(Key, _time.GetUtcNow());

        Assert.False(ledger.TryReserveCall(Key, CallPurpose.Manual));
        Assert.Equal(0, ledger.Remaining(Key, _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(ledger.TryReserveCall(Key));
    }

    [Fact]
    public void AKeyWithoutABudgetCannotReserve()
    {
        using var database = _folder.OpenDatabase();
        var ledger = new CallLedger(database, _time);

        var failure = Assert.Throws<InvalidOperationException>(() => ledger.TryReserveCall(Key));
        Assert.Contains(Key, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountsSurviveReopeningTheDatabase()
    {
        using (var database = _folder.OpenDatabase())
        {
            var ledger = Ledger(database, DailyBudget.Create(licensedUsers: 100));
            for (var i = 0; i < 7; i++)
            {
                ledger.TryReserveCall(Key);
            }
            ledger.RecordCall(Call(_time.GetUtcNow(), "src-1"));
            ledger.Flush(); // as the daemon does after every poll and at shutdown
        }

        using var reopened = _folder.OpenDatabase();
        var again = Ledger(reopened, DailyBudget.Create(licensedUsers: 100));
        Assert.Equal(943, again.Remaining(Key, _time.GetUtcNow()));
        Assert.Equal(Call(_time.GetUtcNow(), "src-1"), Assert.Single(again.History()));
    }

    [Fact]
    public void ACrashOverCountsByLessThanABlockAndNeverUnderCounts()
    {
        using (var database = _folder.OpenDatabase())
        {
            var ledger = Ledger(database, DailyBudget.Create(licensedUsers: 100));
            for (var i = 0; i < 23; i++)
            {
                ledger.TryReserveCall(Key);
            }
            Assert.Equal(23, ledger.Status(Key, _time.GetUtcNow()).Used);
        }

        using var reopened = _folder.OpenDatabase();
        var again = Ledger(reopened, DailyBudget.Create(licensedUsers: 100));
        var block = CallLedger.ReservationBlock(DailyBudget.Create(licensedUsers: 100));
        Assert.Equal(10, block);
        Assert.InRange(again.Status(Key, _time.GetUtcNow()).Used, 23, 23 + block - 1);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(100, 10)]
    [InlineData(100_000, CallLedger.MaxReservationBlock)]
    public void AReservationCoversOnePercentOfTheDailyBudget(int licensedUsers, int block) =>
        Assert.Equal(block, CallLedger.ReservationBlock(DailyBudget.Create(licensedUsers)));

    [Fact]
    public void HistoryIsReadBackBeforeItIsWrittenAndWrittenInBatches()
    {
        using var database = _folder.OpenDatabase();
        var ledger = new CallLedger(database, _time);
        var history = database.Database.GetCollection(CallLedger.HistoryCollection);
        for (var i = 0; i < CallLedger.HistoryBatch - 1; i++)
        {
            ledger.RecordCall(Call(_time.GetUtcNow().AddSeconds(i), "src-1"));
        }
        Assert.Equal(0, history.Count());

        ledger.RecordCall(Call(_time.GetUtcNow().AddSeconds(CallLedger.HistoryBatch), "src-1"));
        Assert.Equal(CallLedger.HistoryBatch, history.Count());

        ledger.RecordCall(Call(_time.GetUtcNow().AddHours(1), "src-2"));
        Assert.Equal("src-2", ledger.History(limit: 1)[0].SourceId);
    }

    [Fact]
    public void HistoryIsNewestFirstAndFiltersByKeyAndSource()
    {
        using var database = CollectorDatabase.InMemory();
        var ledger = new CallLedger(database, _time);
        var start = _time.GetUtcNow();
        ledger.RecordCall(Call(start, "src-1"));
        ledger.RecordCall(Call(start.AddMinutes(5), "src-2"));
        ledger.RecordCall(Call(start.AddMinutes(10), "src-1") with { Status = 429, Error = "Limit Exceeded", Events = 0 });
        ledger.RecordCall(Call(start.AddMinutes(15), "src-3") with { KeyFingerprint = OtherKey });

        var history = ledger.History(Key);

        Assert.Equal([start.AddMinutes(10), start.AddMinutes(5), start], history.Select(call => call.Time));
        Assert.Equal("Limit Exceeded", history[0].Error);
        Assert.Equal(TimeSpan.FromMilliseconds(250), history[0].Duration);
        Assert.Equal(2, ledger.History(Key, "src-1").Count);
        Assert.Single(ledger.History(Key, "src-1", limit: 1));
        Assert.Equal(4, ledger.History().Count);
    }

    [Fact]
    public void MonthlyAndYearlyUsageAddUpTheDays()
    {
        using var database = CollectorDatabase.InMemory();
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 1, 31, 12, 0, 0, TimeSpan.Zero));
        var ledger = new CallLedger(database, time);
        ledger.SetBudget(Key, DailyBudget.Create(licensedUsers: 100));
        ReserveOnDay(ledger, 3);               // Jan 31
        time.Advance(TimeSpan.FromDays(1));
        ReserveOnDay(ledger, 4);               // Feb 1
        time.Advance(TimeSpan.FromDays(28));
        ReserveOnDay(ledger, 5);               // Feb 29 (leap year)
        time.Advance(TimeSpan.FromDays(1));
        ReserveOnDay(ledger, 6);               // Mar 1

        Assert.Equal(new MonthUsage(2024, 1, 3), ledger.MonthlyUsage(Key, 2024, 1));
        Assert.Equal(new MonthUsage(2024, 2, 9), ledger.MonthlyUsage(Key, 2024, 2));
        var year = ledger.YearlyUsage(Key, 2024);
        Assert.Equal(12, year.Count);
        Assert.Equal([3, 9, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0], year.Select(month => month.Calls));
        Assert.Equal(0, ledger.MonthlyUsage(OtherKey, 2024, 2).Calls);

        void ReserveOnDay(CallLedger target, int calls)
        {
            for (var i = 0; i < calls; i++)
            {
                Assert.True(target.TryReserveCall(Key));
            }
        }
    }

    [Fact]
    public void PruneDropsHistoryOlderThanAYear()
    {
        using var database = CollectorDatabase.InMemory();
        var ledger = new CallLedger(database, _time);
        var now = _time.GetUtcNow();
        ledger.RecordCall(Call(now.AddDays(-366), "src-old"));
        ledger.RecordCall(Call(now.AddDays(-364), "src-recent"));
        ledger.RecordCall(Call(now, "src-now"));

        var removed = ledger.Prune(now);

        Assert.Equal(1, removed);
        Assert.Equal(["src-now", "src-recent"], ledger.History().Select(call => call.SourceId));
    }

    [Fact]
    public void PruneKeepsDayCountersTwoYears()
    {
        using var database = CollectorDatabase.InMemory();
        var time = new FakeTimeProvider(new DateTimeOffset(2022, 1, 10, 0, 0, 0, TimeSpan.Zero));
        var ledger = new CallLedger(database, time);
        ledger.SetBudget(Key, DailyBudget.Create(licensedUsers: 1));
        ledger.TryReserveCall(Key);                        // 2022-01-10
        time.Advance(TimeSpan.FromDays(400));
        ledger.TryReserveCall(Key);                        // 2023-02-14

        ledger.Prune(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(0, ledger.MonthlyUsage(Key, 2022, 1).Calls);
        Assert.Equal(1, ledger.MonthlyUsage(Key, 2023, 2).Calls);
    }

    private CallLedger Ledger(CollectorDatabase database, DailyBudget budget)
    {
        var ledger = new CallLedger(database, _time);
        ledger.SetBudget(Key, budget);
        return ledger;
    }

    private static CallRecord Call(DateTimeOffset time, string sourceId)
        => new(time, sourceId, Key, "GET /events", 200, 25, null, TimeSpan.FromMilliseconds(250));
}
