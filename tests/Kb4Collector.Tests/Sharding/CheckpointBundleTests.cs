using Kb4Collector.Sharding;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using LiteDB;

namespace Kb4Collector.Tests.Sharding;

public sealed class CheckpointBundleTests : IDisposable
{
    private readonly TempSourceFolder _temp = new();

    private string Folder => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ASourceMovesWithEveryDocumentOfItsOwnAndOfItsKeyAndNothingOfOthers()
    {
        var moving = new BundleSource("moving-1", "Moving", "aaaaaaaaaaaaaaaa");
        var staying = new BundleSource("staying-1", "Staying", "bbbbbbbbbbbbbbbb");
        BsonDocument bundle;
        using (var source = CollectorDatabase.Open(Path.Combine(Folder, "old")))
        {
            var db = source.Database;
            foreach (var owner in new[] { moving, staying })
            {
                db.GetCollection("checkpoints").Insert(new BsonDocument { ["_id"] = owner.Id, ["LastPollAt"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc) });
                db.GetCollection("seen_ids").Insert(new BsonDocument { ["_id"] = ObjectId.NewObjectId(), ["SourceId"] = owner.Id, ["Keys"] = new byte[] { 1, 2, 3 } });
                db.GetCollection("not_before").Insert(new BsonDocument { ["_id"] = "source:" + owner.Id, ["Until"] = DateTime.UtcNow });
                db.GetCollection("not_before").Insert(new BsonDocument { ["_id"] = "key:" + owner.KeyFingerprint, ["Until"] = DateTime.UtcNow });
                db.GetCollection("call_days").Insert(new BsonDocument { ["_id"] = owner.KeyFingerprint + "/2026-01-02", ["KeyFingerprint"] = owner.KeyFingerprint, ["Calls"] = 7 });
                // A collection the engine might add later: it moves too, without this code knowing it.
                db.GetCollection("future_engine_state").Insert(new BsonDocument { ["_id"] = ObjectId.NewObjectId(), ["SourceId"] = owner.Id, ["Cursor"] = 42L });
            }
            db.GetCollection("health_events", BsonAutoId.Int64).Insert(new BsonDocument { ["SourceId"] = moving.Id, ["EventName"] = "Moved" });
            bundle = CheckpointBundle.Export(source, [moving], DateTimeOffset.UtcNow);
        }
        var file = Path.Combine(Folder, "bundle.json");
        CheckpointBundle.Write(bundle, file);

        using var target = CollectorDatabase.Open(Path.Combine(Folder, "new"));
        var existing = target.Database.GetCollection("health_events", BsonAutoId.Int64);
        existing.Insert(new BsonDocument { ["SourceId"] = "someone-else", ["EventName"] = "Kept" });
        target.Database.GetCollection("checkpoints").Insert(new BsonDocument { ["_id"] = moving.Id, ["LastPollAt"] = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc) });

        var result = CheckpointBundle.Import(target, CheckpointBundle.Read(file), file, ShardAssignment.Unsharded);

        Assert.Equal([moving], result.Imported);
        var db2 = target.Database;
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), db2.GetCollection("checkpoints").FindById(moving.Id)["LastPollAt"].AsDateTime.ToUniversalTime());
        Assert.Null(db2.GetCollection("checkpoints").FindById(staying.Id));
        Assert.Equal(new byte[] { 1, 2, 3 }, db2.GetCollection("seen_ids").FindOne(Query.EQ("SourceId", moving.Id))["Keys"].AsBinary);
        Assert.NotNull(db2.GetCollection("not_before").FindById("source:" + moving.Id));
        Assert.NotNull(db2.GetCollection("not_before").FindById("key:" + moving.KeyFingerprint));
        Assert.Null(db2.GetCollection("not_before").FindById("key:" + staying.KeyFingerprint));
        Assert.Equal(7, db2.GetCollection("call_days").FindById(moving.KeyFingerprint + "/2026-01-02")["Calls"].AsInt32);
        Assert.Equal(42L, db2.GetCollection("future_engine_state").FindOne(Query.EQ("SourceId", moving.Id))["Cursor"].AsInt64);
        Assert.Equal(["Kept", "Moved"], db2.GetCollection("health_events").FindAll().Select(e => e["EventName"].AsString).Order());
    }

    [Fact]
    public void ASourceAnotherReplicaOwnsIsLeftOut()
    {
        var source = new BundleSource("s-1", "S", Kb4Collector.Quota.ApiKeyFingerprint.Of("some-key"));
        var owner = ShardAssignment.OwnerOf(source.KeyFingerprint, 2);
        using var origin = CollectorDatabase.InMemory();
        origin.Database.GetCollection("checkpoints").Insert(new BsonDocument { ["_id"] = source.Id });
        var bundle = CheckpointBundle.Export(origin, [source], DateTimeOffset.UtcNow);

        using var target = CollectorDatabase.InMemory();
        var result = CheckpointBundle.Import(target, bundle, "bundle", new ShardAssignment(1 - owner, 2));

        Assert.Equal([source], result.Skipped);
        Assert.Null(target.Database.GetCollection("checkpoints").FindById(source.Id));
    }

    [Fact]
    public async Task ImportRefusesABundleWithANewerSchemaWithOneClearLine()
    {
        var file = Path.Combine(Folder, "newer.json");
        await File.WriteAllTextAsync(file, $"{{\"format\":\"{CheckpointBundle.Format}\",\"schemaVersion\":{DatabaseSchema.Current + 1},\"exportedBy\":\"9.9.0\",\"sources\":[],\"keys\":[]}}", TestContext.Current.CancellationToken);

        var result = await CliRunner.RunAsync("checkpoint", "import", file, "--data", Path.Combine(Folder, "data"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {file}: schemaVersion {DatabaseSchema.Current + 1} is newer than this kb4collector", result.Error[..(result.Error.IndexOf(" reads", StringComparison.Ordinal))].Replace($" {Kb4Collector.Admin.AdminVersion.Current}", "", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(Folder, "data", CollectorDatabase.FileName)));
    }

    [Fact]
    public async Task VersionPrintsTheVersionTheCommitAndTheBuildDate()
    {
        var result = await CliRunner.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^kb4collector \S+ \(commit \S+, built .+\)\r?\n$", result.Output);
    }
}
