using Kb4Collector.Daemon;
using Kb4Collector.Emulator;
using Kb4Collector.Sharding;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kb4Collector.Tests.Sharding;

/// <summary>
/// DESIGN.md §11 end to end: thirty sources (one key each) over three shard daemons sharing one source folder and one
/// sink, then four after a checkpoint export/import. Long (seven daemon starts), so it has its own category.
/// </summary>
[Trait("Category", "Sharding")]
public sealed class ShardedCollectionTests
{
    private const int SourceCount = 30;

    [Fact(Explicit = true)]
    public async Task ThreeShardsCollectEverySourceOnceAndFourTakeOverAfterExportImportWithoutGapsOrRepeats()
    {
        await using var rig = await ShardRig.StartAsync();

        await rig.StartShardsAsync(3);
        await rig.UntilAllDeliveredAsync();
        rig.AssertEverySourceRunsInExactlyOneShard();
        await rig.AssertOthersListedWithTheirOwnerAsync();
        rig.AddEventPerAccount("before the move");
        await rig.UntilAllDeliveredAsync();
        await rig.StopShardsAsync();

        // 3 → 4: each old replica exports what it owned; each new replica imports what it will own.
        var bundles = new List<string>();
        for (var index = 0; index < 3; index++)
        {
            var bundle = Path.Combine(rig.Root, $"shard-{index}.json");
            var export = await CliRunner.RunAsync("checkpoint", "export", "--data", rig.DataFolder(index), "--config", rig.SourcesFolder, "--shard", $"{index}/3", "--out", bundle);
            Assert.True(export.ExitCode == 0, export.Error);
            bundles.Add(bundle);
        }
        var moved = rig.Sources.Count(source => ShardAssignment.OwnerOf(source.Fingerprint, 3) != ShardAssignment.OwnerOf(source.Fingerprint, 4));
        Assert.InRange(moved, 1, SourceCount - 1);
        var imported = 0;
        for (var index = 0; index < 4; index++)
        {
            foreach (var bundle in bundles)
            {
                var import = await CliRunner.RunAsync("checkpoint", "import", bundle, "--data", rig.DataFolder(index), "--shard", $"kb4collector-{index}/4");
                Assert.True(import.ExitCode == 0, import.Error);
                imported += import.Output.Split('\n').Count(line => line.StartsWith("imported ", StringComparison.Ordinal));
            }
        }
        Assert.Equal(SourceCount, imported); // every source lands in exactly one new replica

        rig.AddEventPerAccount("while the replicas were down");
        await rig.StartShardsAsync(4);
        await rig.UntilAllDeliveredAsync();
        rig.AssertEverySourceRunsInExactlyOneShard();
        rig.AddEventPerAccount("after the move");
        await rig.UntilAllDeliveredAsync();

        // Nothing repeated: a moved source that started over would send its whole lookback again.
        Assert.Equal(rig.Sink.Ids.Count, rig.Sink.Ids.Distinct().Count());
        Assert.Equal(rig.Emulator.GroundTruth.LiveEvents().Select(e => e.Id).Order(), rig.Sink.Ids.Order());
    }

    private sealed record ShardSource(string Account, string Key, string Name, string Fingerprint);

    /// <summary>One emulator with thirty accounts, one shared source folder and sink, and a data folder per shard.</summary>
    private sealed class ShardRig : IAsyncDisposable
    {
        private readonly List<WebApplication> _shards = [];
        private readonly LockedStringWriter _log = new();

        private ShardRig(KnowBe4Emulator emulator, RecordingSinkServer sink, IReadOnlyList<ShardSource> sources)
        {
            Emulator = emulator;
            Sink = sink;
            Sources = sources;
            Directory.CreateDirectory(SourcesFolder);
            foreach (var source in sources)
            {
                var json = "{\"api.version\":\"v1\",\"source\":{\"schemaRef\":{\"type\":\"KnowBe4\"},\"sourceType\":\"Universal\",\"config\":{"
                    + $"\"name\":\"{source.Name}\",\"category\":\"security/knowbe4\",\"baseURL\":\"{emulator.BaseUrl}\",\"apiKey\":\"{source.Key}\","
                    + "\"licensedUsers\":50000,\"pollingInterval\":1,\"initialLookback\":\"10d\"}}}";
                File.WriteAllText(Path.Combine(SourcesFolder, source.Account + ".json"), json);
            }
        }

        public string Root { get; } = Path.Combine(Path.GetTempPath(), "kb4-shards-" + Guid.NewGuid().ToString("N"));

        public string SourcesFolder => Path.Combine(Root, "sources");

        public KnowBe4Emulator Emulator { get; }

        public RecordingSinkServer Sink { get; }

        public IReadOnlyList<ShardSource> Sources { get; }

        public string DataFolder(int index) => Path.Combine(Root, $"data-{index}");

        public static async Task<ShardRig> StartAsync()
        {
            var sources = Enumerable.Range(0, SourceCount)
                .Select(index => (Account: $"account-{index:00}", Key: $"shard-test-key-{index:00}-7c1e"))
                .Select(pair => new ShardSource(pair.Account, pair.Key, $"KnowBe4 {pair.Account}", Kb4Collector.Quota.ApiKeyFingerprint.Of(pair.Key)))
                .ToList();
            var emulator = await KnowBe4Emulator.StartAsync(
                new EmulatorOptions
                {
                    Scenario = new EmulatorScenario
                    {
                        Accounts = [.. sources.Select(source => new EmulatorAccountSpec { Name = source.Account, Seats = 500, ApiKeys = [source.Key] })],
                        Backlog = new EmulatorBacklog { Events = 900, Days = 5 },
                        Limits = EmulatorLimits.Off,
                        Seed = 13,
                    },
                },
                TestContext.Current.CancellationToken);
            return new ShardRig(emulator, await RecordingSinkServer.StartAsync(), sources);
        }

        public async Task StartShardsAsync(int count)
        {
            for (var index = 0; index < count; index++)
            {
                var app = DaemonHost.Build(new DaemonSettings
                {
                    SourcesPath = SourcesFolder,
                    DataDirectory = DataFolder(index),
                    LogOutput = _log,
                    Values = new Dictionary<string, string?>
                    {
                        ["Collector:Name"] = $"kb4collector-{index}",
                        ["Collector:Shard"] = $"kb4collector-{index}/{count}",
                        ["Collector:Admin:Listen"] = "127.0.0.1:0",
                        ["Collector:Sink:Url"] = Sink.Url.ToString(),
                        ["Collector:SourcesRescanSeconds"] = "1",
                        ["Collector:AllowLoopbackBaseUrl"] = "true",
                        ["Collector:KnowBe4:RequestsPerSecond"] = "100",
                    },
                });
                await app.StartAsync(TestContext.Current.CancellationToken);
                _shards.Add(app);
            }
            foreach (var app in _shards)
            {
                await Runtime(app).FirstLoad.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            }
        }

        public async Task StopShardsAsync()
        {
            foreach (var app in _shards)
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
            _shards.Clear();
        }

        public void AddEventPerAccount(string subject)
        {
            foreach (var source in Sources)
            {
                Emulator.AddEvent($"user@{source.Account}.example.com", subject, DateTimeOffset.UtcNow, source.Account);
            }
        }

        public Task UntilAllDeliveredAsync() =>
            Waits.UntilAsync(() => Emulator.GroundTruth.LiveEvents().Select(e => e.Id).ToHashSet().IsSubsetOf(Sink.Ids), "every event to reach the sink", TimeSpan.FromSeconds(60));

        public void AssertEverySourceRunsInExactlyOneShard()
        {
            var running = _shards.SelectMany(app => Runtime(app).Sources().Select(view => view.Definition.Name)).ToList();
            Assert.Equal(Sources.Select(source => source.Name).Order(), running.Order());
            for (var index = 0; index < _shards.Count; index++)
            {
                var shard = index;
                Assert.All(Runtime(_shards[index]).Sources(), view => Assert.Equal(shard, ShardAssignment.OwnerOf(view.Definition.ApiKeyFingerprint, _shards.Count)));
            }
        }

        public async Task AssertOthersListedWithTheirOwnerAsync()
        {
            foreach (var app in _shards)
            {
                var runtime = Runtime(app);
                using var admin = AdminClient(app);
                using var response = await admin.GetAsync("/api/v1/collectors/local/shard", TestContext.Current.CancellationToken);
                using var body = await EmulatorTestHelpers.ReadJsonAsync(response);
                var root = body.RootElement;
                Assert.Equal(runtime.Shard.ToString(), root.GetProperty("shard").GetString());
                var elsewhere = root.GetProperty("elsewhere").EnumerateArray().ToList();
                Assert.Equal(SourceCount, root.GetProperty("collected").GetInt32() + elsewhere.Count);
                Assert.All(elsewhere, source =>
                {
                    var owner = source.GetProperty("owner").GetInt32();
                    Assert.NotEqual(runtime.Shard.Index, owner);
                    Assert.Contains(Runtime(_shards[owner]).Sources(), view => view.Definition.Id == source.GetProperty("id").GetString());
                });
            }
        }

        private static HttpClient AdminClient(WebApplication app)
        {
            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
            var client = new HttpClient { BaseAddress = new Uri(address) };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.Services.GetRequiredService<Kb4Collector.Admin.AdminToken>().Value);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await StopShardsAsync();
            await Sink.DisposeAsync();
            await Emulator.DisposeAsync();
            Directory.Delete(Root, recursive: true);
        }

        private static CollectorRuntime Runtime(WebApplication app) => app.Services.GetRequiredService<CollectorRuntime>();
    }
}
