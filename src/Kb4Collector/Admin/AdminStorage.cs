using Kb4Collector.Collection;
using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Admin;

/// <summary>
/// LiteDB 5.0.x can fail a read of a collection that another thread is creating at that moment, and then closes the
/// whole database (litedb-org/LiteDB#2792, "page type must be collection page"). The admin endpoint reads checkpoints
/// from request threads while sources create that collection with their first delivery, so it is created here, while
/// the daemon is being composed and nothing else runs yet.
/// </summary>
internal static class AdminStorage
{
    public static void CreateCollectionsItReads(CollectorDatabase database)
    {
        // An empty insert creates the collection without a document or an index.
        database.Database.GetCollection(CheckpointDocument.Collection).Insert(Array.Empty<BsonDocument>());
    }
}
