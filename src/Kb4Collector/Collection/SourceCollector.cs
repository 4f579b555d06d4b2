using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Collection;

/// <summary>One call of List Events, paced and counted by the caller; no page when the daily budget is spent.</summary>
public delegate Task<FetchOutcome> FetchEventPage(EventQuery query, CancellationToken cancellationToken);

/// <summary>Hands events to the HTTP log endpoint; returns once the sink accepted (or dead-lettered) all of them.</summary>
/// <exception cref="SinkException">The sink refused; <see cref="SinkException.Delivered"/> says how many leading events it settled.</exception>
public delegate Task DeliverEvents(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken);

/// <summary>A page, or why there is none: the key's daily budget is spent until <see cref="BudgetResetsAt"/>.</summary>
public readonly record struct FetchOutcome(RawEventPage? Page, DateTimeOffset? BudgetResetsAt)
{
    public static FetchOutcome Of(RawEventPage page) => new(page, null);

    public static FetchOutcome BudgetSpent(DateTimeOffset resetsAt) => new(null, resetsAt);
}

/// <summary>What a poll may spend on scheduled re-reads: the period the plan affords, and whether a read of a given cost still fits today.</summary>
/// <param name="CanAfford">Whether this many calls leave enough for every poll still planned today.</param>
/// <param name="CanAffordHistory">Whether the first run may read the days before the lookback one by one (a one-off of this many calls).</param>
/// <param name="FitsADay">
/// Whether this many calls fit in what a whole day leaves beside its planned polls. A discretionary read that does
/// not (a tiny budget) cannot wait for a better moment: there is none.
/// </param>
public sealed record RescanAllowance(TimeSpan Period, Func<int, bool> CanAfford, Func<int, bool> CanAffordHistory, Func<int, bool> FitsADay)
{
    public RescanAllowance(TimeSpan period, Func<int, bool> canAfford)
        : this(period, canAfford, canAfford, canAfford)
    {
    }
}

/// <summary>What identifies a stored cursor as this source's: the host, and the fingerprint a version-1 cursor was stored under.</summary>
public sealed record CollectionIdentity(string QueryFingerprint, string? LegacyFingerprint = null, string KeyFingerprint = "");

/// <summary>
/// The loss-free cursor of one source over List Events (DESIGN.md §5): fetch → plan → deliver → commit.
/// </summary>
/// <remarks>
/// The API has no creation time and lets creators backdate <c>occurred_date</c>, so the cursor is not a timestamp but
/// the set of UTC days of the horizon, each with the ids delivered on it (in LiteDB) and the count the API reported
/// at its last complete read. The first run reads newest first across days (about one call per 100 events, empty
/// days cost nothing); afterwards an idle poll is one call, the account's count, compared with the counts recorded.
/// A change is looked for first at the end of today, then by counting every tracked day; a day whose count moved is
/// read again. A day read is proven only when the day's count at its start and at its end agree with the distinct
/// ids it saw; otherwise it is read again. Scheduled full re-reads of every tracked day, paid from the plan's budget,
/// find what counts cannot see (a creation and a deletion that cancel out). Nothing is delivered twice: ids are
/// kept per day and committed with the cursor in one transaction after the sink accepted the batch that carried them.
/// </remarks>
public sealed class SourceCollector
{
    private readonly string _sourceId;
    private readonly CollectionIdentity _identity;
    private readonly CollectionOptions _options;
    private readonly FetchEventPage _fetch;
    private readonly CheckpointStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    private readonly DeliveryOutbox _outbox;
    private readonly Dictionary<DateOnly, HashSet<Guid>> _seen = [];

    private int? _rescanPassCost;
    private DateOnly _today;
    private CheckpointDocument? _checkpoint;
    private int _calls;
    private int _delivered;
    private DateTimeOffset? _budgetResetsAt;
    private bool _halted;
    private volatile bool _stopRequested;
    private Action? _onFirstPage;

    public SourceCollector(
        string sourceId,
        CollectionIdentity identity,
        CollectionOptions options,
        FetchEventPage fetch,
        DeliverEvents deliver,
        Storage.CollectorDatabase database,
        TimeProvider timeProvider,
        ILogger<SourceCollector> logger)
    {
        _sourceId = sourceId;
        _identity = identity;
        _options = options;
        _fetch = fetch;
        _store = new CheckpointStore(database);
        _timeProvider = timeProvider;
        _logger = logger;
        _outbox = new DeliveryOutbox(sourceId, options, deliver, _store, timeProvider, logger);
    }

    /// <summary>Runs before each commit of a batch's effects (tests stand a full disk in with it).</summary>
    internal Action? BeforeCommit
    {
        set => _store.BeforeCommit = value;
    }

    /// <summary>Calls a full re-read of every tracked day costs, as of the last poll or the stored cursor (for the budget plan).</summary>
    public int RescanPassCost
    {
        get => _rescanPassCost ??= _store.Find(_sourceId) is { } stored ? DayPlanner.RescanPassCost(stored) : 0;
        private set => _rescanPassCost = value;
    }

    /// <summary>
    /// For shutdown: the poll under way makes no further call, delivers and commits what it already read, and returns.
    /// </summary>
    public void StopAfterCurrentBatch() => _stopRequested = true;

    /// <summary>Reads what is new since the last poll and delivers it; an empty poll is committed as progress too.</summary>
    /// <param name="rescans">What the budget allows for scheduled re-reads.</param>
    /// <param name="onFirstPage">Called once, when the first page of the poll has arrived (the key works).</param>
    public async Task<CollectionPollResult> PollOnceAsync(RescanAllowance rescans, Action? onFirstPage, CancellationToken cancellationToken)
    {
        _calls = 0;
        _delivered = 0;
        _budgetResetsAt = null;
        _today = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);
        _halted = false;
        _onFirstPage = onFirstPage;
        try
        {
            await _outbox.CommitHeldAsync();
            var now = _timeProvider.GetUtcNow();
            var checkpoint = LoadCheckpoint(now);
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            foreach (var dropped in DayPlanner.Roll(checkpoint, today, _options.BackdateHorizon, _options.AllHistory))
            {
                checkpoint.OutsideTotal += dropped.VerifiedTotal ?? 0;
                _seen.Remove(DayPlanner.Day(dropped));
                _store.DeleteDay(_sourceId, DayPlanner.Day(dropped));
            }

            var completed = await PollAsync(checkpoint, today, rescans, cancellationToken);
            if (completed)
            {
                // When it began: everything that existed then has been read.
                checkpoint.LastPollAt = now.UtcDateTime;
            }
            RescanPassCost = DayPlanner.RescanPassCost(checkpoint);
            await FlushAsync(durable: true, cancellationToken);
            if (_budgetResetsAt is { } resetsAt)
            {
                Log.BudgetExhausted(_logger, _sourceId, resetsAt);
            }
            return new CollectionPollResult(_calls, _delivered, Idle: completed && _delivered == 0 && _calls <= 1, _budgetResetsAt);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Killed or aborted: nothing more is sent; what is stored (plus any held batch) is where the next poll starts.
            await _outbox.SettleAsync(quietly: true);
            Forget();
            throw;
        }
        catch (Exception failure)
        {
            await SalvageAsync(failure, cancellationToken);
            throw;
        }
    }

    /// <summary>
    /// For a stop, once the source's work has ended: writes what the sink accepted but a failed commit left held, so a
    /// graceful stop does not send it again at the next start. Says so when the file still refuses it.
    /// </summary>
    public void CommitHeldAtStop()
    {
        var lost = _outbox.TryCommitHeld();
        if (lost > 0)
        {
            Log.HeldLostAtStop(_logger, _sourceId, lost);
        }
    }

    /// <summary>The stored cursor, for the admin endpoint.</summary>
    public CheckpointSummary? ReadCheckpoint()
    {
        var stored = _store.Find(_sourceId);
        if (stored is null)
        {
            return null;
        }
        return new CheckpointSummary(
            AsUtc(stored.StartedFrom),
            stored.LastPollAt is { } poll ? AsUtc(poll) : null,
            stored.LastDeliveryAt is { } delivery ? AsUtc(delivery) : null,
            stored.EventsDelivered,
            stored.OutsideTotal,
            [.. stored.Days.OrderBy(day => day.Day).Select(day => new DaySummary(
                DateOnly.FromDateTime(day.Day),
                day.VerifiedTotal,
                day.LastFullScanAt is { } scanned ? AsUtc(scanned) : null,
                day.Proven))])
        {
            FoundLate = stored.FoundLate,
            DeliveredToday = stored.LastDeliveryAt?.Date == _timeProvider.GetUtcNow().UtcDateTime.Date ? stored.DeliveredThatDay : 0,
            FirstRunComplete = stored.Baselined,
            HistoryReadAt = stored.HistoryReadAt is { } read ? AsUtc(read) : null,
        };
    }

    /// <summary>The key the stored cursor was last collected with ("" for none): another one means the key was rotated.</summary>
    public string StoredKeyFingerprint() => _store.Find(_sourceId)?.KeyFingerprint ?? "";

    /// <summary>Hands the cursor and seen ids to the source's new id (the source was renamed); nothing is sent again.</summary>
    public void MoveState(string newSourceId)
    {
        Forget();
        _outbox.DropAll();
        _store.Move(_sourceId, newSourceId);
    }

    /// <summary>Deletes the source's cursor and seen ids (the source was removed).</summary>
    public void DeleteState()
    {
        Forget();
        _outbox.DropAll();
        _store.Delete(_sourceId);
    }

    private async Task<bool> PollAsync(CheckpointDocument checkpoint, DateOnly today, RescanAllowance rescans, CancellationToken cancellationToken)
    {
        if (!checkpoint.Baselined && !await InitialScanAsync(checkpoint, today, rescans, cancellationToken))
        {
            return false;
        }

        foreach (var unread in DayPlanner.Unread(checkpoint))
        {
            if (!await ReadDayAsync(unread, today, cancellationToken))
            {
                return false;
            }
        }

        if (await CountAsync(day: null, cancellationToken) is not { } accountTotal)
        {
            return false;
        }
        var consistent = accountTotal == DayPlanner.ExpectedTotal(checkpoint);
        if (!consistent)
        {
            if (await ReconcileChangeAsync(checkpoint, today, accountTotal, rescans, cancellationToken) is not { } explained)
            {
                return false;
            }
            consistent = explained;
        }
        if (consistent)
        {
            checkpoint.LastConsistentAt = _timeProvider.GetUtcNow().UtcDateTime;
        }

        // A day leaving the horizon is read once more before it goes, ahead of the scheduled re-reads. When today's
        // budget cannot pay for that yet, the day stays tracked (its count still watched) until a poll can.
        foreach (var leaving in DayPlanner.DueForClosingRead(checkpoint, today, _options.BackdateHorizon))
        {
            var cost = DayPlanner.ReadCost(leaving);
            if (!rescans.CanAfford(cost) && rescans.FitsADay(cost))
            {
                break;
            }
            if (!await ReadDayAsync(leaving, today, cancellationToken))
            {
                return false;
            }
        }

        var now = _timeProvider.GetUtcNow().UtcDateTime;
        foreach (var due in DayPlanner.DueForRescan(checkpoint, now, rescans.Period))
        {
            if (!rescans.CanAfford(DayPlanner.ReadCost(due)))
            {
                break;
            }
            if (!await ReadDayAsync(due, today, cancellationToken))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The first run: every event of the lookback and the horizon, newest first across days, so that a backlog costs
    /// about one call per 100 events and an empty day costs nothing. Events before the lookback are remembered, not
    /// sent. Each day's count is seeded from what the scan saw; the account's count at the start puts everything older
    /// outside. A scan disturbed by changes shows up as a difference on the counts that follow and is read again.
    /// </summary>
    private async Task<bool> InitialScanAsync(CheckpointDocument checkpoint, DateOnly today, RescanAllowance allowance, CancellationToken cancellationToken)
    {
        if (checkpoint.InitialScanStartTotal is null)
        {
            if (await CountAsync(day: null, cancellationToken) is not { } startTotal)
            {
                return false;
            }
            checkpoint.InitialScanStartTotal = startTotal;
            checkpoint.InitialScanBeganAt = _timeProvider.GetUtcNow().UtcDateTime;
        }

        // History before the lookback is read first, day by day, when the budget affords it: whatever is created on
        // those days afterwards (backdated) is then new and delivered. On a tiny budget the newest-first scan does it
        // all at once; an event created during that scan and backdated before the lookback is then taken for history.
        var baselineDays = BaselineDays(checkpoint, today);
        if (baselineDays.Count > 0 && allowance.CanAffordHistory(baselineDays.Sum(DayPlanner.ReadCost) + baselineDays.Count))
        {
            foreach (var baseline in baselineDays)
            {
                if (!await ReadDayAsync(baseline, today, cancellationToken))
                {
                    return false;
                }
            }
            checkpoint.HistoryReadAt ??= _timeProvider.GetUtcNow().UtcDateTime;
        }

        var horizonStart = DayPlanner.HorizonStart(today, _options.BackdateHorizon);
        var startDay = DateOnly.FromDateTime(checkpoint.StartedFrom);
        var floor = _options.AllHistory ? DateOnly.MinValue : (startDay < horizonStart ? startDay : horizonStart);
        var scanFloor = floor;
        // The scan stops above the days already read in full.
        while (DayPlanner.Find(checkpoint, floor) is { Baselined: true } && floor < today)
        {
            floor = floor.AddDays(1);
        }
        // One page back on a resume: arrivals only push events down, so the page before may hold what the last one had.
        var pageNumber = Math.Max(1, checkpoint.InitialScanPage - 1);
        var pageLimit = int.MaxValue;
        var oldestSeen = today;
        while (true)
        {
            if (await FetchAsync(NewestFirst(pageNumber), cancellationToken) is not { } page)
            {
                return false;
            }
            pageLimit = pageLimit == int.MaxValue ? PageLimit(page.Meta.TotalPages, pageNumber) : pageLimit;
            var reachedFloor = false;
            foreach (var item in page.Events)
            {
                var day = DateOnly.FromDateTime(item.OccurredDate.UtcDateTime);
                if (day < floor)
                {
                    reachedFloor = true;
                    continue;
                }
                oldestSeen = day < oldestSeen ? day : oldestSeen;
                var document = DayPlanner.Find(checkpoint, day) ?? AddDay(checkpoint, day);
                if (await OfferAsync(document, day, EventKey.From(item.Id), item, document.Baselined ? null : checkpoint.StartedFrom, cancellationToken))
                {
                    document.ScanCount++;
                }
                if (day == today && document.LastId is null)
                {
                    document.LastId = item.Id; // newest first: the first of today is the last in ascending order
                }
            }
            checkpoint.InitialScanPage = pageNumber + 1;
            if (reachedFloor || page.Meta.NextPage is not int next || page.Events.Count == 0)
            {
                break;
            }
            CheckPagination(pageNumber, next, pageLimit, "the newest-first scan of the account");
            pageNumber = next;
        }

        for (var day = oldestSeen; day <= today; day = day.AddDays(1))
        {
            _ = DayPlanner.Find(checkpoint, day) ?? AddDay(checkpoint, day);
        }
        // A day below the scan's floor that no read reached lies before the lookback and outside today's horizon: it holds
        // only history, so it is not tracked. (A first run cut short, e.g. killed, then resumed after days left it
        // there: seeded as an empty day, its history would later have been found and sent as new.)
        foreach (var historyOnly in checkpoint.Days.Where(day => day.VerifiedTotal is null && DayPlanner.Day(day) < scanFloor).ToList())
        {
            checkpoint.Days.Remove(historyOnly);
            _seen.Remove(DayPlanner.Day(historyOnly));
            _store.DeleteDay(_sourceId, DayPlanner.Day(historyOnly));
        }
        var scanned = _timeProvider.GetUtcNow().UtcDateTime;
        // Days already older than the horizon when the scan began are lookback: nothing backdated onto them is owed.
        var horizonAtScanStart = DayPlanner.HorizonStart(DateOnly.FromDateTime(checkpoint.InitialScanBeganAt ?? scanned), _options.BackdateHorizon);
        foreach (var document in checkpoint.Days.Where(day => day.VerifiedTotal is null))
        {
            document.VerifiedTotal = document.ScanCount;
            document.Baselined = true;
            document.LastFullScanAt = scanned;
            document.ReadAfterHorizon = DayPlanner.Day(document) < horizonAtScanStart;
        }
        checkpoint.Days.Sort((left, right) => left.Day.CompareTo(right.Day));
        checkpoint.OutsideTotal = checkpoint.InitialScanStartTotal.Value - DayPlanner.TrackedTotal(checkpoint);
        checkpoint.Baselined = true;
        checkpoint.HistoryReadAt ??= scanned;
        var tracked = DayPlanner.TrackedTotal(checkpoint);
        Log.InitialScanDone(_logger, _sourceId, checkpoint.Days.Count, tracked, _calls);
        return true;
    }

    /// <summary>The days of the horizon from its start to the day the lookback starts on (partly history): not read yet.</summary>
    private List<DayDocument> BaselineDays(CheckpointDocument checkpoint, DateOnly today)
    {
        if (_options.AllHistory)
        {
            return [];
        }
        var startDay = DateOnly.FromDateTime(checkpoint.StartedFrom);
        var horizonStart = DayPlanner.HorizonStart(today, _options.BackdateHorizon);
        return [.. checkpoint.Days.Where(day => !day.Baselined && DayPlanner.Day(day) >= horizonStart && DayPlanner.Day(day) <= startDay)];
    }

    /// <summary>
    /// The account's count moved. Today is read on from where it ended; what that does not explain is looked for by
    /// counting every tracked day (all of them: changes on two days can cancel out in a partial walk) and reading
    /// again each day whose count moved. The walk is paid like a re-read: when today's budget cannot pay for it and the
    /// polls still planned, it waits for a poll that can (the difference stays, so the next poll looks again) instead
    /// of spending the calls that keep today's arrivals flowing; on a budget where no poll ever could, it goes ahead,
    /// newest day first, only until the change is explained.
    /// Returns whether everything was explained; null when the poll had to halt.
    /// </summary>
    private async Task<bool?> ReconcileChangeAsync(CheckpointDocument checkpoint, DateOnly today, long accountTotal, RescanAllowance allowance, CancellationToken cancellationToken)
    {
        var change = accountTotal - DayPlanner.ExpectedTotal(checkpoint);
        var before = DayPlanner.ExpectedTotal(checkpoint);
        if (!await ReadTodayOnAsync(DayPlanner.Find(checkpoint, today)!, today, cancellationToken))
        {
            return null;
        }
        var explainedByToday = DayPlanner.ExpectedTotal(checkpoint) - before;
        if (explainedByToday == change)
        {
            return true;
        }

        var pastDays = checkpoint.Days.Where(day => DayPlanner.Day(day) != today).OrderByDescending(day => day.Day).ToList();
        var walkCost = pastDays.Count + 1;
        var affordable = allowance.CanAfford(walkCost);
        if (!affordable && allowance.FitsADay(walkCost))
        {
            Log.DayWalkDeferred(_logger, _sourceId, change - explainedByToday, pastDays.Count);
            return false;
        }

        var reference = accountTotal;
        if (explainedByToday > change)
        {
            // More arrived today while it was read: count the account again.
            if (await CountAsync(day: null, cancellationToken) is not { } recount)
            {
                return null;
            }
            reference = recount;
        }
        foreach (var past in pastDays)
        {
            if (!affordable && DayPlanner.ExpectedTotal(checkpoint) == reference)
            {
                // A budget no poll of which pays for a whole walk: newest first (yesterday's late arrivals are the
                // usual change) and only until the change is explained; re-reads find what cancels out.
                break;
            }
            var pastDay = DayPlanner.Day(past);
            if (await CountAsync(pastDay, cancellationToken) is not { } count)
            {
                return null;
            }
            if (count != past.VerifiedTotal)
            {
                Log.DayChanged(_logger, _sourceId, pastDay, past.VerifiedTotal ?? 0, count);
                if (!await ReadDayAsync(past, today, cancellationToken))
                {
                    return null;
                }
            }
        }

        if (DayPlanner.ExpectedTotal(checkpoint) < reference && DayPlanner.Find(checkpoint, today.AddDays(1)) is null)
        {
            // Events dated tomorrow (a creator's clock ahead of UTC) count in the total too.
            var tomorrow = today.AddDays(1);
            if (await CountAsync(tomorrow, cancellationToken) is not { } ahead)
            {
                return null;
            }
            if (ahead > 0 && !await ReadDayAsync(AddDay(checkpoint, tomorrow), today, cancellationToken))
            {
                return null;
            }
        }

        var unexplained = reference - DayPlanner.ExpectedTotal(checkpoint);
        if (unexplained != 0)
        {
            // Created or deleted before the horizon: outside what this source collects.
            checkpoint.OutsideTotal += unexplained;
            Log.ChangeOutsideHorizon(_logger, _sourceId, unexplained);
            return false;
        }
        return true;
    }

    /// <summary>Reads today from the page holding the last event seen; falls back to a full read when the day shifted under it.</summary>
    private async Task<bool> ReadTodayOnAsync(DayDocument todayDocument, DateOnly today, CancellationToken cancellationToken)
    {
        var known = todayDocument.VerifiedTotal ?? 0;
        if (known == 0 || todayDocument.LastId is null || todayDocument.ResumePage is not null)
        {
            return await ReadDayAsync(todayDocument, today, cancellationToken);
        }

        var pageSize = _options.PageSize;
        var pageNumber = (int)((known - 1) / pageSize) + 1;
        var lastIndex = (int)((known - 1) % pageSize);
        if (await FetchAsync(DayQuery(today, pageNumber, pageSize), cancellationToken) is not { } page)
        {
            return false;
        }
        if (page.Events.Count <= lastIndex || page.Events[lastIndex].Id != todayDocument.LastId)
        {
            Log.DayShifted(_logger, _sourceId, today);
            return await ReadDayAsync(todayDocument, today, cancellationToken);
        }

        var after = new HashSet<Guid>();
        var start = lastIndex + 1;
        var pageLimit = PageLimit(page.Meta.TotalPages, pageNumber);
        while (true)
        {
            for (var i = start; i < page.Events.Count; i++)
            {
                var item = page.Events[i];
                var key = EventKey.From(item.Id);
                if (after.Add(key))
                {
                    await OfferAsync(todayDocument, today, key, item, startedFrom: null, cancellationToken);
                }
            }
            if (page.Meta.NextPage is not int next || page.Events.Count == 0)
            {
                break;
            }
            CheckPagination(page.Meta.CurrentPage, next, pageLimit, $"day {today:yyyy-MM-dd}");
            if (await FetchAsync(DayQuery(today, next, pageSize), cancellationToken) is not { } following)
            {
                return false;
            }
            page = following;
            start = 0;
        }

        var total = TotalOf(page);
        if (total != known + after.Count)
        {
            Log.DayShifted(_logger, _sourceId, today);
            return await ReadDayAsync(todayDocument, today, cancellationToken);
        }
        todayDocument.VerifiedTotal = total;
        if (page.Events.Count > 0)
        {
            todayDocument.LastId = page.Events[^1].Id;
        }
        return true;
    }

    /// <summary>
    /// Reads one day in full (ascending, day filter), delivering what was not seen before, until a read is proven:
    /// a single page is one consistent answer; several pages need the day's count before the first and after the last
    /// to agree with the distinct ids seen (a deletion behind the read shifts an unread event onto a page already read).
    /// A read interrupted by a failure or the budget resumes at its page; such a read is accepted but not proven.
    /// </summary>
    private async Task<bool> ReadDayAsync(DayDocument document, DateOnly today, CancellationToken cancellationToken)
    {
        var day = DayPlanner.Day(document);
        DateTime? startedFrom = document.Baselined ? null : _checkpoint!.StartedFrom;
        // The first read of a day the source started on or after holds history (events before the start): remembered,
        // not sent. It must be proven, or a history event it skipped would later be found and sent as new; so it does
        // not resume part way, and once it sees several pages it counts the day and reads it again from page 1.
        var historyRead = startedFrom is { } from && day <= DateOnly.FromDateTime(from);
        var pageSize = _options.PageSize;
        var settled = false;
        long? endTotal = null;
        string? lastId = null;
        var distinct = 0;
        var proven = false;
        var attemptBegan = DateTime.MinValue;
        for (var attempt = 1; attempt <= _options.MaxScanAttempts && !settled; attempt++)
        {
            attemptBegan = _timeProvider.GetUtcNow().UtcDateTime;
            var firstPage = attempt == 1 && !historyRead && document.ResumePage is { } resume ? Math.Max(1, resume - 1) : 1;
            var resumed = firstPage > 1;
            long? startTotal = null;
            if (!resumed && !historyRead && document.VerifiedTotal > pageSize * 9 / 10)
            {
                if (await CountAsync(day, cancellationToken) is not { } counted)
                {
                    return false;
                }
                startTotal = counted;
            }

            var inThisRead = new HashSet<Guid>();
            var pageNumber = firstPage;
            var pageLimit = int.MaxValue;
            RawEventPage page;
            while (true)
            {
                document.ResumePage = pageNumber;
                if (await FetchAsync(DayQuery(day, pageNumber, pageSize), cancellationToken) is not { } fetched)
                {
                    return false;
                }
                page = fetched;
                pageLimit = pageLimit == int.MaxValue ? PageLimit(Math.Max(page.Meta.TotalPages, (int)((startTotal ?? 0) / pageSize) + 1), pageNumber) : pageLimit;
                foreach (var item in page.Events)
                {
                    var key = EventKey.From(item.Id);
                    if (inThisRead.Add(key))
                    {
                        await OfferAsync(document, day, key, item, startedFrom, cancellationToken);
                    }
                }
                if (page.Meta.NextPage is not int next || page.Events.Count == 0)
                {
                    break;
                }
                if (historyRead && startTotal is null)
                {
                    if (await CountAsync(day, cancellationToken) is not { } counted)
                    {
                        return false;
                    }
                    startTotal = counted;
                    inThisRead.Clear();
                    pageNumber = 1;
                    pageLimit = int.MaxValue;
                    continue;
                }
                CheckPagination(pageNumber, next, pageLimit, $"day {day:yyyy-MM-dd}");
                pageNumber = next;
            }

            endTotal = TotalOf(page);
            distinct = inThisRead.Count;
            lastId = page.Events.Count > 0 ? page.Events[^1].Id : lastId;
            var singlePage = firstPage == 1 && page.Meta.CurrentPage <= 1 && page.Meta.NextPage is null;
            if (resumed)
            {
                // Pages before the resume point were read by an earlier poll: accepted, proven by the next re-read.
                settled = endTotal is not null;
                proven = false;
            }
            else if (startTotal is { } start)
            {
                settled = proven = endTotal == distinct && start == endTotal;
            }
            else if (singlePage)
            {
                settled = proven = endTotal == distinct; // one answer is consistent by itself
            }
            else
            {
                // Grew past one page since it was last counted: accepted, proven by its next re-read.
                settled = endTotal == distinct;
                proven = false;
            }
            if (!settled)
            {
                Log.DayChangedWhileRead(_logger, _sourceId, day, attempt, distinct, endTotal ?? -1);
            }
        }

        document.Unsettled = !settled;
        document.Proven = proven;
        document.ReadAfterHorizon |= proven && day < DayPlanner.HorizonStart(DateOnly.FromDateTime(attemptBegan), _options.BackdateHorizon);
        document.VerifiedTotal = endTotal ?? distinct;
        document.LastId = lastId;
        document.LastFullScanAt = _timeProvider.GetUtcNow().UtcDateTime;
        // A history read that did not settle stays a first read: the next poll reads the day again (Unsettled).
        document.Baselined = !historyRead || settled;
        document.ResumePage = null;
        if (day < today)
        {
            // A past day is read rarely: keep its ids on disk only, so memory stays flat however long the run.
            await FlushAsync(durable: true, cancellationToken);
            _seen.Remove(day);
        }
        return true;
    }

    /// <summary>Queues an event not seen before for delivery (or only remembers it when it predates the source). True when new.</summary>
    private async Task<bool> OfferAsync(DayDocument document, DateOnly day, Guid key, RawEvent item, DateTime? startedFrom, CancellationToken cancellationToken)
    {
        if (!SeenOf(day).Add(key))
        {
            return false;
        }
        _outbox.Remember(day, key);
        if (startedFrom is { } from && item.OccurredDate.UtcDateTime < from)
        {
            return true; // there before the source's first run: remembered as seen, not delivered
        }
        if (document.Baselined && day < _today)
        {
            _checkpoint!.FoundLate++;
        }
        if (_outbox.Enqueue(item, day, key))
        {
            await FlushAsync(durable: false, cancellationToken);
        }
        return true;
    }

    /// <summary>Delivers what is pending and commits it with the cursor as it is now (see <see cref="DeliveryOutbox"/>).</summary>
    private async Task FlushAsync(bool durable, CancellationToken cancellationToken)
    {
        if (_checkpoint is { } checkpoint)
        {
            _delivered += await _outbox.FlushAsync(checkpoint, durable, cancellationToken);
        }
    }

    /// <summary>
    /// After a failure: events already read are delivered and committed (a failed call does not throw away what the
    /// calls before it brought). Then the in-memory cursor is dropped; the next poll starts from what is stored plus
    /// any batch held because its commit failed.
    /// </summary>
    private async Task SalvageAsync(Exception failure, CancellationToken cancellationToken)
    {
        var storageOrSink = failure is SinkException or LiteDB.LiteException or IOException;
        try
        {
            await _outbox.SettleAsync();
            if (!storageOrSink && _outbox.PendingEvents > 0)
            {
                await FlushAsync(durable: true, cancellationToken);
            }
        }
        catch (Exception salvage) when (salvage is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.SalvageFailed(_logger, _sourceId, salvage.GetType().Name, salvage.Message);
        }
        finally
        {
            await _outbox.SettleAsync(quietly: true);
            Forget();
        }
    }

    private CheckpointDocument LoadCheckpoint(DateTimeOffset now)
    {
        if (_checkpoint is not null)
        {
            return _checkpoint;
        }
        if (_outbox.HeldCursor is { } held)
        {
            _checkpoint = held;
            return held;
        }
        var stored = _store.Find(_sourceId);
        if (stored is not null && stored.QueryFingerprint == _identity.QueryFingerprint && stored.Version == CheckpointDocument.CurrentVersion)
        {
            stored.KeyFingerprint = _identity.KeyFingerprint;
            _checkpoint = stored;
            return stored;
        }
        if (stored is not null && stored.Version == 1 && _identity.LegacyFingerprint is { } legacy && stored.QueryFingerprint == legacy)
        {
            // A version-1 cursor of the same host and key: its days and seen ids carry over; its days were all read.
            stored.Version = CheckpointDocument.CurrentVersion;
            stored.QueryFingerprint = _identity.QueryFingerprint;
            foreach (var day in stored.Days)
            {
                day.Baselined = day.VerifiedTotal is not null;
            }
            stored.InitialScanPage = 1;
            Log.CheckpointMigrated(_logger, _sourceId);
            _checkpoint = stored;
            return stored;
        }
        if (stored is not null)
        {
            Log.CheckpointVoided(_logger, _sourceId, stored.Version);
            _store.Delete(_sourceId);
        }
        var created = NewCheckpoint(_options.AllHistory ? DateTime.MinValue : (now - Clamp(_options.InitialLookback, now)).UtcDateTime);
        // Stored before the first call: the lookback counts from the first start, not from the restart that happens
        // to commit the first batch (events between the two would be taken for history).
        _store.Commit([new BatchEffects([], _store.ToDocument(created), 0)]);
        _checkpoint = created;
        return created;
    }

    private CheckpointDocument NewCheckpoint(DateTime startedFrom) => new()
    {
        SourceId = _sourceId,
        QueryFingerprint = _identity.QueryFingerprint,
        KeyFingerprint = _identity.KeyFingerprint,
        StartedFrom = DateTime.SpecifyKind(startedFrom, DateTimeKind.Utc),
    };

    private HashSet<Guid> SeenOf(DateOnly day)
    {
        if (_seen.TryGetValue(day, out var seen))
        {
            return seen;
        }
        seen = [];
        _store.LoadSeen(_sourceId, day, seen);
        _outbox.AddHeldIds(day, seen);
        _seen[day] = seen;
        return seen;
    }

    /// <summary>The exact number of events (on a day, or in the account); null when the poll has to halt.</summary>
    private async Task<long?> CountAsync(DateOnly? day, CancellationToken cancellationToken)
    {
        var query = day is { } value ? DayQuery(value, 1, 1) : new EventQuery { Page = 1, PerPage = 1 };
        if (await FetchAsync(query, cancellationToken) is not { } page)
        {
            return null;
        }
        return page.Events.Count == 0 && page.Meta.CurrentPage <= 1 ? 0 : page.Meta.TotalPages;
    }

    /// <summary>One call; null when the poll has to halt (stop requested, or the daily budget spent).</summary>
    private async Task<RawEventPage?> FetchAsync(EventQuery query, CancellationToken cancellationToken)
    {
        if (_halted || _stopRequested)
        {
            _halted = true;
            return null;
        }
        _calls++;
        var outcome = await _fetch(query, cancellationToken);
        if (outcome.Page is null)
        {
            _halted = true;
            _budgetResetsAt = outcome.BudgetResetsAt;
            return null;
        }
        if (_onFirstPage is { } firstPage)
        {
            _onFirstPage = null;
            firstPage();
        }
        return outcome.Page;
    }

    private void Forget()
    {
        _checkpoint = null;
        _seen.Clear();
        _outbox.DropPending();
    }

    private static DayDocument AddDay(CheckpointDocument checkpoint, DateOnly day)
    {
        var document = new DayDocument { Day = CheckpointStore.ToDateTime(day) };
        checkpoint.Days.Add(document);
        return document;
    }

    /// <summary>A read may take the pages its start announced plus a margin for arrivals; more means the server's paging is broken.</summary>
    private static int PageLimit(int announcedPages, int startPage) => startPage + Math.Max(announcedPages, 1) + 10;

    private static void CheckPagination(int currentPage, int nextPage, int pageLimit, string what)
    {
        if (nextPage <= currentPage || nextPage > pageLimit)
        {
            throw new KnowBe4ApiException(
                KnowBe4FailureKind.MalformedBody,
                "GET /events",
                200,
                $"KnowBe4's paging of {what} does not end: page {currentPage} points to page {nextPage} (at most {pageLimit} expected)");
        }
    }

    private static TimeSpan Clamp(TimeSpan lookback, DateTimeOffset now) =>
        lookback > now - DateTimeOffset.UnixEpoch ? now - DateTimeOffset.UnixEpoch : lookback;

    private static EventQuery DayQuery(DateOnly day, int page, int perPage) => new()
    {
        OccurredDate = day,
        OrderBy = EventOrderBy.OccurredDate,
        OrderDirection = SortDirection.Asc,
        Page = page,
        PerPage = perPage,
    };

    private EventQuery NewestFirst(int page) => new()
    {
        OrderBy = EventOrderBy.OccurredDate,
        OrderDirection = SortDirection.Desc,
        Page = page,
        PerPage = _options.PageSize,
    };

    /// <summary>The day's total as the last page reports it; null when that page is not the last one (the day shrank under the read).</summary>
    private static long? TotalOf(RawEventPage lastPage)
    {
        var meta = lastPage.Meta;
        if (meta.TotalPages == 0)
        {
            return 0;
        }
        if (meta.CurrentPage != meta.TotalPages)
        {
            return null;
        }
        return ((long)(meta.TotalPages - 1) * meta.LimitValue) + lastPage.Events.Count;
    }

    private static DateTimeOffset AsUtc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
