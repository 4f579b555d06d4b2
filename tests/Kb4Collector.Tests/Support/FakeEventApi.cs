using System.Globalization;
using System.Text;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Tests.Support;

/// <summary>
/// An in-memory List Events with the paging, day filter and ordering of the real API, for fast cursor tests.
/// Its hooks change the data between calls, the way arrivals and deletions land while a scan is under way.
/// </summary>
internal sealed class FakeEventApi
{
    private readonly List<FakeEvent> _events = [];
    private readonly Random _random;

    public FakeEventApi(int seed = 1) => _random = new Random(seed);

    /// <summary>Runs before each call is answered, with the 1-based call number.</summary>
    public Action<int>? BeforeCall { get; set; }

    /// <summary>Events sharing an instant come back in a different order on every call, as an unstable database sort would give them.</summary>
    public bool ShuffleTies { get; set; }

    public int Calls { get; private set; }

    public List<EventQuery> Queries { get; } = [];

    public IReadOnlyCollection<string> ExistingIds => [.. _events.Select(e => e.Id)];

    public HashSet<string> DeletedIds { get; } = [];

    public string Add(DateTimeOffset occurred)
    {
        var bytes = new byte[16];
        _random.NextBytes(bytes);
        var id = new Guid(bytes).ToString();
        var json = string.Create(CultureInfo.InvariantCulture, $$"""{"id":"{{id}}","account_id":1,"occurred_date":"{{occurred.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fff}}Z","description":"fake \"quoted\" text"}""");
        _events.Add(new FakeEvent(id, occurred, Encoding.UTF8.GetBytes(json)));
        return id;
    }

    public IReadOnlyList<string> AddMany(int count, DateTimeOffset from, TimeSpan spread)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add(Add(from + TimeSpan.FromMilliseconds(_random.NextInt64((long)spread.TotalMilliseconds))));
        }
        return ids;
    }

    /// <summary>The ids on a UTC day, in the API's ascending order.</summary>
    public IReadOnlyList<string> ExistingIdsOn(DateOnly day) =>
        [.. _events.Where(e => DateOnly.FromDateTime(e.Occurred.UtcDateTime) == day).OrderBy(e => e.Occurred).ThenBy(e => e.Id, StringComparer.Ordinal).Select(e => e.Id)];

    /// <summary>The newest ids of the account, newest first.</summary>
    public IReadOnlyList<string> NewestIds(int count) =>
        [.. _events.OrderByDescending(e => e.Occurred).ThenBy(e => e.Id, StringComparer.Ordinal).Take(count).Select(e => e.Id)];

    public DateTimeOffset? OccurredOf(string id) => _events.FirstOrDefault(e => e.Id == id)?.Occurred;

    public bool Delete(string id)
    {
        var removed = _events.RemoveAll(e => e.Id == id) > 0;
        if (removed)
        {
            DeletedIds.Add(id);
        }
        return removed;
    }

    public string RandomExistingId(DateOnly? day = null)
    {
        var pool = _events.Where(e => day is null || DateOnly.FromDateTime(e.Occurred.UtcDateTime) == day).ToList();
        return pool[_random.Next(pool.Count)].Id;
    }

    public Task<RawEventPage> FetchAsync(EventQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Calls++;
        Queries.Add(query);
        BeforeCall?.Invoke(Calls);

        IEnumerable<FakeEvent> selected = _events;
        if (query.OccurredDate is { } day)
        {
            selected = selected.Where(e => DateOnly.FromDateTime(e.Occurred.UtcDateTime) == day);
        }
        var tieBreak = ShuffleTies ? _events.ToDictionary(e => e.Id, _ => _random.Next()) : null;
        var ascending = query.OrderDirection == SortDirection.Asc;
        var ordered = ascending
            ? selected.OrderBy(e => e.Occurred).ThenBy(e => tieBreak?[e.Id] ?? 0).ThenBy(e => e.Id, StringComparer.Ordinal)
            : selected.OrderByDescending(e => e.Occurred).ThenBy(e => tieBreak?[e.Id] ?? 0).ThenBy(e => e.Id, StringComparer.Ordinal);
        var all = ordered.ToList();

        var perPage = query.PerPage ?? 50;
        var page = query.Page ?? 1;
        var totalPages = (all.Count + perPage - 1) / perPage;
        var items = all.Skip((page - 1) * perPage).Take(perPage)
            .Select(e => new RawEvent(e.Id, e.Occurred, e.Json))
            .ToList();
        var meta = new PageMeta(
            Count: items.Count,
            LimitValue: perPage,
            TotalPages: totalPages,
            CurrentPage: page,
            NextPage: page < totalPages ? page + 1 : null,
            PrevPage: page > 1 ? page - 1 : null,
            IsFirstPage: page == 1,
            IsLastPage: page == totalPages,
            IsOutOfRange: page > totalPages);
        return Task.FromResult(new RawEventPage(items, meta));
    }

    private sealed record FakeEvent(string Id, DateTimeOffset Occurred, byte[] Json);
}

/// <summary>A sink that records what it accepted, and can refuse on demand.</summary>
internal sealed class RecordingSink
{
    public List<string> Delivered { get; } = [];

    public List<int> BatchSizes { get; } = [];

    public Func<IReadOnlyList<RawEvent>, Exception?>? Refuse { get; set; }

    public Task DeliverAsync(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken)
    {
        if (Refuse?.Invoke(events) is { } error)
        {
            throw error;
        }
        foreach (var item in events)
        {
            // The bytes must be the event object itself.
            Assert.StartsWith("{\"id\":\"" + item.Id + "\"", Encoding.UTF8.GetString(item.Json.Span), StringComparison.Ordinal);
            Delivered.Add(item.Id);
        }
        BatchSizes.Add(events.Count);
        return Task.CompletedTask;
    }
}
