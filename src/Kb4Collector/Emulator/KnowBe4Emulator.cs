using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Emulator;

/// <summary>
/// A running KnowBe4 User Event API emulator on Kestrel, with scriptable faults and ground truth.
/// <code>await using var emulator = await KnowBe4Emulator.StartAsync(options, cancellationToken);</code>
/// </summary>
public sealed class KnowBe4Emulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorState _state;
    private readonly CancellationTokenSource _stopping;
    private int _disposed;

    private KnowBe4Emulator(WebApplication app, EmulatorState state, CancellationTokenSource stopping, Uri baseUrl)
    {
        _app = app;
        _state = state;
        _stopping = stopping;
        BaseUrl = baseUrl;
        GroundTruth = new EmulatorGroundTruth(state);
        var first = state.Accounts[0].Keys[0];
        ApiKey = first.Secret;
        ReportingApiKey = state.ReportingKeys(state.Accounts[0])[0];
    }

    /// <summary>Base URL of the API (like <c>https://api.events.knowbe4.com/</c>), e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The first account's first key (the Bearer token to use).</summary>
    public string ApiKey { get; }

    /// <summary>The first account's first Reporting API key (<c>/v1/...</c>); User Event keys are refused there, and the other way round.</summary>
    public string ReportingApiKey { get; }

    public IReadOnlyList<EmulatorAccount> Accounts => _state.SnapshotAccounts();

    public EmulatorGroundTruth GroundTruth { get; }

    /// <summary>The instant fault offsets and arrivals count from.</summary>
    public DateTimeOffset ScenarioStart => _state.ScenarioStart;

    public static async Task<KnowBe4Emulator> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Scenario);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        options.Scenario.Validate();
        if (options.StatusProcessingDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "StatusProcessingDelay must not be negative");
        }

        var start = options.ScenarioStart ?? options.TimeProvider.GetUtcNow();
        var state = new EmulatorState(options.Scenario, options.TimeProvider, start, options.StatusProcessingDelay, options.QuotaTimeProvider);
        var stopping = new CancellationTokenSource();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(KnowBe4Emulator).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // No appsettings.json, environment variables or Kestrel sections of the host process: the emulator binds where it is told.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        options.ConfigureLogging?.Invoke(builder.Logging);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
        });

        var app = builder.Build();
        new GroundTruthEndpoints(state).Map(app);
        new ReportingApi(state, stopping.Token).Map(app);
        new EmulatorApi(state, stopping.Token).Map(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            stopping.Dispose();
            throw;
        }
        var address = app.Urls.FirstOrDefault() ?? options.Url;
        return new KnowBe4Emulator(app, state, stopping, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Inserts an event at once (no status record); records its creation time in the ground truth.</summary>
    public string AddEvent(string userEmail, string eventType, DateTimeOffset occurredDate, string? account = null) =>
        _state.AddEvent(new EmulatorEventDraft(userEmail, eventType, occurredDate) { Account = account });

    public string AddEvent(EmulatorEventDraft draft) => _state.AddEvent(draft);

    /// <summary>Deletes an event as DELETE /events/{id} would; false when no live event has that id.</summary>
    public bool DeleteEvent(string id) => _state.DeleteEvent(id);

    /// <summary>Schedules a scripted burst of creations and deletions; one whose instant has passed applies at the next request.</summary>
    public void ScheduleBurst(EmulatorBurst burst) => _state.ScheduleBurst(burst);

    /// <summary>Arms a deletion that happens as a given page of a List Events scan is served.</summary>
    public void AddScanDeletion(EmulatorScanDeletion deletion) => _state.AddScanDeletion(deletion);

    /// <summary>Switches a fault on; returns its id for <see cref="RemoveFault"/>. Offsets count from <see cref="ScenarioStart"/>.</summary>
    public string AddFault(EmulatorFault fault) => _state.AddFault(fault);

    public bool RemoveFault(string id) => _state.RemoveFault(id);

    /// <summary>Switches every fault off, the scenario's included.</summary>
    public void ClearFaults() => _state.ClearFaults();

    public IReadOnlyList<KeyValuePair<string, EmulatorFault>> Faults => _state.Faults();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stopping.CancelAsync();
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
            _stopping.Dispose();
        }
    }

    /// <summary>The emulator lives inside another program: it must not take over Ctrl+C or SIGTERM.</summary>
    private sealed class EmbeddedHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
