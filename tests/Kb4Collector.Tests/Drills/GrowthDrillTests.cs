using Kb4Collector.Delivery;
using Kb4Collector.Health;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// Growth drill: two simulated years of a source polling every 15 minutes on a real LiteDB file, with
/// the daemon's retention applied daily: one call recorded per poll, a sink outage (health event raised and resolved)
/// every six hours and two dead letters a day. Call history, health events and dead letters stay within their
/// documented retention, and the file stops growing once the first year is behind it.
/// </summary>
[Trait("Category", "Drill")]
public sealed class GrowthDrillTests : IDisposable
{
    private const int PollsPerDay = 96;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly HealthResourceIdentity Source = new("local", "drill", "src-1", "Source 1");
    private static readonly HealthProblem SinkDown = new(HealthEventNames.FirstPartyGenericError, HealthSeverity.Error, "Sink error", "HTTP 503");

    // In memory where the machine has it: two years are some 10,000 commits, each a disk flush elsewhere.
    private readonly string _folder = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "kb4-drill-growth-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact(Explicit = true)]
    public void TwoYearsOfPollingStayWithinRetentionAndTheFileStopsGrowing()
    {
        var time = new FakeTimeProvider(Start);
        var sizes = new List<(int Day, long Bytes, int History, int Health, int DeadLetters)>();
        using (var database = CollectorDatabase.Open(_folder))
        {
            var ledger = new CallLedger(database, time);
            var health = new HealthEventStore(database);
            var deadLetters = new DeadLetterStore(database, time);
            var retention = new RetentionService(database, ledger, health, deadLetters, time, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), NullLogger<RetentionService>.Instance);
            var poll = TimeSpan.FromMinutes(15);
            for (var day = 1; day <= 2 * 365; day++)
            {
                for (var i = 0; i < PollsPerDay; i++)
                {
                    var now = time.GetUtcNow();
                    ledger.RecordCall(new CallRecord(now, "src-1", "key-fp", "GET /v1/events", 200, i % 7, null, TimeSpan.FromMilliseconds(120)));
                    if (i % (PollsPerDay / 4) == 0)
                    {
                        health.ReportUnhealthy(Source, SinkDown, now);
                    }
                    else if (i % (PollsPerDay / 4) == 1)
                    {
                        health.Recover(Source, "the sink accepts again", now);
                    }
                    if (i % (PollsPerDay / 2) == 0)
                    {
                        deadLetters.Add("src-1", new SinkEvent(Guid.NewGuid().ToString(), new byte[600]), 400, "refused");
                    }
                    time.Advance(poll);
                }
                retention.PruneNow();
                if (day % 73 == 0)
                {
                    ledger.Flush();
                    database.Database.Checkpoint();
                    sizes.Add((day, FileBytes(), ledger.History(limit: int.MaxValue).Count, health.List(limit: int.MaxValue).Count, deadLetters.Count()));
                }
            }
        }

        DrillReport.Write(string.Join("; ", sizes.Select(s => $"day {s.Day}: {s.Bytes / 1024} KiB, {s.History} calls, {s.Health} health events, {s.DeadLetters} dead letters")));
        var afterAYear = sizes.Where(s => s.Day >= 365).ToList();
        Assert.All(afterAYear, s => Assert.InRange(s.History, (365 * PollsPerDay) - 100, 366 * PollsPerDay));
        Assert.All(sizes, s => Assert.True(s.Health <= (90 + 1) * 4 * 2 + 2, $"day {s.Day}: {s.Health} health events kept"));
        Assert.All(sizes, s => Assert.True(s.DeadLetters <= (90 + 1) * 2, $"day {s.Day}: {s.DeadLetters} dead letters kept"));
        var yearOne = afterAYear[0].Bytes;
        Assert.All(afterAYear, s => Assert.True(s.Bytes <= yearOne * 1.2, $"day {s.Day}: {s.Bytes / 1024} KiB, {yearOne / 1024} KiB after a year: the file keeps growing"));
    }

    private long FileBytes() => Directory.GetFiles(_folder, "kb4collector*.db").Sum(file => new FileInfo(file).Length);
}
