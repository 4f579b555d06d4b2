using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using LiteDB;

namespace Kb4Collector.Tests.Storage;

/// <summary>Upgrades: the file carries a schema version; a newer binary migrates in place, an older one refuses.</summary>
public sealed class DatabaseSchemaTests : IDisposable
{
    private readonly TempSourceFolder _temp = new();

    private string Folder => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AFileWrittenByTheReleaseBeforeVersioningIsMigratedInPlaceWithEveryDocumentKept()
    {
        // Fixtures/written-by-schema0.db: the data file of `kb4collector demo` built from f349273, the last unversioned release.
        File.Copy(EmulatorTestHelpers.RepositoryFile("tests/Kb4Collector.Tests/Storage/Fixtures/written-by-schema0.db"), Path.Combine(Folder, CollectorDatabase.FileName));
        Dictionary<string, int> before;
        using (var raw = new LiteDatabase(Path.Combine(Folder, CollectorDatabase.FileName)))
        {
            Assert.False(raw.CollectionExists("meta"));
            before = raw.GetCollectionNames().ToDictionary(name => name, name => raw.GetCollection(name).Count());
        }
        Assert.True(before["checkpoints"] > 0 && before["seen_ids"] > 0);

        using (var database = CollectorDatabase.Open(Folder))
        {
            var meta = database.Database.GetCollection("meta").FindById("schema");
            Assert.Equal(DatabaseSchema.Current, meta["version"].AsInt32);
            Assert.Equal(0, meta["migratedFrom"].AsInt32);
            Assert.All(before, pair => Assert.Equal(pair.Value, database.Database.GetCollection(pair.Key).Count()));
            var checkpoint = database.Database.GetCollection<Kb4Collector.Collection.CheckpointDocument>("checkpoints").FindAll().Single();
            Assert.True(checkpoint.Baselined);
            Assert.NotEmpty(checkpoint.Days);
        }
        using var reopened = CollectorDatabase.Open(Folder);
        Assert.Equal(DatabaseSchema.Current, reopened.Database.GetCollection("meta").FindById("schema")["version"].AsInt32);
    }

    [Fact]
    public async Task AnOlderBinaryRefusesAFileWrittenByANewerOneAndLeavesItUntouched()
    {
        var file = Path.Combine(Folder, CollectorDatabase.FileName);
        using (var database = CollectorDatabase.Open(Folder))
        {
            database.Database.GetCollection("meta").Upsert(new BsonDocument { ["_id"] = "schema", ["version"] = DatabaseSchema.Current + 1, ["writtenBy"] = "9.9.0" });
        }
        var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);

        var refused = Assert.Throws<DatabaseSchemaException>(() => CollectorDatabase.Open(Folder));
        Assert.Contains($"has schema version {DatabaseSchema.Current + 1} (written by kb4collector 9.9.0)", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"reads schema version {DatabaseSchema.Current} and older", refused.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken));

        var run = await CliRunner.RunAsync("run", "--data", Folder, "--config", Folder, "--Collector:Sink:Url=http://127.0.0.1:9/x", "--Collector:Admin:Listen=127.0.0.1:0");
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: " + file + " has schema version", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }
}
