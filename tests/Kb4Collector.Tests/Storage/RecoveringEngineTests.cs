using System.Diagnostics;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using LiteDB;

namespace Kb4Collector.Tests.Storage;

/// <summary>
/// LiteDB 5 keeps the first failed write of an instance and refuses every later call; the daemon's file is opened
/// again instead, so a disk that filled up once does not stop collection until a restart.
/// </summary>
public sealed class RecoveringEngineTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kb4-recovering-" + Guid.NewGuid().ToString("N"));

    // LiteDB writes a commit's pages from a background queue: a failed write may surface in the call that made it or
    // in the next one. Either way, once there is room, the same collection (the same LiteDatabase) writes again.
    [Fact]
    public void AfterADiskFullWriteTheSameCollectionWritesAgainOnceThereIsRoom()
    {
        var storage = new StorageFaultSwitch();
        using var database = CollectorDatabase.Open(_folder, storage.Wrap);
        var documents = database.Database.GetCollection("probe");
        documents.Insert(new BsonDocument { ["_id"] = 1 });

        storage.Failing = true;
        Refused(() => documents.Insert(new BsonDocument { ["_id"] = 2 }));
        Refused(() => documents.Insert(new BsonDocument { ["_id"] = 3 }));
        Assert.True(storage.Failures > 0, "the disk never refused a write");
        storage.Failing = false;

        var failures = WithRoom(() => documents.Insert(new BsonDocument { ["_id"] = 4 }));

        Assert.True(failures <= 1, $"{failures} calls failed after the disk had room again");
        Assert.Contains(1, documents.FindAll().Select(document => document["_id"].AsInt32));
        Assert.Contains(4, documents.FindAll().Select(document => document["_id"].AsInt32));
    }

    [Fact]
    public void ATransactionAfterTheFailureCommits()
    {
        var storage = new StorageFaultSwitch();
        using var database = CollectorDatabase.Open(_folder, storage.Wrap);
        var documents = database.Database.GetCollection("probe");

        database.Database.BeginTrans();
        documents.Insert(new BsonDocument { ["_id"] = 1 });
        storage.Failing = true;
        Refused(() => database.Database.Commit());
        Refused(() => documents.Insert(new BsonDocument { ["_id"] = 2 }));
        storage.Failing = false;
        Refused(() => database.Database.Rollback());

        var failures = WithRoom(() =>
        {
            database.Database.BeginTrans();
            documents.Insert(new BsonDocument { ["_id"] = 3 });
            database.Database.Commit();
        });

        Assert.True(failures <= 1, $"{failures} transactions failed after the disk had room again");
        Assert.Contains(3, documents.FindAll().Select(document => document["_id"].AsInt32));
    }

    // LiteDB acknowledges a commit once its pages are queued; its writer fails on the full disk afterwards and the
    // instance closes, taking the commit with it. Without the writer barrier about one commit in six made on a freshly
    // reopened instance while the disk was full was acknowledged, then missing from the file.
    [Fact]
    public void EveryCommitThatReturnedIsInTheFileAfterTheDiskWasFull()
    {
        var storage = new StorageFaultSwitch();
        var acknowledged = new List<int>();
        using (var database = CollectorDatabase.Open(_folder, storage.Wrap))
        {
            var batches = database.Database.GetCollection("batches");
            for (var batch = 1; batch <= 400; batch++)
            {
                // Full for batches 50-149 and 250-349: each failure reopens the file, and the next commit runs on the new instance.
                storage.Failing = batch % 200 is >= 50 and < 150;
                try
                {
                    database.Database.BeginTrans();
                    batches.Insert(Enumerable.Range(0, 10).Select(item => new BsonDocument { ["_id"] = batch * 100 + item, ["pad"] = new string('x', 500) }));
                    database.Database.Commit();
                    acknowledged.Add(batch);
                }
                catch (Exception error) when (error is IOException or ObjectDisposedException)
                {
                    Refused(() => database.Database.Rollback());
                }
            }
            storage.Failing = false;
        }

        using var reopened = CollectorDatabase.Open(_folder);
        var stored = reopened.Database.GetCollection("batches").FindAll().Select(document => document["_id"].AsInt32 / 100).ToHashSet();
        Assert.True(storage.Failures > 0, "the disk never refused a write");
        Assert.True(acknowledged.Count >= 200, $"only {acknowledged.Count} of 400 commits returned");
        var lost = acknowledged.Where(batch => !stored.Contains(batch)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged commits missing after reopening: {string.Join(", ", lost.Take(20))}");
    }

    // LiteDB checkpoints inside a commit once its log holds 1,000 pages, and that checkpoint waits without end for a
    // writer that failed: with the disk full at that moment the commit never returned (the collector's thread hung).
    [Fact]
    public async Task ACommitThatFillsTheLogWhileTheDiskIsFullFailsInsteadOfHanging()
    {
        var storage = new StorageFaultSwitch();
        var logFile = Path.Combine(_folder, "kb4collector-log.db");
        using var database = CollectorDatabase.Open(_folder, storage.Wrap);
        var documents = database.Database.GetCollection("probe");
        var padding = new string('x', 6_000);
        var id = 0;
        // Another thread's open read keeps LiteDB from checkpointing while the log grows past 1,000 pages.
        documents.Insert(new BsonDocument { ["_id"] = ++id });
        using (var reader = new OpenRead(documents))
        {
            while (new FileInfo(logFile).Length < 1_050L * 8_192)
            {
                documents.Insert(new BsonDocument { ["_id"] = ++id, ["pad"] = padding });
            }
        }

        // The collector folds a long log itself, in the background after a write, once no read is open: let it.
        var folded = Stopwatch.StartNew();
        while (new FileInfo(logFile).Length >= 1_050L * 8_192 && folded.Elapsed < TimeSpan.FromSeconds(10))
        {
            documents.Insert(new BsonDocument { ["_id"] = ++id });
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        // The writer falls behind, then fails: the commit has queued every page before the disk refuses the first.
        storage.Holding = true;
        storage.Failing = true;
        var commit = Task.Run(() => Refused(() =>
        {
            database.Database.BeginTrans();
            try
            {
                documents.Insert(Enumerable.Range(0, 40).Select(_ => new BsonDocument { ["_id"] = ++id, ["pad"] = padding }));
                database.Database.Commit();
            }
            catch
            {
                Refused(() => database.Database.Rollback());
                throw;
            }
        }), TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        storage.Holding = false;
        var finished = await Task.WhenAny(commit, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        storage.Failing = false;

        Assert.True(finished == commit, "the commit hung in LiteDB's checkpoint after the disk refused a write");
        Assert.True(storage.Failures > 0, "the disk never refused a write");
        WithRoom(() => documents.Insert(new BsonDocument { ["_id"] = ++id }));
        Assert.Contains(id, documents.FindAll().Select(document => document["_id"].AsInt32));
    }

    // LiteDB 5 can damage its file when transactions on different collections free and allocate pages at the same time
    // (litedb-org/LiteDB#2503, #2792: "empty page must be defined as empty type", "page type must be collection page").
    [Fact]
    public async Task ConcurrentWritesThatFreeAndAllocatePagesLeaveASoundFile()
    {
        using (var database = CollectorDatabase.Open(_folder))
        {
            var padding = new string('x', 3_000);
            var writers = Enumerable.Range(0, 4).Select(writer => Task.Run(() =>
            {
                var documents = database.Database.GetCollection("probe" + writer % 2);
                for (var round = 0; round < 30; round++)
                {
                    database.Database.BeginTrans();
                    try
                    {
                        documents.Insert(Enumerable.Range(0, 40).Select(item => new BsonDocument { ["_id"] = $"{writer}-{round}-{item}", ["pad"] = padding }));
                        database.Database.Commit();
                    }
                    catch
                    {
                        database.Database.Rollback();
                        throw;
                    }
                    var prefix = $"{writer}-{round}-";
                    documents.DeleteMany(document => document["_id"].AsString.StartsWith(prefix, StringComparison.Ordinal));
                }
            }, TestContext.Current.CancellationToken)).ToArray();
            await Task.WhenAll(writers);
        }

        using var reopened = CollectorDatabase.Open(_folder);
        CollectorDatabase.ReadThrough(reopened.Database);
    }

    /// <summary>A query held open on a thread of its own (LiteDB transactions belong to a thread) until disposed.</summary>
    private sealed class OpenRead : IDisposable
    {
        private readonly ManualResetEventSlim _begun = new();
        private readonly ManualResetEventSlim _end = new();
        private readonly Thread _thread;

        public OpenRead(ILiteCollection<BsonDocument> documents)
        {
            _thread = new Thread(() =>
            {
                using var reading = documents.FindAll().GetEnumerator();
                reading.MoveNext();
                _begun.Set();
                _end.Wait();
            });
            _thread.Start();
            _begun.Wait();
        }

        public void Dispose()
        {
            _end.Set();
            _thread.Join();
            _begun.Dispose();
            _end.Dispose();
        }
    }

    /// <summary>Runs a write while the disk is full: it may fail now, or its failure may surface later.</summary>
    private static void Refused(Action write)
    {
        try
        {
            write();
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException)
        {
            // expected, now or at a later call
        }
    }

    /// <summary>Runs a write until it lands (a failure left over from the full disk may surface once); returns the failures.</summary>
    private static int WithRoom(Action write)
    {
        for (var failures = 0; failures < 3; failures++)
        {
            try
            {
                write();
                return failures;
            }
            catch (IOException)
            {
                // the failure of the full disk surfacing late: the next call opens the file again
            }
        }
        return 3;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
