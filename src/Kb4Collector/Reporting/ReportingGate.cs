using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Reporting;

/// <summary>Which Reporting limit stands in the way of the next call.</summary>
public enum ReportingLimit
{
    PerSecond,
    Burst,
    Daily,
}

/// <summary>The next call may go now (<see cref="Granted"/>), or not before <see cref="NotBefore"/> because of <see cref="Limit"/>.</summary>
public readonly record struct ReportingPermit(bool Granted, ReportingLimit Limit, DateTimeOffset NotBefore);

/// <summary>A Reporting key's daily window: when it started (its first call), what it allows and what is spent.</summary>
public sealed record ReportingQuotaStatus(DateTimeOffset? WindowStart, DateTimeOffset? WindowEnd, int Used, int Budget, int Scheduled);

/// <summary>
/// The Reporting API's limits per key, owned by the collector (a ledger separate from the User Event one): at most 4
/// calls in any 1.05 s, at most 50 in any 61 s (KnowBe4's burst window starts at its first request; a rolling window is
/// never looser than that), and a daily budget over a 24-hour window that starts at the first call after the last one
/// ended (not at UTC midnight). The daily window is kept in LiteDB (<c>reporting_windows</c>), so a restart does not
/// forget what was spent; the burst window's calls (stored with each grant) and a key-wide park (after a 429) too.
/// </summary>
public sealed class ReportingGate
{
    public const string CollectionName = "reporting_windows";
    public const int PerSecond = 4;
    public const int PerBurst = 50;

    /// <summary>Sumo's figure (KnowBe4's reference says 2,000): the lower default, configurable per source.</summary>
    public const int DefaultDailyBase = 1_000;

    public static readonly TimeSpan SecondWindow = TimeSpan.FromMilliseconds(1050);
    public static readonly TimeSpan BurstWindow = TimeSpan.FromSeconds(61);
    public static readonly TimeSpan DailyWindow = TimeSpan.FromHours(24);

    private readonly ILiteCollection<WindowDocument> _windows;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<DateTimeOffset>> _recent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _budgets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WindowDocument> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, double>> _demand = new(StringComparer.Ordinal);

    public ReportingGate(CollectorDatabase database, TimeProvider time)
    {
        _windows = database.Database.GetCollection<WindowDocument>(CollectionName);
        _time = time;
    }

    /// <summary>The key's daily budget (1,000 + seats unless configured); scheduled collection leaves 5 % for manual calls.</summary>
    public void SetBudget(string keyFingerprint, int dailyBudget)
    {
        lock (_gate)
        {
            _budgets[keyFingerprint] = Math.Max(1, dailyBudget);
        }
    }

    /// <summary>What a data type on the key spends an hour at its configured schedule (its last complete pass over its cadence).</summary>
    public void SetDemand(string keyFingerprint, string dataTypeId, double callsPerHour)
    {
        lock (_gate)
        {
            var demand = _demand.TryGetValue(keyFingerprint, out var known) ? known : _demand[keyFingerprint] = new(StringComparer.Ordinal);
            demand[dataTypeId] = Math.Max(0, callsPerHour);
        }
    }

    /// <summary>
    /// How much every schedule on the key must be stretched for the data types' demand to last the daily window: the
    /// calls the demand would make in the time the window has left, over the scheduled calls it has left (at least 1).
    /// Each data type's interval stretches by the same factor, so each keeps its part of the budget.
    /// </summary>
    public double Stretch(string keyFingerprint)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            var perHour = _demand.TryGetValue(keyFingerprint, out var demand) ? demand.Values.Sum() : 0;
            if (perHour <= 0)
            {
                return 1;
            }
            var window = Window(keyFingerprint);
            var scheduled = ScheduledShare(Budget(keyFingerprint));
            var (left, remaining) = window.Start is { } start && now < start + DailyWindow
                ? (start + DailyWindow - now, scheduled - window.Used)
                : (DailyWindow, scheduled);
            return remaining <= 0 ? 1 : Math.Max(1, perHour * left.TotalHours / remaining);
        }
    }

    public static int DefaultBudget(int seats) => DefaultDailyBase + Math.Max(0, seats);

    public static int ScheduledShare(int budget) => Math.Max(1, budget - Math.Max(1, budget / 20));

    /// <summary>Takes a permit for one call now, or says when the next may go. A granted permit is counted before the call is made.</summary>
    public ReportingPermit TryAcquire(string keyFingerprint)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var window = Window(keyFingerprint);
            if (window.ParkedUntil is { } parked && parked > now.UtcDateTime)
            {
                return new ReportingPermit(false, window.ParkedLimit, new DateTimeOffset(parked, TimeSpan.Zero));
            }
            var recent = _recent.TryGetValue(keyFingerprint, out var list) ? list : _recent[keyFingerprint] = [];
            recent.RemoveAll(at => at <= now - BurstWindow);
            if (recent.Count >= PerBurst)
            {
                return new ReportingPermit(false, ReportingLimit.Burst, recent.Min() + BurstWindow);
            }
            var inSecond = recent.Where(at => at > now - SecondWindow).Order().ToList();
            if (inSecond.Count >= PerSecond)
            {
                return new ReportingPermit(false, ReportingLimit.PerSecond, inSecond[^PerSecond] + SecondWindow);
            }
            if (window.Start is null || now.UtcDateTime >= window.Start.Value + DailyWindow)
            {
                window.Start = now.UtcDateTime;
                window.Used = 0;
                window.Stored = 0;
            }
            var scheduled = ScheduledShare(Budget(keyFingerprint));
            if (window.Used >= scheduled)
            {
                return new ReportingPermit(false, ReportingLimit.Daily, new DateTimeOffset(window.Start.Value + DailyWindow, TimeSpan.Zero));
            }
            window.Used++;
            if (window.Used > window.Stored)
            {
                // Stored a block ahead (1 % of the budget), like the User Event ledger: a crash over-counts, never under-counts.
                window.Stored = Math.Min(window.Used - 1 + Math.Clamp(scheduled / 100, 1, 50), scheduled);
            }
            _open[keyFingerprint] = window;
            recent.Add(now);
            // The burst's calls are stored with each grant: a process restarted inside the window goes on counting them.
            window.Recent = [.. recent.Select(at => at.UtcDateTime)];
            Store(window);
            return new ReportingPermit(true, ReportingLimit.PerSecond, now);
        }
    }

    /// <summary>
    /// The call granted at <paramref name="grantedAt"/> has been answered: it counts from now on. KnowBe4 counts a request
    /// when it arrives, somewhere between the grant and the answer (a new connection can take a while); counting from the
    /// answer keeps any five arrivals more than a second apart whatever the latency was.
    /// </summary>
    public void Answered(string keyFingerprint, DateTimeOffset grantedAt)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_recent.TryGetValue(keyFingerprint, out var recent) && recent.IndexOf(grantedAt) is var index and >= 0)
            {
                recent[index] = now;
            }
        }
    }

    /// <summary>
    /// KnowBe4 answered 429 although the ledger allowed the call (another client spends the same key): no call with the
    /// key until <paramref name="until"/>. Returns the instant.
    /// </summary>
    public DateTimeOffset Park(string keyFingerprint, ReportingLimit limit, DateTimeOffset until)
    {
        lock (_gate)
        {
            var window = Window(keyFingerprint);
            if (limit == ReportingLimit.Daily && window.Start is { } start)
            {
                window.Used = Math.Max(window.Used, Budget(keyFingerprint));
                until = new DateTimeOffset(start + DailyWindow, TimeSpan.Zero) > until ? new DateTimeOffset(start + DailyWindow, TimeSpan.Zero) : until;
            }
            window.ParkedUntil = until.UtcDateTime;
            window.ParkedLimit = limit;
            window.Stored = Math.Max(window.Stored, window.Used);
            Store(window);
            return until;
        }
    }

    /// <summary>Whether the key was parked for a burst within the last burst window (a second 429 in a row means the daily window).</summary>
    public bool RecentlyParkedForBurst(string keyFingerprint)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            return Window(keyFingerprint) is { ParkedLimit: ReportingLimit.Burst, ParkedUntil: { } until } && now - until < BurstWindow;
        }
    }

    public ReportingQuotaStatus Status(string keyFingerprint)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            var budget = Budget(keyFingerprint);
            var window = Window(keyFingerprint);
            if (window.Start is not { } start || now >= start + DailyWindow)
            {
                return new ReportingQuotaStatus(null, null, 0, budget, ScheduledShare(budget));
            }
            return new ReportingQuotaStatus(new DateTimeOffset(start, TimeSpan.Zero), new DateTimeOffset(start + DailyWindow, TimeSpan.Zero), window.Used, budget, ScheduledShare(budget));
        }
    }

    /// <summary>The key's window as this process counts it (read from LiteDB once; written a block ahead).</summary>
    private WindowDocument Window(string keyFingerprint)
    {
        if (!_open.TryGetValue(keyFingerprint, out var window))
        {
            window = _windows.FindById(keyFingerprint) ?? new WindowDocument { Id = keyFingerprint };
            window.Used = Math.Max(window.Used, window.Stored);
            _open[keyFingerprint] = window;
            if (!_recent.ContainsKey(keyFingerprint))
            {
                _recent[keyFingerprint] = [.. window.Recent.Select(at => new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)))];
            }
        }
        return window;
    }

    /// <summary>Writes the window with what it has stored ahead (<see cref="WindowDocument.Stored"/>) as its count.</summary>
    private void Store(WindowDocument window)
    {
        var used = window.Used;
        window.Used = Math.Max(window.Used, window.Stored);
        _windows.Upsert(window);
        window.Used = used;
    }

    private int Budget(string keyFingerprint) => _budgets.TryGetValue(keyFingerprint, out var budget) ? budget : DefaultBudget(0);

    private sealed class WindowDocument
    {
        public string Id { get; set; } = "";

        public DateTime? Start { get; set; }

        public int Used { get; set; }

        /// <summary>What LiteDB holds of <see cref="Used"/>: a block ahead of it.</summary>
        public int Stored { get; set; }

        public DateTime? ParkedUntil { get; set; }

        public ReportingLimit ParkedLimit { get; set; }

        /// <summary>When the calls of the current burst window were made (at most <see cref="PerBurst"/>).</summary>
        public List<DateTime> Recent { get; set; } = [];
    }
}
