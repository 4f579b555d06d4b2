using System.Reflection;
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
                Assert.Superset(new HashSet<string> { "checkpoints", "seen_ids", "source_states", "health_events", "call_days", "call_history", "not_before", "dead_letters", "meta" }, names);
                // Every collection the code names, so that one added later cannot be created first while sources run:
                // a read racing with its creation fails (litedb-org/LiteDB#2792; the Reporting collections did).
                Assert.Superset(CollectionNamesInTheCode(), names);
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

    private static HashSet<string> CollectionNamesInTheCode()
    {
        var names = typeof(CollectorDatabase).Assembly.GetTypes()
            .SelectMany(type => type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(field => field.IsLiteral && field.FieldType == typeof(string) && (field.Name.EndsWith("Collection", StringComparison.Ordinal) || field.Name.EndsWith("CollectionName", StringComparison.Ordinal)))
            .Select(field => (string)field.GetRawConstantValue()!)
            .ToHashSet();
        Assert.Contains("reporting_records", names);
        return names;
    }
}
