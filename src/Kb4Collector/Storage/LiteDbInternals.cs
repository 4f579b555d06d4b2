using System.Reflection;
using LiteDB.Engine;

namespace Kb4Collector.Storage;

/// <summary>
/// What the collector needs from LiteDB 5.0.20 that it does not expose. Mainly a wait until LiteDB has written what a
/// commit queued: LiteDB acknowledges a commit once its pages are queued for the write-ahead log, and a background
/// writer writes them later. When that write fails (a full disk), the commit the caller was told had landed is gone:
/// the engine closes and the file, opened again, no longer holds it. Waiting here turns that silent loss into a failed
/// commit, which the caller holds and writes again.
/// </summary>
/// <remarks>
/// LiteDB has no public way to wait for its writer (<see cref="ILiteEngine.Checkpoint"/> waits, but never returns once
/// the writer has failed), so this reads private members of LiteDB 5.0.20: the engine's disk service, state,
/// transaction monitor and write-ahead-log index, the writer queue's "empty" signal and the log's length.
/// <see cref="Check"/> runs when the database opens: an upgrade that moves them fails at start, not silently.
/// </remarks>
internal static class LiteDbInternals
{
    private const BindingFlags Members = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly Assembly s_liteDb = typeof(LiteEngine).Assembly;
    private static readonly Type? s_diskService = s_liteDb.GetType("LiteDB.Engine.DiskService");
    private static readonly FieldInfo? s_disk = typeof(LiteEngine).GetField("_disk", Members);
    private static readonly FieldInfo? s_state = typeof(LiteEngine).GetField("_state", Members);
    private static readonly FieldInfo? s_monitor = typeof(LiteEngine).GetField("_monitor", Members);
    private static readonly FieldInfo? s_walIndex = typeof(LiteEngine).GetField("_walIndex", Members);
    private static readonly FieldInfo? s_queue = s_diskService?.GetField("_queue", Members);
    private static readonly FieldInfo? s_logLength = s_diskService?.GetField("_logLength", Members);
    private static readonly PropertyInfo? s_queueCreated = s_queue?.FieldType.GetProperty(nameof(Lazy<object>.IsValueCreated));
    private static readonly PropertyInfo? s_queueValue = s_queue?.FieldType.GetProperty(nameof(Lazy<object>.Value));
    private static readonly FieldInfo? s_queueIsEmpty = s_liteDb.GetType("LiteDB.Engine.DiskWriterQueue")?.GetField("_queueIsEmpty", Members);
    private static readonly FieldInfo? s_transactions = s_liteDb.GetType("LiteDB.Engine.TransactionMonitor")?.GetField("_transactions", Members);
    private static readonly MethodInfo? s_tryCheckpoint = s_liteDb.GetType("LiteDB.Engine.WalIndexService")?.GetMethod("TryCheckpoint", Members, Type.EmptyTypes);
    private static readonly FieldInfo? s_disposed = s_liteDb.GetType("LiteDB.Engine.EngineState")?.GetField("Disposed", Members);

    private static readonly TimeSpan s_pollFailure = TimeSpan.FromMilliseconds(20);

    /// <summary>Throws when this LiteDB build does not have the members read here.</summary>
    public static void Check()
    {
        if (s_disk is null || s_state is null || s_walIndex is null || s_tryCheckpoint is null || s_monitor is null || s_transactions is null || s_logLength is null || s_queueCreated is null || s_queueValue is null || s_queueIsEmpty is null || s_disposed is null)
        {
            throw new InvalidOperationException(
                $"LiteDB {s_liteDb.GetName().Version} does not have the internals this collector relies on (built for 5.0.20): a commit could be acknowledged and then lost");
        }
    }

    /// <summary>
    /// Returns once <paramref name="engine"/> has written every page queued so far; throws <see cref="IOException"/>
    /// when its writer failed (LiteDB closes the engine then), or when the engine was closed before the pages were written.
    /// </summary>
    public static void WaitUntilWritten(ILiteEngine engine)
    {
        if (engine is not LiteEngine liteEngine)
        {
            return;
        }
        var state = s_state!.GetValue(liteEngine)!;
        var lazyQueue = s_queue!.GetValue(s_disk!.GetValue(liteEngine)!)!;
        // Nothing was ever queued while the Lazy<DiskWriterQueue> has no value.
        if ((bool)s_queueCreated!.GetValue(lazyQueue)!)
        {
            var queueIsEmpty = (ManualResetEventSlim)s_queueIsEmpty!.GetValue(s_queueValue!.GetValue(lazyQueue))!;
            try
            {
                // A failed writer never signals "empty"; it closes the engine instead.
                while (!queueIsEmpty.Wait(s_pollFailure))
                {
                    ThrowIfClosed(state);
                }
            }
            catch (ObjectDisposedException)
            {
                // The engine closed while this waited.
            }
        }
        ThrowIfClosed(state);
    }

    /// <summary>
    /// Runs LiteDB's checkpoint (the log copied into the data file) and returns once it is done, or throws
    /// <see cref="IOException"/> once the engine has closed: LiteDB's checkpoint waits for its writer without end,
    /// and a writer that failed never finishes. The waiting thread is then left behind with the closed engine.
    /// <paramref name="onlyIfIdle"/> skips it while any transaction is open (LiteDB's own in-commit checkpoint does
    /// that): waiting for them would hold up every new transaction behind it.
    /// </summary>
    public static void Checkpoint(ILiteEngine engine, bool onlyIfIdle)
    {
        if (engine is not LiteEngine liteEngine)
        {
            engine.Checkpoint();
            return;
        }
        var state = s_state!.GetValue(liteEngine)!;
        Func<int> run = onlyIfIdle ? () => (int)s_tryCheckpoint!.Invoke(s_walIndex!.GetValue(liteEngine), null)! : liteEngine.Checkpoint;
        var checkpoint = Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        while (!((IAsyncResult)checkpoint).AsyncWaitHandle.WaitOne(s_pollFailure))
        {
            ThrowIfClosed(state);
        }
        try
        {
            checkpoint.GetAwaiter().GetResult();
        }
        catch (TargetInvocationException error) when (error.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
        }
    }

    /// <summary>How long <paramref name="engine"/>'s write-ahead log is, in bytes (what a checkpoint folds into the data file).</summary>
    public static long LogLength(ILiteEngine engine) =>
        engine is LiteEngine liteEngine ? (long)s_logLength!.GetValue(s_disk!.GetValue(liteEngine))! : 0;

    /// <summary>
    /// Keeps the finalizers of <paramref name="engine"/>'s open transactions from running. A transaction whose commit
    /// failed stays open in a closed engine; once that engine is dropped, its finalizer rolls back pages the failed
    /// writer already took and throws (LiteException "discarded page must be writable"), which ends the process.
    /// </summary>
    public static void AbandonTransactions(ILiteEngine engine)
    {
        if (engine is not LiteEngine liteEngine || s_monitor!.GetValue(liteEngine) is not { } monitor || s_transactions!.GetValue(monitor) is not System.Collections.IDictionary transactions)
        {
            return;
        }
        lock (transactions)
        {
            foreach (var transaction in transactions.Values)
            {
#pragma warning disable CA1816 // LiteDB's transaction, not this class: see the summary
                GC.SuppressFinalize(transaction!);
#pragma warning restore CA1816
            }
        }
    }

    /// <summary>Whether LiteDB closed <paramref name="engine"/> (after a failed write, or disposed).</summary>
    public static bool IsClosed(ILiteEngine engine) =>
        engine is LiteEngine liteEngine && (bool)s_disposed!.GetValue(s_state!.GetValue(liteEngine))!;

    private static void ThrowIfClosed(object state)
    {
        if ((bool)s_disposed!.GetValue(state)!)
        {
            throw new IOException("the database file refused a write: LiteDB closed it before this commit was written");
        }
    }
}
