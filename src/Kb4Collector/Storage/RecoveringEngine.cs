using LiteDB;
using LiteDB.Engine;

namespace Kb4Collector.Storage;

/// <summary>
/// The database file's engine, opened again after an I/O failure. LiteDB 5 keeps the first failed write (a full disk)
/// and throws it from every later call of that engine instance, so without this a disk that filled up once would stop
/// collection until the daemon restarts. The <see cref="LiteDatabase"/> and its collections hold this engine, not the
/// failed one: the call after the failure opens the file again and everyone carries on, re-committing what they hold.
/// A transaction begun on the failed instance fails as a whole (its commit throws); a lone call that raced with the
/// reopening runs again on the new instance. A commit, and a write outside a transaction, returns only once LiteDB's
/// writer has written it (<see cref="LiteDbInternals"/>): what was acknowledged is in the file, or the call failed.
/// </summary>
internal sealed class RecoveringEngine : ILiteEngine
{
    /// <summary>LiteDB's own default: 1,000 pages of 8 KiB.</summary>
    private const long CheckpointLogBytes = 1_000 * 8_192;

    private static readonly TimeSpan s_writeWait = TimeSpan.FromMinutes(1);

    private readonly Func<ILiteEngine> _open;
    private readonly Lock _gate = new();

    /// <summary>The instance each thread's open transaction began on (LiteDB transactions belong to a thread).</summary>
    private readonly ThreadLocal<ILiteEngine?> _transaction = new();
    private readonly SemaphoreSlim _writes = new(1, 1);
    private ILiteEngine _engine;
    private bool _failed;
    private int _checkpointing;
    private bool _disposed;

    public RecoveringEngine(Func<ILiteEngine> open)
    {
        LiteDbInternals.Check();
        _open = open;
        _engine = OpenWithoutAutomaticCheckpoints();
    }

    public int Checkpoint() => Run(engine =>
    {
        LiteDbInternals.Checkpoint(engine, onlyIfIdle: false);
        return 0;
    });

    public long Rebuild(RebuildOptions options) => Run(engine => engine.Rebuild(options));

    public bool BeginTrans()
    {
        if (_transaction.Value is not null)
        {
            return Run(engine => engine.BeginTrans()); // LiteDB joins the thread's transaction
        }
        EnterWrites();
        try
        {
            return Run(engine =>
            {
                var begun = engine.BeginTrans();
                _transaction.Value = engine;
                return begun;
            });
        }
        catch
        {
            _writes.Release();
            throw;
        }
    }

    public bool Commit()
    {
        var begunOn = _transaction.Value;
        _transaction.Value = null;
        if (begunOn is null)
        {
            return Run(engine => engine.Commit()); // no transaction: LiteDB's no-op
        }
        try
        {
            return CommitOn(begunOn);
        }
        finally
        {
            _writes.Release();
        }
    }

    private bool CommitOn(ILiteEngine begunOn)
    {
        if (!ReferenceEquals(begunOn, CurrentOrNull()))
        {
            throw TransactionLost();
        }
        // Never run again on another instance: the transaction lives only in the one it began on. Once another thread
        // has closed that instance, a second Commit would find no transaction there and "succeed" with nothing written.
        try
        {
            if (!begunOn.Commit())
            {
                throw TransactionLost();
            }
            LiteDbInternals.WaitUntilWritten(begunOn);
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException)
        {
            MarkFailed(begunOn);
            throw;
        }
        CheckpointWhenTheLogIsLong(begunOn);
        return true;
    }

    public bool Rollback()
    {
        var begunOn = _transaction.Value;
        _transaction.Value = null;
        if (begunOn is null)
        {
            return Run(engine => engine.Rollback()); // no transaction: LiteDB's no-op
        }
        try
        {
            // A transaction that went with a failed instance has nothing left to roll back.
            return ReferenceEquals(begunOn, CurrentOrNull()) && Run(engine => engine.Rollback());
        }
        finally
        {
            _writes.Release();
        }
    }

    public IBsonDataReader Query(string collection, Query query) => Run(engine => engine.Query(collection, query));

    public int Insert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => RunWrite(engine => engine.Insert(collection, docs, autoId));

    public int Update(string collection, IEnumerable<BsonDocument> docs) => RunWrite(engine => engine.Update(collection, docs));

    public int UpdateMany(string collection, BsonExpression transform, BsonExpression predicate) => RunWrite(engine => engine.UpdateMany(collection, transform, predicate));

    public int Upsert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => RunWrite(engine => engine.Upsert(collection, docs, autoId));

    public int Delete(string collection, IEnumerable<BsonValue> ids) => RunWrite(engine => engine.Delete(collection, ids));

    public int DeleteMany(string collection, BsonExpression predicate) => RunWrite(engine => engine.DeleteMany(collection, predicate));

    public bool DropCollection(string name) => RunWrite(engine => engine.DropCollection(name));

    public bool RenameCollection(string name, string newName) => RunWrite(engine => engine.RenameCollection(name, newName));

    public bool EnsureIndex(string collection, string name, BsonExpression expression, bool unique) => RunWrite(engine => engine.EnsureIndex(collection, name, expression, unique));

    public bool DropIndex(string collection, string name) => RunWrite(engine => engine.DropIndex(collection, name));

    public BsonValue Pragma(string name) => Run(engine => engine.Pragma(name));

    public bool Pragma(string name, BsonValue value) => RunWrite(engine => engine.Pragma(name, value));

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (!_failed)
            {
                // LiteDB folds the log on close only with its automatic checkpoint on: a clean stop leaves one file.
                try
                {
                    LiteDbInternals.Checkpoint(_engine, onlyIfIdle: false);
                }
                catch (Exception error) when (error is IOException or ObjectDisposedException or LiteException)
                {
                    // The log stays; the next open reads it.
                }
            }
            LiteDbInternals.AbandonTransactions(_engine);
            _engine.Dispose();
        }
        // The write lock is not disposed: a writer that was inside when the file closed still releases it on its way
        // out. It holds no wait handle, so there is nothing to free.
        _transaction.Dispose();
    }

    /// <summary>A write outside a transaction commits on its own: it returns once written, like <see cref="Commit"/>.</summary>
    private T RunWrite<T>(Func<ILiteEngine, T> operation)
    {
        if (_transaction.Value is not null)
        {
            return Run(operation); // the thread's transaction holds the writes already
        }
        ILiteEngine? ranOn = null;
        EnterWrites();
        T result;
        try
        {
            result = Run(engine =>
            {
                var written = operation(engine);
                LiteDbInternals.WaitUntilWritten(engine);
                ranOn = engine;
                return written;
            });
        }
        finally
        {
            _writes.Release();
        }
        CheckpointWhenTheLogIsLong(ranOn!);
        return result;
    }

    /// <summary>
    /// One writer at a time, for the whole file: LiteDB 5 damages its file when transactions on different collections
    /// free and allocate pages at the same time (litedb-org/LiteDB#2503, #2792). Reads do not wait.
    /// </summary>
    private void EnterWrites()
    {
        if (!_writes.Wait(s_writeWait))
        {
            throw new TimeoutException($"the database file is busy: another write has held it for {s_writeWait.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Folds the write-ahead log into the data file once it is long, in the background. LiteDB's own checkpoint (run
    /// inside a commit) is off: it waits without end for a writer that failed. One at a time; the commit that asked
    /// for it is written already, so a failure here only makes the next call open the file again.
    /// </summary>
    private void CheckpointWhenTheLogIsLong(ILiteEngine engine)
    {
        if (LiteDbInternals.LogLength(engine) < CheckpointLogBytes || Interlocked.Exchange(ref _checkpointing, 1) == 1)
        {
            return;
        }
        _ = Task.Run(() =>
        {
            try
            {
                LiteDbInternals.Checkpoint(engine, onlyIfIdle: true);
            }
            catch (Exception error) when (error is IOException or ObjectDisposedException)
            {
                MarkFailed(engine);
            }
            catch (LiteException)
            {
                // Another transaction held the file past LiteDB's lock timeout: the next long log tries again.
            }
            finally
            {
                Volatile.Write(ref _checkpointing, 0);
            }
        });
    }

    private T Run<T>(Func<ILiteEngine, T> operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            var engine = Current();
            if (_transaction.Value is { } begunOn && !ReferenceEquals(begunOn, engine))
            {
                throw TransactionLost();
            }
            try
            {
                return operation(engine);
            }
            catch (Exception error) when (error is IOException or ObjectDisposedException)
            {
                // LiteDB closes an instance whose write failed: later calls find its locks disposed.
                MarkFailed(engine);
                if (error is IOException || attempt > 1 || _transaction.Value is not null)
                {
                    throw;
                }
                // A closed (or replaced) instance: run the call once more, on a new one.
            }
            catch (LiteException error) when (error.ErrorCode == LiteException.LOCK_TIMEOUT && LiteDbInternals.IsClosed(engine))
            {
                // A call that waited on a lock of an instance a failed write closed meanwhile times out: that is the
                // failed write, not a damaged file.
                MarkFailed(engine);
                throw new IOException($"the database file refused a write while this call waited ({error.Message})", error);
            }
        }
    }

    private ILiteEngine OpenWithoutAutomaticCheckpoints()
    {
        var engine = _open();
        try
        {
            if (engine.Pragma("CHECKPOINT") != 0)
            {
                engine.Pragma("CHECKPOINT", 0);
                LiteDbInternals.WaitUntilWritten(engine);
            }
            return engine;
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException)
        {
            Retire(engine);
            throw;
        }
    }

    /// <summary>Marks <paramref name="engine"/> failed, unless it was replaced already: the next call opens the file again.</summary>
    private void MarkFailed(ILiteEngine engine)
    {
        lock (_gate)
        {
            _failed |= ReferenceEquals(engine, _engine);
        }
    }

    /// <summary>Closes a failed instance. Its open transactions must not reach LiteDB's finalizer, which ends the process.</summary>
    private static void Retire(ILiteEngine engine)
    {
        LiteDbInternals.AbandonTransactions(engine);
        try
        {
            engine.Dispose();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // A failed instance cannot flush on its way out: its last write is what failed.
        }
    }

    private static IOException TransactionLost() =>
        new("the database file was opened again after a failed write; this transaction was lost with the failed instance");

    private ILiteEngine? CurrentOrNull()
    {
        lock (_gate)
        {
            return _failed ? null : _engine;
        }
    }

    private ILiteEngine Current()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failed)
            {
                Retire(_engine);
                // Throws while the file still cannot be opened (the disk is still full): the engine stays failed and
                // the next call tries again.
                _engine = OpenWithoutAutomaticCheckpoints();
                _failed = false;
            }
            return _engine;
        }
    }
}
