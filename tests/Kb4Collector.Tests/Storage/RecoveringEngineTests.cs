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
