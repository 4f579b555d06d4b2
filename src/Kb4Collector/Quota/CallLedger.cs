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
/// <remarks>
/// Each LiteDB commit is a disk flush, and a backlog is drained at hundreds of calls a second. So scheduled calls are
/// stored a block ahead (<see cref="ReservationBlock"/>: 1 % of the day's budget, so a crash over-counts by less than
/// that), and history entries are written <see cref="HistoryBatch"/> at a time or at <see cref="Flush"/>, which also
/// stores the exact counts. What this instance reads back (status, usage, history) includes what is not stored yet;
/// the process should hold one ledger.
/// </remarks>
public sealed class CallLedger
{
    public const string DaysCollection = "call_days";
    public const string HistoryCollection = "call_history";

    public static readonly TimeSpan HistoryRetention = TimeSpan.FromDays(365);

    /// <summary>Day counters are tiny; they are kept two years so last year's monthly chart stays complete.</summary>
    public static readonly TimeSpan DayRetention = TimeSpan.FromDays(2 * 365);

    /// <summary>The most scheduled calls one stored reservation covers.</summary>
    public const int MaxReservationBlock = 100;

    /// <summary>History entries held before they are written in one transaction.</summary>
    public const int HistoryBatch = 100;

    private const int ErrorLimit = 1024;

    private readonly LiteDatabase _database;
    private readonly ILiteCollection<CallDayDocument> _days;
    private readonly ILiteCollection<CallHistoryDocument> _history;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, DailyBudget> _budgets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeyDay> _current = new(StringComparer.Ordinal);
    private readonly List<CallHistoryDocument> _pendingHistory = [];
    private readonly Lock _gate = new();

    public CallLedger(CollectorDatabase database, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(database);
        _timeProvider = timeProvider;
        _database = database.Database;
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
            var current = Current(keyFingerprint, day);
            if (current.Used >= limit)
            {
                return false;
            }
            current.Used++;
            if (purpose == CallPurpose.Manual)
            {
                current.ManualUsed++;
                Store(current, Math.Max(current.Stored, current.Used));
            }
            else if (current.Used > current.Stored)
            {
                Store(current, Math.Min(current.Used - 1 + ReservationBlock(budget), limit));
            }
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
            var current = Current(keyFingerprint, DateOnly.FromDateTime(now.UtcDateTime));
            current.Used = Math.Max(current.Used, budget.Total);
            Store(current, current.Used);
        }
    }

    /// <summary>
    /// A source's key was replaced by <paramref name="toKey"/> (rotated): KnowBe4 counts an account's calls whichever of
    /// its keys made them, so what <paramref name="fromKey"/> spent on the UTC day of <paramref name="now"/> counts
    /// against the new key too.
    /// </summary>
    public void CarryOverToday(string fromKey, string toKey, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        lock (_gate)
        {
            var spent = UsedLocked(fromKey, day);
            if (spent == 0)
            {
                return;
            }
            var target = Current(toKey, day);
            target.Used += spent;
            Store(target, Math.Max(target.Stored, target.Used));
        }
    }

    /// <summary>How many scheduled calls one stored reservation of the key covers: 1 % of its daily budget, 1 to <see cref="MaxReservationBlock"/>.</summary>
    public static int ReservationBlock(DailyBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return Math.Clamp(budget.Total / 100, 1, MaxReservationBlock);
    }

    /// <summary>Adds a made call to the history (written in batches, see the remarks). Counting happened in <see cref="TryReserveCall"/>.</summary>
    public void RecordCall(CallRecord call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var document = new CallHistoryDocument
        {
            Time = call.Time.UtcDateTime,
            SourceId = call.SourceId,
            KeyFingerprint = call.KeyFingerprint,
            Endpoint = call.Endpoint,
            Status = call.Status,
            Events = call.Events,
            Error = call.Error is { Length: > ErrorLimit } error ? error[..ErrorLimit] : call.Error,
            DurationMilliseconds = call.Duration.TotalMilliseconds,
        };
        lock (_gate)
        {
            _pendingHistory.Add(document);
            if (_pendingHistory.Count >= HistoryBatch)
            {
                InTransaction(WritePendingHistory);
            }
        }
    }

    /// <summary>
    /// Stores the pending history and the exact counts of the days in progress (giving back reservations not used).
    /// Call it when a poll ends and at shutdown; without it a crash loses at most the unwritten history entries.
    /// </summary>
    public void Flush()
    {
        lock (_gate)
        {
            InTransaction(() =>
            {
                WritePendingHistory();
                foreach (var current in _current.Values.Where(current => current.Stored != current.Used))
                {
                    WriteDay(current, current.Used);
                }
            });
        }
    }

    /// <summary>Scheduled calls left for the key on the UTC day of <paramref name="now"/>.</summary>
    public int Remaining(string keyFingerprint, DateTimeOffset now) => Status(keyFingerprint, now).RemainingScheduled;

    public QuotaStatus Status(string keyFingerprint, DateTimeOffset now)
    {
        var budget = RequireBudget(keyFingerprint);
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        int used;
        lock (_gate)
        {
            used = UsedLocked(keyFingerprint, day);
        }
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
        FlushHistory();
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
        FlushHistory();
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

    /// <summary>Calls the key made on <paramref name="day"/>, without loading the day as the current one. Hold <c>_gate</c>.</summary>
    private int UsedLocked(string keyFingerprint, DateOnly day) =>
        _current.TryGetValue(keyFingerprint, out var current) && current.Day == day
            ? current.Used
            : _days.FindById(DayId(keyFingerprint, day))?.Calls ?? 0;

    /// <summary>The key's counts for <paramref name="day"/>, loaded when the day changes; a day left behind is stored exactly.</summary>
    private KeyDay Current(string keyFingerprint, DateOnly day)
    {
        if (_current.TryGetValue(keyFingerprint, out var current) && current.Day == day)
        {
            return current;
        }
        if (current is not null && current.Stored != current.Used)
        {
            InTransaction(() => WriteDay(current, current.Used));
        }
        var stored = _days.FindById(DayId(keyFingerprint, day));
        current = new KeyDay(keyFingerprint, day) { Used = stored?.Calls ?? 0, ManualUsed = stored?.ManualCalls ?? 0, Stored = stored?.Calls ?? 0 };
        _current[keyFingerprint] = current;
        return current;
    }

    /// <summary>Stores the day's count as <paramref name="calls"/> in a transaction of its own (a small one: it is on the call path).</summary>
    private void Store(KeyDay current, int calls) => InTransaction(() => WriteDay(current, calls));

    private void WriteDay(KeyDay current, int calls)
    {
        _days.Upsert(new CallDayDocument
        {
            Id = DayId(current.KeyFingerprint, current.Day),
            KeyFingerprint = current.KeyFingerprint,
            Day = DayKey(current.Day),
            Calls = calls,
            ManualCalls = current.ManualUsed,
        });
        current.Stored = calls;
    }

    private void WritePendingHistory()
    {
        if (_pendingHistory.Count > 0)
        {
            _history.InsertBulk(_pendingHistory);
            _pendingHistory.Clear();
        }
    }

    private void FlushHistory()
    {
        lock (_gate)
        {
            InTransaction(WritePendingHistory);
        }
    }

    private void InTransaction(Action write)
    {
        // Inside a transaction of the caller's thread (there is none in the daemon) LiteDB joins it.
        var own = _database.BeginTrans();
        try
        {
            write();
            if (own)
            {
                _database.Commit();
            }
        }
        catch
        {
            if (own)
            {
                _database.Rollback();
            }
            throw;
        }
    }

    /// <summary>Stored days, with the day in progress counted as this instance knows it.</summary>
    private List<CallDayDocument> DaysBetween(string keyFingerprint, DateOnly from, DateOnly to)
    {
        var stored = _days.Find(Query.And(
            Query.EQ(nameof(CallDayDocument.KeyFingerprint), keyFingerprint),
            Query.Between(nameof(CallDayDocument.Day), DayKey(from), DayKey(to)))).ToList();
        lock (_gate)
        {
            if (_current.TryGetValue(keyFingerprint, out var current) && current.Day >= from && current.Day <= to)
            {
                stored.RemoveAll(document => document.Day == DayKey(current.Day));
                stored.Add(new CallDayDocument { Id = DayId(keyFingerprint, current.Day), KeyFingerprint = keyFingerprint, Day = DayKey(current.Day), Calls = current.Used, ManualCalls = current.ManualUsed });
            }
        }
        return stored;
    }

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

    /// <summary>A key's day in progress: calls made (<see cref="Used"/>) and the count stored so far (<see cref="Stored"/>, never less).</summary>
    private sealed class KeyDay(string keyFingerprint, DateOnly day)
    {
        public string KeyFingerprint { get; } = keyFingerprint;

        public DateOnly Day { get; } = day;

        public int Used { get; set; }

        public int ManualUsed { get; set; }

        public int Stored { get; set; }
    }

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
