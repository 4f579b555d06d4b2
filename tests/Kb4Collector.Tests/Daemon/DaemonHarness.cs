using Kb4Collector.Daemon;
using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kb4Collector.Tests.Daemon;

/// <summary>The real daemon in a temp folder, against an in-process emulator and a recording sink, all on 127.0.0.1.</summary>
internal sealed class DaemonHarness : IAsyncDisposable
{
    public const string Key = "daemon-test-key-5f2c9e";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "kb4-daemon-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    private DaemonHarness(KnowBe4Emulator emulator, RecordingSinkServer sink)
    {
        Emulator = emulator;
        Sink = sink;
        Directory.CreateDirectory(SourcesFolder);
    }

    public KnowBe4Emulator Emulator { get; }

    public RecordingSinkServer Sink { get; }

    public string SourcesFolder => Path.Combine(_root, "sources");

    public string DataFolder => Path.Combine(_root, "data");

    /// <summary>Every line the daemon logged, across restarts.</summary>
    public LockedStringWriter Log { get; } = new();

    /// <summary>When set, every KnowBe4 host a source file names is reached at this URL (the emulator) instead.</summary>
    public Uri? KnowBe4HostOverride { get; set; }

    /// <summary>More <c>Collector:*</c> settings for the next start; they win over the harness's own.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public CollectorRuntime Runtime => _app!.Services.GetRequiredService<CollectorRuntime>();

    public WebApplication App => _app!;

    public static async Task<DaemonHarness> StartAsync(int backlog = 400, int seed = 11, string key = Key, EmulatorReporting? reporting = null)
    {
        var emulator = await KnowBe4Emulator.StartAsync(
            new EmulatorOptions
            {
                Scenario = new EmulatorScenario
                {
                    Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 500, ApiKeys = [key] }],
                    Backlog = new EmulatorBacklog { Events = backlog, Days = 5 },
                    Limits = EmulatorLimits.Off,
                    Reporting = reporting ?? new EmulatorReporting(),
                    Seed = seed,
                },
            },
            TestContext.Current.CancellationToken);
        var sink = await RecordingSinkServer.StartAsync();
        return new DaemonHarness(emulator, sink);
    }

    public void WriteSource(string file, string name, string? key = null, string category = "security/knowbe4")
    {
        var json = "{\"api.version\":\"v1\",\"source\":{\"schemaRef\":{\"type\":\"KnowBe4\"},\"sourceType\":\"Universal\",\"config\":{"
            + $"\"name\":\"{name}\",\"category\":\"{category}\",\"baseURL\":\"{Emulator.BaseUrl}\",\"apiKey\":\"{key ?? Key}\","
            + "\"licensedUsers\":50000,\"pollingInterval\":1,\"initialLookback\":\"10d\"}}}";
        File.WriteAllText(Path.Combine(SourcesFolder, file), json);
    }

    public async Task StartDaemonAsync()
    {
        _app = DaemonHost.Build(new DaemonSettings
        {
            SourcesPath = SourcesFolder,
            DataDirectory = DataFolder,
            LogOutput = Log,
            KnowBe4HostOverride = KnowBe4HostOverride,
            Values = new Dictionary<string, string?>
            {
                ["Collector:Name"] = "test-collector",
                ["Collector:Admin:Listen"] = "127.0.0.1:0",
                ["Collector:AllowLoopbackBaseUrl"] = "true",
                ["Collector:Sink:Url"] = Sink.Url.ToString(),
                ["Collector:Sink:Format"] = "sumo",
                ["Collector:SourcesRescanSeconds"] = "1",
            }.Concat(Settings).GroupBy(setting => setting.Key).ToDictionary(group => group.Key, group => group.Last().Value),
        });
        await _app.StartAsync(TestContext.Current.CancellationToken);
        await Runtime.FirstLoad.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    public async Task StopDaemonAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>An HttpClient on the daemon's admin endpoint, with its token.</summary>
    public HttpClient AdminClient()
    {
        var address = _app!.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _app.Services.GetRequiredService<Kb4Collector.Admin.AdminToken>().Value);
        return client;
    }

    public SourceView? Source(string name) => Runtime.Sources().FirstOrDefault(source => source.Definition.Name == name);

    public Task UntilStateAsync(string name, SourceState state) =>
        Waits.UntilAsync(() => Source(name)?.Status.State == state, $"source {name} to reach {state}");

    /// <summary>Waits until the sink holds every live event of the emulator.</summary>
    public Task UntilAllDeliveredAsync() =>
        Waits.UntilAsync(() => Emulator.GroundTruth.LiveEvents().Select(e => e.Id).ToHashSet().IsSubsetOf(Sink.Ids), "every event to reach the sink", TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await StopDaemonAsync();
        await Sink.DisposeAsync();
        await Emulator.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}

internal static class Waits
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
