using Kb4Collector.KnowBe4;
using Kb4Collector.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Collection;

/// <summary>One call of List Events, already paced and counted against the key's budget by the caller.</summary>
public delegate Task<RawEventPage> FetchEventPage(EventQuery query, CancellationToken cancellationToken);

/// <summary>Hands events to the HTTP log endpoint; returns only once the sink accepted (or dead-lettered) all of them.</summary>
public delegate Task DeliverEvents(IReadOnlyList<RawEvent> events, CancellationToken cancellationToken);

/// <summary>
/// The loss-free cursor of one source over List Events (DESIGN.md §5).
/// </summary>
/// <remarks>
/// The API has no creation time and lets creators backdate <c>occurred_date</c>, so the cursor is not a timestamp.
/// Each UTC day inside the backdate horizon is read ascending with the day filter, and every event id delivered is
/// kept per day. An idle poll is one call: the account's event count (<c>per_page=1</c>, so <c>total_pages</c> is
/// the count) compared with the counts recorded for the tracked days plus those outside them. When it moved, today
/// is read on from its last known position, and only if that does not explain the change are past days counted
/// (one call each) and the days whose count moved re-read. A read counts as consistent only when the distinct ids
/// it saw equal the total the API reported at its end; otherwise the day is read again. Ids already seen are never
/// delivered again, and the seen ids and the day counts are committed in the same LiteDB transaction, after the
/// sink accepted the batch that carried them. A creation and a deletion on the same day between two polls leave the
/// count unchanged; the periodic full re-read of each day, paid from spare budget, closes that gap.
/// </remarks>
public sealed partial class SourceCollector
{
    private readonly string _sourceId;
    private readonly string _queryFingerprint;
    private readonly CollectionOptions _options;
    private readonly FetchEventPage _fetch;
    private readonly DeliverEvents _deliver;
    private readonly Func<long> _spareCallsToday;
    private readonly ILiteCollection<CheckpointDocument> _checkpoints;
    private readonly ILiteCollection<BsonDocument> _cursors;
    private readonly ILiteCollection<SeenChunkDocument> _seenChunks;
    private readonly LiteDatabase _database;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    private readonly Dictionary<DateOnly, HashSet<Guid>> _seen = [];
    private readonly Dictionary<DateOnly, List<Guid>> _pendingKeys = [];
    private readonly List<RawEvent> _pending = [];
    private int _pendingBytes;
    private CheckpointDocument? _checkpoint;
    private Task _committing = Task.CompletedTask;
    private int _calls;
    private int _delivered;
    private volatile bool _stopRequested;

    public SourceCollector(
        string sourceId,
        string queryFingerprint,
        CollectionOptions options,
        FetchEventPage fetch,
        DeliverEvents deliver,
        CollectorDatabase database,
        TimeProvider timeProvider,
        ILogger<SourceCollector> logger,
        Func<long>? spareCallsToday = null)
    {
        _sourceId = sourceId;
        _queryFingerprint = queryFingerprint;
        _options = options;
        _fetch = fetch;
        _deliver = deliver;
        _spareCallsToday = spareCallsToday ?? (() => long.MaxValue);
        _database = database.Database;
        _checkpoints = _database.GetCollection<CheckpointDocument>(CheckpointDocument.Collection);
        _cursors = _database.GetCollection(CheckpointDocument.Collection);
        _seenChunks = _database.GetCollection<SeenChunkDocument>(SeenChunkDocument.Collection);
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// For shutdown: the poll under way makes no further call, delivers and commits what it already read, and returns.
    /// </summary>
    public void StopAfterCurrentBatch() => _stopRequested = true;

    /// <summary>Reads what is new since the last poll and delivers it; an empty poll is committed as progress too.</summary>
    public async Task<CollectionPollResult> PollOnceAsync(CancellationToken cancellationToken)
    {
        _calls = 0;
        _delivered = 0;
        var now = _timeProvider.GetUtcNow();
        try
        {
            var checkpoint = LoadCheckpoint(now);
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            RollWindow(checkpoint, today);

            // The first run counts the account before reading: whatever changes during the reads then shows up as a
            // difference on the next poll and is looked for, instead of being taken for events outside the horizon.
            long? baseline = checkpoint.Baselined ? null : await CountAsync(day: null, cancellationToken);
            foreach (var unread in checkpoint.Days.Where(day => day.VerifiedTotal is null || day.Unsettled).OrderBy(day => day.Day).ToList())
            {
                await ReadDayAsync(unread, cancellationToken);
            }

            if (baseline is { } accountAtStart)
            {
                checkpoint.OutsideTotal = accountAtStart - TrackedTotal(checkpoint);
                checkpoint.Baselined = true;
            }
            else
            {
                var accountTotal = await CountAsync(day: null, cancellationToken);
                if (accountTotal != ExpectedTotal(checkpoint))
                {
                    await ReconcileChangeAsync(checkpoint, today, accountTotal, cancellationToken);
                }
            }

            await ReReadStalestDayAsync(checkpoint, now, cancellationToken);
            checkpoint.LastPollAt = now.UtcDateTime;
            await FlushAsync(cancellationToken, durable: true);
            return new CollectionPollResult(_calls, _delivered, Idle: _delivered == 0 && _calls == 1, BudgetResetsAt: null);
        }
        catch (StopRequestedException)
        {
            await FlushAsync(cancellationToken, durable: true);
            return new CollectionPollResult(_calls, _delivered, Idle: false, BudgetResetsAt: null);
        }
        catch (DailyBudgetExhaustedException exhausted)
        {
            await FlushAsync(cancellationToken, durable: true);
            Log.BudgetExhausted(_logger, _sourceId, exhausted.ResetsAt);
            return new CollectionPollResult(_calls, _delivered, Idle: false, exhausted.ResetsAt);
        }
        catch
        {
            // The next poll starts from what is stored: let a commit under way land (or fail) first.
            await _committing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Forget();
            throw;
        }
    }

    /// <summary>The stored cursor, for the admin endpoint.</summary>
    public CheckpointSummary? ReadCheckpoint()
    {
        var stored = _checkpoints.FindById(_sourceId);
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
                day.LastFullScanAt is { } scanned ? AsUtc(scanned) : null))]);
    }

    /// <summary>Deletes the source's cursor and seen ids (the source was removed).</summary>
    public void DeleteState()
    {
        Forget();
        _checkpoints.Delete(_sourceId);
        _seenChunks.DeleteMany(chunk => chunk.SourceId == _sourceId);
    }

    private async Task ReconcileChangeAsync(CheckpointDocument checkpoint, DateOnly today, long accountTotal, CancellationToken cancellationToken)
    {
        var change = accountTotal - ExpectedTotal(checkpoint);
        var before = ExpectedTotal(checkpoint);
        await ReadTodayOnAsync(Day(checkpoint, today), cancellationToken);
        var explainedByToday = ExpectedTotal(checkpoint) - before;
        if (explainedByToday == change)
        {
            return;
        }

        // More than expected arrived today while it was read, or something changed elsewhere: count again.
        var reference = explainedByToday > change ? await CountAsync(day: null, cancellationToken) : accountTotal;
        foreach (var past in checkpoint.Days.Where(day => DateOnly.FromDateTime(day.Day) != today).OrderByDescending(day => day.Day).ToList())
        {
            if (ExpectedTotal(checkpoint) == reference)
            {
                return;
            }
            var pastDay = DateOnly.FromDateTime(past.Day);
            var count = await CountAsync(pastDay, cancellationToken);
            if (count != past.VerifiedTotal)
            {
                Log.DayChanged(_logger, _sourceId, pastDay, past.VerifiedTotal ?? 0, count);
                await ReadDayAsync(past, cancellationToken);
            }
        }

        if (ExpectedTotal(checkpoint) != reference)
        {
            var tomorrow = today.AddDays(1);
            if (checkpoint.Days.All(day => DateOnly.FromDateTime(day.Day) != tomorrow) && await CountAsync(tomorrow, cancellationToken) > 0)
            {
                var future = new DayDocument { Day = ToDateTime(tomorrow) };
                checkpoint.Days.Add(future);
                await ReadDayAsync(future, cancellationToken);
            }
        }

        var unexplained = reference - ExpectedTotal(checkpoint);
        if (unexplained != 0)
        {
            // Created or deleted before the horizon: outside what this source collects.
            checkpoint.OutsideTotal += unexplained;
            Log.ChangeOutsideHorizon(_logger, _sourceId, unexplained);
        }
    }

    /// <summary>Reads today from the page holding the last event seen; falls back to a full read when the day shifted under it.</summary>
    private async Task ReadTodayOnAsync(DayDocument today, CancellationToken cancellationToken)
    {
        var known = today.VerifiedTotal ?? 0;
        if (known == 0 || today.LastId is null)
        {
            await ReadDayAsync(today, cancellationToken);
            return;
        }

        var day = DateOnly.FromDateTime(today.Day);
        var seen = SeenOf(day);
        var pageSize = _options.PageSize;
        var pageNumber = (int)((known - 1) / pageSize) + 1;
        var lastIndex = (int)((known - 1) % pageSize);
        var page = await FetchAsync(DayQuery(day, pageNumber, pageSize), cancellationToken);
        if (page.Events.Count <= lastIndex || page.Events[lastIndex].Id != today.LastId)
        {
            Log.DayShifted(_logger, _sourceId, day);
            await ReadDayAsync(today, cancellationToken);
            return;
        }

        var after = new HashSet<Guid>();
        var start = lastIndex + 1;
        while (true)
        {
            for (var i = start; i < page.Events.Count; i++)
            {
                var item = page.Events[i];
                var key = EventKey.From(item.Id);
                if (after.Add(key))
                {
                    await OfferAsync(day, key, item, seen, startedFrom: null, cancellationToken);
                }
            }
            if (page.Meta.NextPage is not int next || page.Events.Count == 0)
            {
                break;
            }
            page = await FetchAsync(DayQuery(day, next, pageSize), cancellationToken);
            start = 0;
        }

        var total = TotalOf(page);
        if (total != known + after.Count)
        {
            Log.DayShifted(_logger, _sourceId, day);
            await ReadDayAsync(today, cancellationToken);
            return;
        }
        today.VerifiedTotal = total;
        if (page.Events.Count > 0)
        {
            today.LastId = page.Events[^1].Id;
        }
    }

    /// <summary>Reads one day in full, delivering what was not seen before, until a read is consistent.</summary>
    private async Task ReadDayAsync(DayDocument dayDocument, CancellationToken cancellationToken)
    {
        var day = DateOnly.FromDateTime(dayDocument.Day);
        var checkpoint = _checkpoint!;
        DateTime? startedFrom = dayDocument.VerifiedTotal is null && day == DateOnly.FromDateTime(checkpoint.StartedFrom)
            ? checkpoint.StartedFrom
            : null;
        var pageSize = _options.PageSize;
        long? total = null;
        string? lastId = null;
        var distinct = 0;
        var settled = false;
        for (var attempt = 1; attempt <= _options.MaxScanAttempts; attempt++)
        {
            var seen = SeenOf(day);
            var inThisRead = new HashSet<Guid>();
            var page = await FetchAsync(DayQuery(day, 1, pageSize), cancellationToken);
            while (true)
            {
                foreach (var item in page.Events)
                {
                    var key = EventKey.From(item.Id);
                    if (inThisRead.Add(key))
                    {
                        await OfferAsync(day, key, item, seen, startedFrom, cancellationToken);
                    }
                }
                if (page.Meta.NextPage is not int next || page.Events.Count == 0)
                {
                    break;
                }
                page = await FetchAsync(DayQuery(day, next, pageSize), cancellationToken);
            }

            total = TotalOf(page);
            distinct = inThisRead.Count;
            lastId = page.Events.Count > 0 ? page.Events[^1].Id : null;
            if (total == distinct)
            {
                settled = true;
                break;
            }
            Log.DayChangedWhileRead(_logger, _sourceId, day, attempt, distinct, total ?? -1);
        }

        dayDocument.Unsettled = !settled;
        dayDocument.VerifiedTotal = total ?? distinct;
        dayDocument.LastId = lastId;
        dayDocument.LastFullScanAt = _timeProvider.GetUtcNow().UtcDateTime;
        if (DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime) > day)
        {
            // A past day is read rarely: keep its ids on disk only, so memory stays flat however long the run.
            await FlushAsync(cancellationToken, durable: true);
            _seen.Remove(day);
        }
    }

    private async Task ReReadStalestDayAsync(CheckpointDocument checkpoint, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = checkpoint.Days
            .Where(day => day.VerifiedTotal is not null && (day.LastFullScanAt is null || now.UtcDateTime - day.LastFullScanAt.Value >= _options.ReconcileInterval))
            .OrderBy(day => day.LastFullScanAt ?? DateTime.MinValue)
            .FirstOrDefault();
        if (due is null)
        {
            return;
        }
        var cost = (due.VerifiedTotal!.Value / _options.PageSize) + 1;
        if (_spareCallsToday() < cost)
        {
            return;
        }
        await ReadDayAsync(due, cancellationToken);
    }

    private async Task OfferAsync(DateOnly day, Guid key, RawEvent item, HashSet<Guid> seen, DateTime? startedFrom, CancellationToken cancellationToken)
    {
        if (!seen.Add(key))
        {
            return;
        }
        if (!_pendingKeys.TryGetValue(day, out var keys))
        {
            keys = [];
            _pendingKeys[day] = keys;
        }
        keys.Add(key);
        if (startedFrom is { } from && item.OccurredDate.UtcDateTime < from)
        {
            return; // there before the source's first run: remembered as seen, not delivered
        }
        _pending.Add(item);
        _pendingBytes += item.Json.Length + 1;
        if (_pending.Count >= _options.MaxBatchEvents || _pendingBytes >= _options.MaxBatchBytes)
        {
            await FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Delivers the pending events, then commits seen ids and the cursor in one transaction. The commit (a disk flush)
    /// runs while the next batch is read, and the next batch is not sent before it is done: at most one accepted batch
    /// is ever not committed, the one a crash may send again. <paramref name="durable"/> waits for the commit.
    /// </summary>
    private async Task FlushAsync(CancellationToken cancellationToken, bool durable = false)
    {
        var checkpoint = _checkpoint;
        if (checkpoint is null)
        {
            return;
        }
        await _committing;
        if (_pending.Count > 0)
        {
            await _deliver(_pending, cancellationToken);
            _delivered += _pending.Count;
            checkpoint.EventsDelivered += _pending.Count;
            checkpoint.LastDeliveryAt = _timeProvider.GetUtcNow().UtcDateTime;
        }

        // Taken now: the reader goes on changing the cursor and the pending ids while this is written.
        var chunks = _pendingKeys
            .Where(entry => entry.Value.Count > 0)
            .Select(entry => new SeenChunkDocument { SourceId = _sourceId, Day = ToDateTime(entry.Key), Keys = EventKey.Pack(entry.Value) })
            .ToList();
        var cursor = _database.Mapper.ToDocument(checkpoint);
        _pending.Clear();
        _pendingBytes = 0;
        _pendingKeys.Clear();
        _committing = Task.Run(() => Commit(chunks, cursor), CancellationToken.None);
        if (durable)
        {
            await _committing;
        }
    }

    private void Commit(List<SeenChunkDocument> chunks, BsonDocument cursor)
    {
        // LiteDB transactions belong to a thread: this one begins and ends here.
        _database.BeginTrans();
        try
        {
            if (chunks.Count > 0)
            {
                _seenChunks.Insert(chunks);
            }
            _cursors.Upsert(cursor);
            _database.Commit();
        }
        catch
        {
            _database.Rollback();
            throw;
        }
    }

    private CheckpointDocument LoadCheckpoint(DateTimeOffset now)
    {
        if (_checkpoint is not null)
        {
            return _checkpoint;
        }
        var stored = _checkpoints.FindById(_sourceId);
        if (stored is not null && stored.Version == CheckpointDocument.CurrentVersion && stored.QueryFingerprint == _queryFingerprint)
        {
            _checkpoint = stored;
            return stored;
        }
        if (stored is not null)
        {
            Log.CheckpointVoided(_logger, _sourceId, stored.Version);
            _seenChunks.DeleteMany(chunk => chunk.SourceId == _sourceId);
        }
        _checkpoint = new CheckpointDocument
        {
            SourceId = _sourceId,
            QueryFingerprint = _queryFingerprint,
            StartedFrom = (now - _options.InitialLookback).UtcDateTime,
        };
        return _checkpoint;
    }

    /// <summary>
    /// Tracks every day from the later of the first run's start and the horizon up to today; older days leave once
    /// read consistently. Until the first run is complete it reaches back to its start even beyond the horizon: an
    /// initial lookback longer than the horizon is collected once, and only then watched no further.
    /// </summary>
    private void RollWindow(CheckpointDocument checkpoint, DateOnly today)
    {
        var horizonStart = today.AddDays(-(int)Math.Ceiling(_options.BackdateHorizon.TotalDays));
        var startDay = DateOnly.FromDateTime(checkpoint.StartedFrom);
        var kept = startDay > horizonStart ? startDay : horizonStart;
        var first = checkpoint.Baselined ? kept : startDay;
        foreach (var old in checkpoint.Days.Where(day => checkpoint.Baselined && DateOnly.FromDateTime(day.Day) < kept && day.VerifiedTotal is not null && !day.Unsettled).ToList())
        {
            checkpoint.Days.Remove(old);
            checkpoint.OutsideTotal += old.VerifiedTotal ?? 0;
            var oldDay = DateOnly.FromDateTime(old.Day);
            _seen.Remove(oldDay);
            _seenChunks.DeleteMany(chunk => chunk.SourceId == _sourceId && chunk.Day == old.Day);
        }
        for (var day = first; day <= today; day = day.AddDays(1))
        {
            if (checkpoint.Days.All(existing => DateOnly.FromDateTime(existing.Day) != day))
            {
                checkpoint.Days.Add(new DayDocument { Day = ToDateTime(day) });
            }
        }
    }

    private HashSet<Guid> SeenOf(DateOnly day)
    {
        if (_seen.TryGetValue(day, out var seen))
        {
            return seen;
        }
        seen = [];
        var dayTime = ToDateTime(day);
        foreach (var chunk in _seenChunks.Find(chunk => chunk.SourceId == _sourceId && chunk.Day == dayTime))
        {
            EventKey.Unpack(chunk.Keys, seen);
        }
        _seen[day] = seen;
        return seen;
    }

    private async Task<long> CountAsync(DateOnly? day, CancellationToken cancellationToken)
    {
        var query = day is { } value ? DayQuery(value, 1, 1) : new EventQuery { Page = 1, PerPage = 1 };
        var page = await FetchAsync(query, cancellationToken);
        return page.Events.Count == 0 && page.Meta.CurrentPage <= 1 ? 0 : page.Meta.TotalPages;
    }

    private async Task<RawEventPage> FetchAsync(EventQuery query, CancellationToken cancellationToken)
    {
        if (_stopRequested)
        {
            throw new StopRequestedException();
        }
        _calls++;
        return await _fetch(query, cancellationToken);
    }

    private void Forget()
    {
        _checkpoint = null;
        _committing = Task.CompletedTask;
        _seen.Clear();
        _pending.Clear();
        _pendingKeys.Clear();
        _pendingBytes = 0;
    }

    private static EventQuery DayQuery(DateOnly day, int page, int perPage) => new()
    {
        OccurredDate = day,
        OrderBy = EventOrderBy.OccurredDate,
        OrderDirection = SortDirection.Asc,
        Page = page,
        PerPage = perPage,
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

    private static long TrackedTotal(CheckpointDocument checkpoint) => checkpoint.Days.Sum(day => day.VerifiedTotal ?? 0);

    private static long ExpectedTotal(CheckpointDocument checkpoint) => checkpoint.OutsideTotal + TrackedTotal(checkpoint);

    private static DayDocument Day(CheckpointDocument checkpoint, DateOnly day) =>
        checkpoint.Days.First(existing => DateOnly.FromDateTime(existing.Day) == day);

    private static DateTime ToDateTime(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private static DateTimeOffset AsUtc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed class StopRequestedException : Exception;
}
