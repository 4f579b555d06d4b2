using LiteDB;
using LiteDB.Engine;

namespace Kb4Collector.Storage;

/// <summary>
/// The database file's engine, opened again after an I/O failure. LiteDB 5 keeps the first failed write (a full disk)
/// and throws it from every later call of that engine instance, so without this a disk that filled up once would stop
/// collection until the daemon restarts. The <see cref="LiteDatabase"/> and its collections hold this engine, not the
/// failed one: the call after the failure opens the file again and everyone carries on, re-committing what they hold.
/// A transaction begun on the failed instance fails as a whole (its commit throws); a lone call that raced with the
/// reopening runs again on the new instance.
/// </summary>
internal sealed class RecoveringEngine : ILiteEngine
{
    private readonly Func<ILiteEngine> _open;
    private readonly Lock _gate = new();

    /// <summary>The instance each thread's open transaction began on (LiteDB transactions belong to a thread).</summary>
    private readonly ThreadLocal<ILiteEngine?> _transaction = new();
    private ILiteEngine _engine;
    private bool _failed;
    private bool _disposed;

    public RecoveringEngine(Func<ILiteEngine> open)
    {
        _open = open;
        _engine = open();
    }

    public int Checkpoint() => Run(engine => engine.Checkpoint());

    public long Rebuild(RebuildOptions options) => Run(engine => engine.Rebuild(options));

    public bool BeginTrans() => Run(engine =>
    {
        var begun = engine.BeginTrans();
        _transaction.Value = engine;
        return begun;
    });

    public bool Commit()
    {
        var begunOn = _transaction.Value;
        _transaction.Value = null;
        if (begunOn is not null && !ReferenceEquals(begunOn, CurrentOrNull()))
        {
            throw TransactionLost();
        }
        return Run(engine => engine.Commit());
    }

    public bool Rollback()
    {
        var begunOn = _transaction.Value;
        _transaction.Value = null;
        if (begunOn is not null && !ReferenceEquals(begunOn, CurrentOrNull()))
        {
            return false; // it went with the failed instance
        }
        return Run(engine => engine.Rollback());
    }

    public IBsonDataReader Query(string collection, Query query) => Run(engine => engine.Query(collection, query));

    public int Insert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => Run(engine => engine.Insert(collection, docs, autoId));

    public int Update(string collection, IEnumerable<BsonDocument> docs) => Run(engine => engine.Update(collection, docs));

    public int UpdateMany(string collection, BsonExpression transform, BsonExpression predicate) => Run(engine => engine.UpdateMany(collection, transform, predicate));

    public int Upsert(string collection, IEnumerable<BsonDocument> docs, BsonAutoId autoId) => Run(engine => engine.Upsert(collection, docs, autoId));

    public int Delete(string collection, IEnumerable<BsonValue> ids) => Run(engine => engine.Delete(collection, ids));

    public int DeleteMany(string collection, BsonExpression predicate) => Run(engine => engine.DeleteMany(collection, predicate));

    public bool DropCollection(string name) => Run(engine => engine.DropCollection(name));

    public bool RenameCollection(string name, string newName) => Run(engine => engine.RenameCollection(name, newName));

    public bool EnsureIndex(string collection, string name, BsonExpression expression, bool unique) => Run(engine => engine.EnsureIndex(collection, name, expression, unique));

    public bool DropIndex(string collection, string name) => Run(engine => engine.DropIndex(collection, name));

    public BsonValue Pragma(string name) => Run(engine => engine.Pragma(name));

    public bool Pragma(string name, BsonValue value) => Run(engine => engine.Pragma(name, value));

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _engine.Dispose();
        }
        _transaction.Dispose();
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
                lock (_gate)
                {
                    _failed |= ReferenceEquals(engine, _engine);
                }
                if (error is IOException || attempt > 1 || _transaction.Value is not null)
                {
                    throw;
                }
                // A closed (or replaced) instance: run the call once more, on a new one.
            }
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
            if (_failed && !_disposed)
            {
                try
                {
                    _engine.Dispose();
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    // The failed instance cannot flush on its way out: its last write is what failed.
                }
                // Throws while the file still cannot be opened (the disk is still full): the engine stays failed and
                // the next call tries again.
                _engine = _open();
                _failed = false;
            }
            return _engine;
        }
    }
}
