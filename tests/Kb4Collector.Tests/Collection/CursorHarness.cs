using Kb4Collector.Collection;
using Kb4Collector.KnowBe4;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Collection;

/// <summary>A source's collector over the in-memory API, a recording sink and a real LiteDB file in a temp folder.</summary>
internal sealed class CursorHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kb4-cursor-" + Guid.NewGuid().ToString("N"));
    private CollectorDatabase _database;

    public CursorHarness(CollectionOptions? options = null, int seed = 1)
    {
        Api = new FakeEventApi(seed);
        Options = options ?? new CollectionOptions { InitialLookback = TimeSpan.FromDays(3), MaxBatchEvents = 250 };
        _database = CollectorDatabase.Open(_folder);
        Collector = CreateCollector();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public FakeEventApi Api { get; }

    public RecordingSink Sink { get; } = new();

    public CollectionOptions Options { get; set; }

    public string Fingerprint { get; set; } = "https://api.events.knowbe4.com|key-1";

    public Func<long>? SpareCalls { get; set; }

    /// <summary>Whether a discretionary read of this cost fits in a day of the plan at all; by default when it fits <see cref="SpareCalls"/>.</summary>
    public Func<int, bool>? FitsADay { get; set; }

    /// <summary>How often each tracked day is read again in full (the plan's rescan period).</summary>
    public TimeSpan RescanPeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>When set, the daily budget is spent from this call on (1-based, counting only this harness's calls).</summary>
    public Func<int, DateTimeOffset?>? BudgetSpentAt { get; set; }

    public SourceCollector Collector { get; private set; }

    public Task<CollectionPollResult> PollAsync()
    {
        bool CanAfford(int cost) => (SpareCalls?.Invoke() ?? long.MaxValue) >= cost;
        return Collector.PollOnceAsync(new RescanAllowance(RescanPeriod, CanAfford, CanAfford, FitsADay ?? CanAfford), null, TestContext.Current.CancellationToken);
    }

    /// <summary>A new process on the same data folder.</summary>
    public void Restart()
    {
        _database.Dispose();
        _database = CollectorDatabase.Open(_folder);
        Collector = CreateCollector();
    }

    /// <summary>Every event that exists was delivered exactly once, and nothing else was delivered, apart from deleted events.</summary>
    public void AssertDeliveredExactlyOnce(IEnumerable<string>? expected = null)
    {
        var duplicates = Sink.Delivered.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(duplicates);
        var delivered = Sink.Delivered.ToHashSet();
        var existing = (expected ?? Api.ExistingIds).ToHashSet();
        var missing = existing.Except(delivered).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} events never delivered, occurred at: {string.Join(", ", missing.Take(10).Select(id => Api.OccurredOf(id)?.ToString("O", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Empty(delivered.Except(existing).Except(Api.DeletedIds));
    }

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private SourceCollector CreateCollector() => new(
        "source-1",
        new CollectionIdentity(Fingerprint),
        Options,
        FetchAsync,
        Sink.DeliverAsync,
        _database,
        Time,
        NullLogger<SourceCollector>.Instance);

    private async Task<FetchOutcome> FetchAsync(EventQuery query, CancellationToken cancellationToken)
    {
        if (BudgetSpentAt?.Invoke(Api.Calls + 1) is { } resetsAt)
        {
            return FetchOutcome.BudgetSpent(resetsAt);
        }
        return FetchOutcome.Of(await Api.FetchAsync(query, cancellationToken));
    }
}
