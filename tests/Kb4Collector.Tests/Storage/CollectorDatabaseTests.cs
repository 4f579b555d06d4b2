using Kb4Collector.Storage;

namespace Kb4Collector.Tests.Storage;

public sealed class CollectorDatabaseTests
{
    [Fact]
    public void EveryCollectionExistsEmptyAsSoonAsTheFileIsOpened()
    {
        var folder = Path.Combine(Path.GetTempPath(), "kb4-db-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var database = CollectorDatabase.Open(folder))
            {
                var names = database.Database.GetCollectionNames().ToHashSet();
                Assert.Superset(names, new HashSet<string> { "checkpoints", "seen_ids", "source_states", "health_events", "call_days", "call_history", "not_before", "dead_letters", "meta" });
                Assert.All(names.Where(name => name != "meta"), name => Assert.Equal(0, database.Database.GetCollection(name).Count()));
            }
            using var reopened = CollectorDatabase.Open(folder);
            Assert.Equal(0, reopened.Database.GetCollection("checkpoints").Count());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
