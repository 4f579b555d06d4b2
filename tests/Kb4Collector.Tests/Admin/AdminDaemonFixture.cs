using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kb4Collector.Admin;
using Kb4Collector.Configuration;
using Kb4Collector.Daemon;
using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Kb4Collector.Tests.Admin;

[CollectionDefinition(Name)]
public sealed class AdminDaemonGroup : ICollectionFixture<AdminDaemonFixture>
{
    public const string Name = "Admin daemon";
}

/// <summary>
/// The real daemon in-process (admin endpoint on 127.0.0.1 port 0) with two sources against an in-process emulator and a
/// WireMock log endpoint: "Acme US" collects, the one with a hostile name has a revoked key and sits in Error.
/// One daemon serves every admin test class. The console's browser tests add a third, "Acme EU", whose key the
/// emulator refuses until <see cref="RestoreRecoverableKey"/>, so a restart can bring it from Error to Collecting.
/// </summary>
public class AdminDaemonFixture : IAsyncLifetime
{
    public const string GoodKey = "kb4-admin-test-good-key-5b8e1f93";
    public const string BadKey = "kb4-admin-test-revoked-key-c41d7a02";
    public const string GoodName = "Acme US";
    public const string BadName = "Evil <script>alert(1)</script>";
    public const string PoisonMarker = "poison-pill-for-the-sink";
    public const string RecoverableKey = "kb4-admin-test-recoverable-key-7e21c9d4";
    public const string RecoverableName = "Acme EU";

    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "kb4collector-admin-tests-" + Guid.NewGuid().ToString("N"));
    private readonly LockedStringWriter _log = new();
    private KnowBe4Emulator? _emulator;
    private WebApplication? _app;
    private readonly bool _withRecoverableSource;
    private string? _revocation;

    public AdminDaemonFixture()
        : this(withRecoverableSource: false)
    {
    }

    protected AdminDaemonFixture(bool withRecoverableSource) => _withRecoverableSource = withRecoverableSource;

    public string GoodId { get; } = SourceDefinition.IdFor(GoodName);

    public string BadId { get; } = SourceDefinition.IdFor(BadName);

    public string RecoverableId { get; } = SourceDefinition.IdFor(RecoverableName);

    public string DataDirectory => Path.Combine(_root, "data");

    public string SourcesFile => Path.Combine(_root, "sources", "knowbe4.json");

    public Uri EmulatorBaseUrl => _emulator!.BaseUrl;

    public WireMockServer Sink { get; } = WireMockServer.Start();

    public Uri Address { get; private set; } = new("http://127.0.0.1:1/");

    public string Token { get; private set; } = "";

    public CollectorRuntime Runtime => _app!.Services.GetRequiredService<CollectorRuntime>();

    /// <summary>Everything the daemon logged so far.</summary>
    public string LogText => _log.Text;

    public virtual async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        Sink.Given(Request.Create().UsingPost()).AtPriority(10).RespondWith(Response.Create().WithStatusCode(200));
        Sink.Given(Request.Create().UsingPost().WithBody(body => body?.Contains(PoisonMarker, StringComparison.Ordinal) == true))
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(503));

        _emulator = await KnowBe4Emulator.StartAsync(
            new EmulatorOptions
            {
                Scenario = new EmulatorScenario
                {
                    Accounts = [new EmulatorAccountSpec { Name = "Acme", AccountId = 52306, Seats = 50, ApiKeys = _withRecoverableSource ? [GoodKey, RecoverableKey] : [GoodKey] }],
                    Backlog = new EmulatorBacklog { Events = 40, Days = 2 },
                    Limits = EmulatorLimits.Off,
                    Seed = 11,
                },
            },
            cancellationToken);

        if (_withRecoverableSource)
        {
            _revocation = _emulator.AddFault(new EmulatorFault { Kind = EmulatorFaultKind.KeyRevoked, ApiKey = RecoverableKey });
        }

        var sources = Path.Combine(_root, "sources");
        Directory.CreateDirectory(sources);
        await File.WriteAllTextAsync(SourcesFile, SourceFile(_emulator.BaseUrl, _withRecoverableSource), cancellationToken);

        _app = DaemonHost.Build(new DaemonSettings
        {
            SourcesPath = sources,
            DataDirectory = DataDirectory,
            Values = new Dictionary<string, string?>
            {
                ["Collector:Name"] = "admin-test-collector",
                ["Collector:Admin:Listen"] = "127.0.0.1:0",
                ["Collector:AllowLoopbackBaseUrl"] = "true",
                ["Collector:Sink:Url"] = Sink.Urls[0] + "/ingest",
                ["Collector:Sink:Format"] = "ndjson",
                // The emulator's limits are off; KnowBe4's 4 requests per second would only slow the first run down.
                ["Collector:KnowBe4:RequestsPerSecond"] = "1000",
            },
            LogOutput = _log,
        });
        await _app.StartAsync(cancellationToken);

        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Address = new Uri(addresses.Single() + "/");
        Token = (await File.ReadAllTextAsync(Path.Combine(DataDirectory, AdminToken.FileName), cancellationToken)).Trim();

        await WaitForSteadyStateAsync();
        if (_withRecoverableSource)
        {
            await WaitUntilAsync(() => Runtime.Find(RecoverableId) is { Status.RetriesStopped: true });
        }
    }

    /// <summary>The emulator accepts the "Acme EU" key again (a restart is still needed: its error is a config error).</summary>
    public void RestoreRecoverableKey()
    {
        if (_revocation is not null)
        {
            _emulator!.RemoveFault(_revocation);
            _revocation = null;
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
        Sink.Stop();
        Sink.Dispose();
        _log.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail the run.
        }
    }

    /// <summary>A client for the admin endpoint; <paramref name="token"/> null means the right token, "" means none.</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        var bearer = token ?? Token;
        if (bearer.Length > 0)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    public async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? token = null)
    {
        using var client = Client(token);
        using var request = new HttpRequestMessage(method, path);
        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return (response.StatusCode, System.Text.Encoding.UTF8.GetString(body), response);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var (status, body, response) = await SendAsync(HttpMethod.Get, path);
        response.Dispose();
        Assert.True(status == HttpStatusCode.OK, $"GET {path}: {(int)status} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary>Waits until "Acme US" collects and the hostile-named source sits in Error (a test may have restarted one).</summary>
    public Task WaitForSteadyStateAsync() => WaitUntilAsync(() =>
        Runtime.Find(GoodId) is { Status: { State: SourceState.Collecting, LastSuccessAt: not null } }
        && Runtime.Find(BadId) is { Status: { State: SourceState.Error, RetriesStopped: true } });

    /// <summary>Waits for a condition, polling every 20 ms, at most <see cref="Bound"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    /// <inheritdoc cref="WaitUntilAsync(Func{bool})"/>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < Bound, $"condition not met within {Bound.TotalSeconds} s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private static string SourceFile(Uri emulator, bool withRecoverableSource)
    {
        var baseUrl = JsonSerializer.Serialize(emulator.AbsoluteUri);
        var recoverable = withRecoverableSource
            ? $$$"""
              ,
              {"schemaRef":{"type":"KnowBe4"},"sourceType":"Universal","config":{
                "name":"{{{RecoverableName}}}","category":"security/knowbe4-eu","baseURL":{{{baseUrl}}},"apiKey":"{{{RecoverableKey}}}",
                "licensedUsers":50,"pollingInterval":1,"initialLookback":"1d"}}
              """
            : "";
        return $$$"""
            {"api.version":"v1","sources":[
              {"schemaRef":{"type":"KnowBe4"},"sourceType":"Universal","config":{
                "name":"{{{GoodName}}}","description":"US account","category":"security/knowbe4",
                "fields":{"team":"secops","_siemForward":true},
                "baseURL":{{{baseUrl}}},"apiKey":"{{{GoodKey}}}","licensedUsers":50,
                "pollingInterval":1,"initialLookback":"2d","backdateHorizon":"3d"}},
              {"schemaRef":{"type":"KnowBe4"},"sourceType":"Universal","config":{
                "name":"{{{BadName}}}","baseURL":{{{baseUrl}}},"apiKey":"{{{BadKey}}}","dailyCallBudget":200,"pollingInterval":1}}{{{recoverable}}}
            ]}
            """;
    }
}
