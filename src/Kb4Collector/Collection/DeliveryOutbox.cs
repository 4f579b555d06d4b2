using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Collection;

/// <summary>
/// The deliver → commit end of a source's path: the events a poll read and has not yet committed. A batch goes to the
/// sink; once the sink accepted it, the batch's ids and the cursor are committed in one transaction. The commit (a
/// disk flush) runs while the next batch is read, and the next batch is not sent before it is done: at most one
/// accepted batch is ever not committed, the one a crash may send again. A batch whose commit failed is held (in
/// memory) and written before anything else; it is never sent again.
/// </summary>
internal sealed class DeliveryOutbox(string sourceId, CollectionOptions options, DeliverEvents deliver, CheckpointStore store, TimeProvider timeProvider, ILogger logger)
{
    private readonly Dictionary<DateOnly, List<Guid>> _pendingKeys = [];
    private readonly List<PendingEvent> _pending = [];
    private readonly List<BatchEffects> _held = [];
    private int _pendingBytes;
    private Task _committing = Task.CompletedTask;

    /// <summary>Events waiting to be delivered.</summary>
    public int PendingEvents => _pending.Count;

    /// <summary>The cursor of the last held batch: what the next poll starts from, rather than the stored one.</summary>
    public CheckpointDocument? HeldCursor => _held.Count > 0 ? store.FromDocument(_held[^1].Cursor) : null;

    /// <summary>Adds the ids that held batches delivered on <paramref name="day"/> to <paramref name="seen"/>.</summary>
    public void AddHeldIds(DateOnly day, HashSet<Guid> seen)
    {
        var dayTime = CheckpointStore.ToDateTime(day);
        foreach (var chunk in _held.SelectMany(batch => batch.Chunks).Where(chunk => chunk.Day == dayTime))
        {
            EventKey.Unpack(chunk.Keys, seen);
        }
    }

    /// <summary>Records an id to commit with the next batch (an event remembered, not sent, only needs this).</summary>
    public void Remember(DateOnly day, Guid key)
    {
        if (!_pendingKeys.TryGetValue(day, out var keys))
        {
            keys = [];
            _pendingKeys[day] = keys;
        }
        keys.Add(key);
    }

    /// <summary>Queues an event for the next batch (its id must be remembered too). True when the batch is full.</summary>
    public bool Enqueue(RawEvent item, DateOnly day, Guid key)
    {
        _pending.Add(new PendingEvent(item, day, key));
        _pendingBytes += item.Json.Length + 1;
        return _pending.Count >= options.MaxBatchEvents || _pendingBytes >= options.MaxBatchBytes;
    }

    /// <summary>
    /// Delivers what is pending, then commits its ids and <paramref name="checkpoint"/> as it is now (also with nothing
    /// to deliver: progress is committed too). <paramref name="durable"/> waits for the commit. Returns the events sent.
    /// </summary>
    public async Task<int> FlushAsync(CheckpointDocument checkpoint, bool durable, CancellationToken cancellationToken)
    {
        await _committing;
        var events = _pending.Count;
        if (events > 0)
        {
            await DeliverPendingAsync(checkpoint, cancellationToken);
            RecordDelivered(checkpoint, events);
        }

        // Taken now: the reader goes on changing the cursor and the pending ids while this is written.
        var effects = new BatchEffects(TakeChunks(_pendingKeys), store.ToDocument(checkpoint), events);
        _pending.Clear();
        _pendingBytes = 0;
        _committing = Task.Run(() => CommitOrHold(effects), CancellationToken.None);
        if (durable)
        {
            await _committing;
        }
        return events;
    }

    /// <summary>A poll after a failed commit first writes what the sink already accepted; it reads nothing until that lands.</summary>
    public async Task CommitHeldAsync()
    {
        if (_held.Count == 0)
        {
            return;
        }
        var held = _held.ToList();
        await Task.Run(() =>
        {
            store.Commit(held);
            _held.Clear();
        });
        var events = held.Sum(batch => batch.Events);
        Log.HeldCommitted(logger, sourceId, events);
    }

    /// <summary>
    /// For a stop: writes the held batches if the file takes them now. Returns the events still held (lost with the
    /// process, so sent again at the next start: a graceful stop must not add to what a crash would).
    /// </summary>
    public int TryCommitHeld()
    {
        if (_held.Count == 0)
        {
            return 0;
        }
        try
        {
            store.Commit(_held);
            _held.Clear();
            return 0;
        }
        catch (Exception error) when (error is IOException or LiteDB.LiteException or ObjectDisposedException)
        {
            return _held.Sum(batch => batch.Events);
        }
    }

    /// <summary>Waits for the commit under way; <paramref name="quietly"/> ignores its failure (the batch is held then).</summary>
    public async Task SettleAsync(bool quietly = false)
    {
        if (quietly)
        {
            await _committing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }
        await _committing;
    }

    /// <summary>Drops what is pending (not sent); held batches stay.</summary>
    public void DropPending()
    {
        _committing = Task.CompletedTask;
        _pending.Clear();
        _pendingKeys.Clear();
        _pendingBytes = 0;
    }

    /// <summary>Drops held batches too (the source's state moved or was deleted).</summary>
    public void DropAll()
    {
        DropPending();
        _held.Clear();
    }

    private async Task DeliverPendingAsync(CheckpointDocument checkpoint, CancellationToken cancellationToken)
    {
        try
        {
            await deliver(_pending.ConvertAll(pending => pending.Event), cancellationToken);
        }
        catch (SinkException refused) when (refused.Delivered.Accepted + refused.Delivered.DeadLettered is var settled && settled > 0)
        {
            // The sink took the first part of the batch (a split batch whose second part was refused): those are
            // committed, so that only the rest is sent again.
            var prefix = new Dictionary<DateOnly, List<Guid>>();
            foreach (var pending in _pending.Take(settled))
            {
                if (!prefix.TryGetValue(pending.Day, out var keys))
                {
                    keys = [];
                    prefix[pending.Day] = keys;
                }
                keys.Add(pending.Key);
            }
            // The stored cursor (stored before the first call), not the reader's, which is ahead of this prefix.
            var stored = HeldCursor ?? store.Find(sourceId) ?? new CheckpointDocument
            {
                SourceId = checkpoint.SourceId,
                QueryFingerprint = checkpoint.QueryFingerprint,
                KeyFingerprint = checkpoint.KeyFingerprint,
                StartedFrom = checkpoint.StartedFrom,
            };
            RecordDelivered(stored, settled);
            var effects = new BatchEffects(TakeChunks(prefix), store.ToDocument(stored), settled);
            await Task.Run(() => CommitOrHold(effects), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Log.PartlyDelivered(logger, sourceId, settled, _pending.Count);
            throw;
        }
    }

    private void RecordDelivered(CheckpointDocument checkpoint, int events)
    {
        var deliveredAt = timeProvider.GetUtcNow().UtcDateTime;
        checkpoint.EventsDelivered += events;
        checkpoint.DeliveredThatDay = checkpoint.LastDeliveryAt?.Date == deliveredAt.Date ? checkpoint.DeliveredThatDay + events : events;
        checkpoint.LastDeliveryAt = deliveredAt;
    }

    /// <summary>Writes the held batches and this one; on failure keeps this one held (in memory), never to be sent again.</summary>
    private void CommitOrHold(BatchEffects effects)
    {
        try
        {
            store.Commit([.. _held, effects]);
            _held.Clear();
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            _held.Add(effects);
            throw;
        }
    }

    private List<SeenChunkDocument> TakeChunks(Dictionary<DateOnly, List<Guid>> keysByDay)
    {
        var chunks = keysByDay
            .Where(entry => entry.Value.Count > 0)
            .Select(entry => new SeenChunkDocument { Id = ObjectId.NewObjectId(), SourceId = sourceId, Day = CheckpointStore.ToDateTime(entry.Key), Keys = EventKey.Pack(entry.Value) })
            .ToList();
        keysByDay.Clear();
        return chunks;
    }

    private readonly record struct PendingEvent(RawEvent Event, DateOnly Day, Guid Key);
}
