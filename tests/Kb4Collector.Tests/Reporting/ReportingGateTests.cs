using Kb4Collector.Reporting;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Reporting;

/// <summary>The Reporting key's ledger: 4 in any 1.05 s, 50 in any 61 s, a daily window from the first call that survives a restart.</summary>
public sealed class ReportingGateTests : IDisposable
{
    private const string Key = "0123456789abcdef";
    private readonly LifecycleTempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 10, 15, 30, 0, TimeSpan.Zero));

    [Fact]
    public void FourASecondAndFiftyAMinuteThenItSaysWhenTheNextMayGo()
    {
        using var database = CollectorDatabase.Open(_folder.Path);
        var gate = new ReportingGate(database, _time);
        gate.SetBudget(Key, 10_000);
        var first = _time.GetUtcNow();
        for (var i = 0; i < 4; i++)
        {
            Assert.True(gate.TryAcquire(Key).Granted);
        }
        var fifth = gate.TryAcquire(Key);
        Assert.Equal((false, ReportingLimit.PerSecond, first + ReportingGate.SecondWindow), (fifth.Granted, fifth.Limit, fifth.NotBefore));

        for (var granted = 4; granted < 50;)
        {
            _time.Advance(TimeSpan.FromMilliseconds(300));
            granted += gate.TryAcquire(Key).Granted ? 1 : 0;
        }
        var burst = gate.TryAcquire(Key);
        Assert.Equal((false, ReportingLimit.Burst, first + ReportingGate.BurstWindow), (burst.Granted, burst.Limit, burst.NotBefore));
        _time.SetUtcNow(first + ReportingGate.BurstWindow);
        Assert.True(gate.TryAcquire(Key).Granted);
    }

    [Fact]
    public void TheDailyWindowStartsAtTheFirstCallNotAtMidnightAndARestartRemembersIt()
    {
        var first = _time.GetUtcNow();
        using (var database = CollectorDatabase.Open(_folder.Path))
        {
            var gate = new ReportingGate(database, _time);
            gate.SetBudget(Key, 40);
            for (var i = 0; i < 20; i++)
            {
                _time.Advance(TimeSpan.FromSeconds(2));
                Assert.True(gate.TryAcquire(Key).Granted);
            }
        }

        // Past UTC midnight, in a new process: the window (and what it spent) still holds.
        _time.SetUtcNow(first.AddHours(10));
        using (var database = CollectorDatabase.Open(_folder.Path))
        {
            var gate = new ReportingGate(database, _time);
            gate.SetBudget(Key, 40);
            var granted = 0;
            ReportingPermit permit;
            while ((permit = gate.TryAcquire(Key)).Granted)
            {
                granted++;
                _time.Advance(TimeSpan.FromSeconds(2));
            }
            // 95 % of 40 is scheduled (38); 20 were spent before the restart (stored a block ahead: never fewer).
            Assert.InRange(granted, 1, 18);
            Assert.Equal(ReportingLimit.Daily, permit.Limit);
            Assert.Equal(first + TimeSpan.FromSeconds(2) + ReportingGate.DailyWindow, permit.NotBefore);
            Assert.Equal(first + TimeSpan.FromSeconds(2), gate.Status(Key).WindowStart);
            _time.SetUtcNow(permit.NotBefore);
            Assert.True(gate.TryAcquire(Key).Granted);
            Assert.Equal(permit.NotBefore, gate.Status(Key).WindowStart);
        }
    }

    [Fact]
    public void ARestartInsideTheBurstWindowRemembersTheCallsAlreadyMade()
    {
        var first = _time.GetUtcNow();
        using (var database = CollectorDatabase.Open(_folder.Path))
        {
            var gate = new ReportingGate(database, _time);
            gate.SetBudget(Key, 10_000);
            for (var granted = 0; granted < 48;)
            {
                _time.Advance(TimeSpan.FromMilliseconds(300));
                granted += gate.TryAcquire(Key).Granted ? 1 : 0;
            }
        }

        // A new process ten seconds later: two more calls fit the burst window, then it waits for the first to age out.
        _time.Advance(TimeSpan.FromSeconds(10));
        using (var database = CollectorDatabase.Open(_folder.Path))
        {
            var gate = new ReportingGate(database, _time);
            gate.SetBudget(Key, 10_000);
            for (var granted = 0; granted < 2;)
            {
                _time.Advance(TimeSpan.FromMilliseconds(300));
                granted += gate.TryAcquire(Key).Granted ? 1 : 0;
            }
            var refused = gate.TryAcquire(Key);
            Assert.False(refused.Granted);
            Assert.Equal(ReportingLimit.Burst, refused.Limit);
            Assert.InRange(refused.NotBefore - first, ReportingGate.BurstWindow, ReportingGate.BurstWindow + TimeSpan.FromSeconds(1));
        }
    }

    public void Dispose() => _folder.Dispose();
}
