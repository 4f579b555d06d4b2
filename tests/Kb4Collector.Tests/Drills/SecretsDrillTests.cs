using System.Net;
using System.Text;
using Kb4Collector.Admin;
using Kb4Collector.Daemon;
using Kb4Collector.Emulator;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// Secrets drill: a daemon run with failures on every side (KnowBe4 5xx and truncated pages, a revoked key, a sink
/// that refuses and echoes back what it was sent), debug logging on. A distinctive API key, sink URL path token, sink
/// URL query token and HEC token never appear in a log line, a health event, any admin response (every GET route the
/// endpoint maps), the metrics, the console page or the LiteDB files. And every route the endpoint maps refuses a
/// request without credentials, except the probes and the sign-in page and its assets.
/// </summary>
[Trait("Category", "Drill")]
public sealed class SecretsDrillTests : IAsyncDisposable
{
    private const string ApiKey = "SECRETKB4KEY-5d1f0c9a7e3b";
    private const string RevokedKey = "SECRETKB4REVOKED-8a2c4e6f";
    /// <summary>The collector code of a Sumo HTTP source URL (<c>/receiver/v1/http/CODE</c>): a bearer credential.</summary>
    private const string PathToken = "SECRETSINKPATH-0b7e91";
    private const string QueryToken = "SECRETSINKQUERY-c3f5a2";
    private const string HecToken = "SECRETHECTOKEN-44e0d1b6";

    private static readonly string[] s_secrets = [ApiKey, RevokedKey, PathToken, QueryToken, HecToken];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "kb4-drill-secrets-" + Guid.NewGuid().ToString("N"));

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        Directory.Delete(_root, recursive: true);
    }

    [Fact(Explicit = true)]
    public async Task NoSecretIsEverShownAndNoRouteAnswersWithoutCredentials()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var emulator = await DrillSources.StartEmulatorAsync(ApiKey, backlog: 600, days: 2, arrivalsPerMinute: 60, seed: 1404, seats: 500, faults:
        [
            new EmulatorFault { Kind = EmulatorFaultKind.ServerError, EveryNth = 3, To = TimeSpan.FromSeconds(6) },
            new EmulatorFault { Kind = EmulatorFaultKind.Truncated, EveryNth = 4, To = TimeSpan.FromSeconds(6) },
        ]);
        await using var sink = await EchoingSink.StartAsync(refusals: 3);
        var sources = Path.Combine(_root, "sources");
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(sources);
        File.WriteAllText(Path.Combine(sources, "acme.json"), DrillSources.Json("Acme", emulator.BaseUrl, ApiKey));
        File.WriteAllText(Path.Combine(sources, "revoked.json"), DrillSources.Json("Revoked", emulator.BaseUrl, RevokedKey));
        var log = new LockedStringWriter();
        var sinkUrl = new Uri(sink.Url, $"/receiver/v1/http/{PathToken}?channel={QueryToken}");
        var app = DaemonHost.Build(new DaemonSettings
        {
            SourcesPath = sources,
            DataDirectory = data,
            LogOutput = log,
            Values = new Dictionary<string, string?>
            {
                ["Collector:Admin:Listen"] = "127.0.0.1:0",
                ["Collector:AllowLoopbackBaseUrl"] = "true",
                ["Collector:Sink:Url"] = sinkUrl.ToString(),
                ["Collector:Sink:Format"] = "splunk-hec",
                ["Collector:Sink:Token"] = HecToken,
                ["Serilog:MinimumLevel:Default"] = "Debug",
            },
        });
        var seen = new StringBuilder();
        var refusedWithout = new List<string>();
        await using (app)
        {
            await app.StartAsync(cancel);
            var runtime = app.Services.GetRequiredService<CollectorRuntime>();
            await runtime.FirstLoad.WaitAsync(TimeSpan.FromSeconds(10), cancel);
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            await Waits.UntilAsync(
                () => sink.Accepted >= 2 && runtime.Sources().Any(s => s.Definition.Name == "Revoked" && s.Status.State == Kb4Collector.Lifecycle.SourceState.Error),
                "the backlog delivered past the failures and the revoked key refused", TimeSpan.FromSeconds(90));

            using var authorized = new HttpClient { BaseAddress = address };
            authorized.DefaultRequestHeaders.Authorization = new("Bearer", app.Services.GetRequiredService<AdminToken>().Value);
            using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = address };
            var ids = runtime.Sources().Select(s => s.Definition.Id).ToList();
            var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
            Assert.True(routes.Count > 10, $"only {routes.Count} routes found");
            foreach (var route in routes)
            {
                var template = "/" + (route.RoutePattern.RawText ?? "").TrimStart('/');
                var methods = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
                foreach (var method in methods)
                {
                    foreach (var path in Expand(template, ids))
                    {
                        using var without = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), cancel);
                        var open = path is "/healthz" or "/readyz" || path.StartsWith(ConsoleEndpoints.SignInPath, StringComparison.Ordinal) || path.StartsWith(ConsoleEndpoints.AssetsPath, StringComparison.Ordinal);
                        var refused = without.StatusCode == HttpStatusCode.Unauthorized || (path == ConsoleEndpoints.PagePath && without.StatusCode == HttpStatusCode.Redirect);
                        if (!open && !refused)
                        {
                            Assert.Fail($"{method} {path} answered {(int)without.StatusCode} without credentials");
                        }
                        refusedWithout.Add($"{method} {path} {(int)without.StatusCode}");
                        seen.AppendLine(await without.Content.ReadAsStringAsync(cancel));
                        if (method == "GET")
                        {
                            using var with = await authorized.GetAsync(new Uri(path, UriKind.Relative), cancel);
                            seen.AppendLine($"GET {path} {(int)with.StatusCode}").AppendLine(await with.Content.ReadAsStringAsync(cancel));
                        }
                    }
                }
            }
            await app.StopAsync(cancel);
        }

        var files = Directory.GetFiles(data).Where(f => !f.EndsWith(AdminToken.FileName, StringComparison.Ordinal)).ToList();
        Assert.Contains(files, f => f.EndsWith(CollectorDatabase.FileName, StringComparison.Ordinal));
        var everything = new Dictionary<string, string>
        {
            ["the log"] = log.ToString(),
            ["the admin responses"] = seen.ToString(),
        };
        foreach (var file in files)
        {
            everything[Path.GetFileName(file)] = Encoding.Latin1.GetString(File.ReadAllBytes(file)) + Encoding.Unicode.GetString(File.ReadAllBytes(file));
        }
        DrillReport.Write($"{refusedWithout.Count} route requests without credentials: {string.Join(", ", refusedWithout)}; {seen.Length} characters of admin responses, {log.ToString().Length} of log, files {string.Join(", ", files.Select(Path.GetFileName))}; sink refused {sink.Refused} with an echo");
        Assert.Contains("Revoked", seen.ToString(), StringComparison.Ordinal);
        Assert.Contains("FirstPartyGeneric", seen.ToString(), StringComparison.Ordinal);
        foreach (var (where, text) in everything)
        {
            foreach (var secret in s_secrets)
            {
                var at = text.IndexOf(secret, StringComparison.OrdinalIgnoreCase);
                if (at >= 0)
                {
                    Assert.Fail($"{secret} found in {where}: …{text[Math.Max(0, at - 200)..Math.Min(text.Length, at + 100)]}…");
                }
            }
        }
    }

    /// <summary>The route with each parameter filled in: every source id for <c>{id}</c>, a sample for the rest.</summary>
    private static IEnumerable<string> Expand(string template, List<string> ids)
    {
        if (!template.Contains('{', StringComparison.Ordinal))
        {
            return [template];
        }
        var filled = System.Text.RegularExpressions.Regex.Replace(template, @"\{\*{0,2}(?!id[}:?])[^}]+\}", "x");
        return ids.Select(id => System.Text.RegularExpressions.Regex.Replace(filled, @"\{id[^}]*\}", id));
    }

    /// <summary>A log endpoint that refuses its first requests with 503 and echoes back the URL and headers it was sent (a hostile proxy would).</summary>
    private sealed class EchoingSink : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;
        private int _accepted;
        private int _refused;

        private EchoingSink(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        /// <summary>Requests accepted.</summary>
        public int Accepted => Volatile.Read(ref _accepted);

        public int Refused => Volatile.Read(ref _refused);

        public static async Task<EchoingSink> StartAsync(int refusals)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var sink = new EchoingSink(app);
            app.MapPost("/{**path}", async (HttpContext context) =>
            {
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
                if (Interlocked.Increment(ref sink._requests) <= refusals)
                {
                    Interlocked.Increment(ref sink._refused);
                    var echo = $"refused {context.Request.Path}{context.Request.QueryString} with Authorization: {context.Request.Headers.Authorization}";
                    return Results.Text(echo, statusCode: sink._requests % 2 == 0 ? 503 : 401);
                }
                Interlocked.Increment(ref sink._accepted);
                return Results.Ok();
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            sink.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return sink;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
