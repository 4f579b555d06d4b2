using System.Collections.Concurrent;
using System.Globalization;
using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Quota;

/// <summary>Who spends a call: scheduled polling stays out of the manual reserve, manual calls may use it.</summary>
public enum CallPurpose
{
    Scheduled,
    Manual,
}

/// <summary>One KnowBe4 call as the console's Call History shows it. <see cref="Endpoint"/> is method and path, never a secret.</summary>
public sealed record CallRecord(
    DateTimeOffset Time,
    string SourceId,
    string KeyFingerprint,
    string Endpoint,
    int? Status,
    int Events,
    string? Error,
    TimeSpan Duration);

public readonly record struct DayUsage(DateOnly Day, int Calls, int ManualCalls);

public readonly record struct MonthUsage(int Year, int Month, int Calls);

/// <summary>A key's quota for one UTC day.</summary>
public sealed record QuotaStatus(DateOnly Day, int Used, int Budget, int ManualReserve, int RemainingScheduled, int RemainingManual);

/// <summary>
/// Counts KnowBe4 calls per API key (fingerprint) per UTC day in LiteDB (<c>call_days</c>) against the key's
/// <see cref="DailyBudget"/>, and keeps the call history (<c>call_history</c>) for a year. A call is counted when it is
/// reserved (<see cref="TryReserveCall"/>), before it is made, so a crash can only over-count.
/// </summary>
public sealed class CallLedger
{
    public const string DaysCollection = "call_days";
    public const string HistoryCollection = "call_history";

    public static readonly TimeSpan HistoryRetention = TimeSpan.FromDays(365);

    /// <summary>Day counters are tiny; they are kept two years so last year's monthly chart stays complete.</summary>
    public static readonly TimeSpan DayRetention = TimeSpan.FromDays(2 * 365);

    private const int ErrorLimit = 1024;

    private readonly ILiteCollection<CallDayDocument> _days;
    private readonly ILiteCollection<CallHistoryDocument> _history;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, DailyBudget> _budgets = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public CallLedger(CollectorDatabase database, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(database);
        _timeProvider = timeProvider;
        _days = database.Database.GetCollection<CallDayDocument>(DaysCollection);
        _days.EnsureIndex(day => day.KeyFingerprint);
        _history = database.Database.GetCollection<CallHistoryDocument>(HistoryCollection);
        _history.EnsureIndex(call => call.Time);
        _history.EnsureIndex(call => call.KeyFingerprint);
    }

    /// <summary>Sets the key's budget (not persisted: it comes from the source configs). Sources sharing a key should agree; pass the smallest.</summary>
    public void SetBudget(string keyFingerprint, DailyBudget budget)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyFingerprint);
        ArgumentNullException.ThrowIfNull(budget);
        _budgets[keyFingerprint] = budget;
    }

    public DailyBudget? GetBudget(string keyFingerprint) => _budgets.GetValueOrDefault(keyFingerprint);

    /// <summary>
    /// Counts one call against today's (UTC) budget if the budget allows it: scheduled calls up to
    /// <see cref="DailyBudget.Scheduled"/>, manual calls up to <see cref="DailyBudget.Total"/>. False means: do not call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No budget was set for the key.</exception>
    public bool TryReserveCall(string keyFingerprint, CallPurpose purpose = CallPurpose.Scheduled)
    {
        var budget = RequireBudget(keyFingerprint);
        var limit = purpose == CallPurpose.Manual ? budget.Total : budget.Scheduled;
        var day = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);
        lock (_gate)
        {
            var document = FindDay(keyFingerprint, day);
            if (document.Calls >= limit)
            {
                return false;
            }
            document.Calls++;
            if (purpose == CallPurpose.Manual)
            {
                document.ManualCalls++;
            }
            _days.Upsert(document);
            return true;
        }
    }

    /// <summary>
    /// Marks the key's UTC day of <paramref name="now"/> as spent, for when KnowBe4 answers "Limit Exceeded" although the
    /// ledger had calls left (another client uses the same key).
    /// </summary>
    public void MarkDayExhausted(string keyFingerprint, DateTimeOffset now)
    {
        var budget = RequireBudget(keyFingerprint);
        lock (_gate)
        {
            var document = FindDay(keyFingerprint, DateOnly.FromDateTime(now.UtcDateTime));
            document.Calls = Math.Max(document.Calls, budget.Total);
            _days.Upsert(document);
        }
    }

    /// <summary>Adds a made call to the history. Counting happened in <see cref="TryReserveCall"/>.</summary>
    public void RecordCall(CallRecord call)
    {
        ArgumentNullException.ThrowIfNull(call);
        _history.Insert(new CallHistoryDocument
        {
            Time = call.Time.UtcDateTime,
            SourceId = call.SourceId,
            KeyFingerprint = call.KeyFingerprint,
            Endpoint = call.Endpoint,
            Status = call.Status,
            Events = call.Events,
            Error = call.Error is { Length: > ErrorLimit } error ? error[..ErrorLimit] : call.Error,
            DurationMilliseconds = call.Duration.TotalMilliseconds,
        });
    }

    /// <summary>Scheduled calls left for the key on the UTC day of <paramref name="now"/>.</summary>
    public int Remaining(string keyFingerprint, DateTimeOffset now) => Status(keyFingerprint, now).RemainingScheduled;

    public QuotaStatus Status(string keyFingerprint, DateTimeOffset now)
    {
        var budget = RequireBudget(keyFingerprint);
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var used = _days.FindById(DayId(keyFingerprint, day))?.Calls ?? 0;
        return new QuotaStatus(
            day, used, budget.Total, budget.ManualReserve, Math.Max(0, budget.Scheduled - used), Math.Max(0, budget.Total - used));
    }

    /// <summary>Calls per day in [<paramref name="from"/>, <paramref name="to"/>], days without calls included as zero.</summary>
    public IReadOnlyList<DayUsage> DailyUsage(string keyFingerprint, DateOnly from, DateOnly to)
    {
        var counted = DaysBetween(keyFingerprint, from, to).ToDictionary(document => document.Day, StringComparer.Ordinal);
        var usage = new List<DayUsage>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            usage.Add(counted.TryGetValue(DayKey(day), out var document)
                ? new DayUsage(day, document.Calls, document.ManualCalls)
                : new DayUsage(day, 0, 0));
        }
        return usage;
    }

    public MonthUsage MonthlyUsage(string keyFingerprint, int year, int month)
    {
        var first = new DateOnly(year, month, 1);
        var calls = DaysBetween(keyFingerprint, first, first.AddMonths(1).AddDays(-1)).Sum(document => document.Calls);
        return new MonthUsage(year, month, calls);
    }

    /// <summary>The twelve months of <paramref name="year"/>, like the console's Annual Quota chart.</summary>
    public IReadOnlyList<MonthUsage> YearlyUsage(string keyFingerprint, int year)
    {
        var byMonth = new int[12];
        foreach (var document in DaysBetween(keyFingerprint, new DateOnly(year, 1, 1), new DateOnly(year, 12, 31)))
        {
            byMonth[ParseDay(document.Day).Month - 1] += document.Calls;
        }
        return [.. byMonth.Select((calls, index) => new MonthUsage(year, index + 1, calls))];
    }

    /// <summary>The most recent calls first, optionally for one key and/or one source.</summary>
    public IReadOnlyList<CallRecord> History(string? keyFingerprint = null, string? sourceId = null, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var query = _history.Query();
        if (keyFingerprint is not null)
        {
            query = query.Where(call => call.KeyFingerprint == keyFingerprint);
        }
        if (sourceId is not null)
        {
            query = query.Where(call => call.SourceId == sourceId);
        }
        return [.. query.OrderByDescending(call => call.Time).Limit(limit).ToList().Select(ToRecord)];
    }

    /// <summary>Deletes history older than a year and day counters older than two; returns the history entries removed.</summary>
    public int Prune(DateTimeOffset now)
    {
        var historyCutoff = (now - HistoryRetention).UtcDateTime;
        var removed = _history.DeleteMany(call => call.Time < historyCutoff);
        var dayCutoff = DayKey(DateOnly.FromDateTime((now - DayRetention).UtcDateTime));
        _days.DeleteMany(Query.LT(nameof(CallDayDocument.Day), dayCutoff));
        return removed;
    }

    private DailyBudget RequireBudget(string keyFingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyFingerprint);
        return _budgets.TryGetValue(keyFingerprint, out var budget)
            ? budget
            : throw new InvalidOperationException($"No daily call budget is set for API key {keyFingerprint}.");
    }

    private CallDayDocument FindDay(string keyFingerprint, DateOnly day)
        => _days.FindById(DayId(keyFingerprint, day))
           ?? new CallDayDocument { Id = DayId(keyFingerprint, day), KeyFingerprint = keyFingerprint, Day = DayKey(day) };

    private IEnumerable<CallDayDocument> DaysBetween(string keyFingerprint, DateOnly from, DateOnly to)
        => _days.Find(Query.And(
            Query.EQ(nameof(CallDayDocument.KeyFingerprint), keyFingerprint),
            Query.Between(nameof(CallDayDocument.Day), DayKey(from), DayKey(to))));

    private static string DayId(string keyFingerprint, DateOnly day) => $"{keyFingerprint}/{DayKey(day)}";

    private static string DayKey(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDay(string day) => DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static CallRecord ToRecord(CallHistoryDocument document) => new(
        new DateTimeOffset(document.Time.ToUniversalTime(), TimeSpan.Zero),
        document.SourceId,
        document.KeyFingerprint,
        document.Endpoint,
        document.Status,
        document.Events,
        document.Error,
        TimeSpan.FromMilliseconds(document.DurationMilliseconds));

    internal sealed class CallDayDocument
    {
        [BsonId]
        public string Id { get; set; } = "";

        public string KeyFingerprint { get; set; } = "";

        /// <summary>UTC day as <c>yyyy-MM-dd</c>: sorts like the dates it names.</summary>
        public string Day { get; set; } = "";

        public int Calls { get; set; }

        public int ManualCalls { get; set; }
    }

    internal sealed class CallHistoryDocument
    {
        public ObjectId Id { get; set; } = ObjectId.Empty;

        public DateTime Time { get; set; }

        public string SourceId { get; set; } = "";

        public string KeyFingerprint { get; set; } = "";

        public string Endpoint { get; set; } = "";

        public int? Status { get; set; }

        public int Events { get; set; }

        public string? Error { get; set; }

        public double DurationMilliseconds { get; set; }
    }
}
