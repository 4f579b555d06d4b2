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

    [Fact]
    public void AfterADiskFullWriteTheSameCollectionWritesAgainOnceThereIsRoom()
    {
        var storage = new StorageFaultSwitch();
        using var database = CollectorDatabase.Open(_folder, storage.Wrap);
        var documents = database.Database.GetCollection("probe");
        documents.Insert(new BsonDocument { ["_id"] = 1 });

        storage.Failing = true;
        Assert.ThrowsAny<IOException>(() => documents.Insert(new BsonDocument { ["_id"] = 2 }));
        storage.Failing = false;

        documents.Insert(new BsonDocument { ["_id"] = 3 });
        Assert.Equal([1, 3], documents.FindAll().Select(document => document["_id"].AsInt32).Order());
    }

    [Fact]
    public void ATransactionBegunBeforeTheFailureFailsAsAWholeAndTheNextOneCommits()
    {
        var storage = new StorageFaultSwitch();
        using var database = CollectorDatabase.Open(_folder, storage.Wrap);
        var documents = database.Database.GetCollection("probe");

        database.Database.BeginTrans();
        documents.Insert(new BsonDocument { ["_id"] = 1 });
        storage.Failing = true;
        Assert.ThrowsAny<IOException>(() => database.Database.Commit());
        storage.Failing = false;
        Assert.False(database.Database.Rollback()); // it went with the failed instance

        database.Database.BeginTrans();
        documents.Insert(new BsonDocument { ["_id"] = 2 });
        Assert.True(database.Database.Commit());
        Assert.Equal([2], documents.FindAll().Select(document => document["_id"].AsInt32));
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
