using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kb4Collector.Admin;
using Kb4Collector.Cli;
using Kb4Collector.Daemon;
using Kb4Collector.Emulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Kb4Collector.Demo;

/// <summary>
/// Runs the demo: the emulator, the receiver and the real daemon with one source, live progress, then a graceful
/// stop (daemon first, then receiver and emulator) and a summary checked against the emulator's ground truth.
/// </summary>
public static class DemoRunner
{
    /// <summary>After the run time, how long the demo waits for one more complete poll before it stops anyway.</summary>
    public static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FirstLoadTimeout = TimeSpan.FromSeconds(10);
    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Two demos in one process (tests run them in parallel) must not both find 7380 free and then race to bind it.</summary>
    private static readonly SemaphoreSlim AdminPortGate = new(1, 1);

    /// <returns>0 when every expected event arrived exactly once, 1 otherwise.</returns>
    public static async Task<int> RunAsync(DemoOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var paths = DemoPaths.Under(options.OutputDirectory);
        try
        {
            paths.Prepare(options.Keep);
        }
        catch (Exception problem) when (problem is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: cannot prepare {paths.Root}: {problem.Message}");
            return ExitCodes.Failure;
        }

        var console = new DemoConsole(output, options.RedrawProgress);
        var up = false;
        try
        {
            await using var emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = DemoScenario.Emulator, Url = "http://127.0.0.1:0" }, cancellationToken);
            await using var receiver = await DemoReceiver.StartAsync(paths.EventsFile, cancellationToken);
            await File.WriteAllTextAsync(paths.SourceFile, DemoScenario.SourceFile(emulator.BaseUrl, emulator.ApiKey, emulator.ReportingApiKey), cancellationToken);
            await using var log = new StreamWriter(paths.DaemonLog, append: false);
            var (app, preferredPortFree) = await StartDaemonAsync(paths, receiver.Url, log, cancellationToken);
            await using (app)
            {
                up = true;
                var run = new DemoSession(options, paths, console, emulator, receiver, app, preferredPortFree);
                return await run.RunAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.LineAsync("Stopped before the demo was up.");
            return ExitCodes.Failure;
        }
        catch (Exception problem) when (problem is IOException or InvalidOperationException or DaemonConfigurationException or Storage.StorageUnavailableException)
        {
            await console.EndProgressAsync();
            await error.WriteLineAsync($"error: the demo {(up ? "failed" : "could not start")}: {problem.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Builds and starts the daemon, its admin endpoint on 7380 when that port is free, else on a free port.</summary>
    private static async Task<(WebApplication App, bool PreferredPortFree)> StartDaemonAsync(DemoPaths paths, Uri sinkUrl, TextWriter log, CancellationToken cancellationToken)
    {
        await AdminPortGate.WaitAsync(cancellationToken);
        try
        {
            var preferredPortFree = IsFree(DemoOptions.PreferredAdminPort);
            var settings = Settings(sinkUrl, preferredPortFree ? DemoOptions.PreferredAdminPort : 0);
            await WriteSettingsFileAsync(paths, settings, cancellationToken);
            var app = DaemonHost.Build(new DaemonSettings
            {
                SettingsFile = paths.SettingsFile,
                SourcesPath = paths.SourcesFolder,
                DataDirectory = paths.DataDirectory,
                Values = settings,
                LogOutput = log,
            });
            try
            {
                await app.StartAsync(cancellationToken);
                return (app, preferredPortFree);
            }
            catch
            {
                // The host starts the collector before Kestrel binds: stop what already runs before giving up.
                await app.StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await app.DisposeAsync();
                throw;
            }
        }
        finally
        {
            AdminPortGate.Release();
        }
    }

    private static bool IsFree(int port)
    {
        var probe = new TcpListener(IPAddress.Loopback, port);
        try
        {
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            probe.Stop();
        }
    }

    /// <summary>Everything the daemon needs, given in code so that neither the environment nor config/ can change the demo.</summary>
    private static Dictionary<string, string?> Settings(Uri sinkUrl, int adminPort) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Collector:Name"] = DemoScenario.CollectorName,
        ["Collector:AllowAnyBaseUrl"] = "false",
        ["Collector:AllowLoopbackBaseUrl"] = "true",
        ["Collector:Admin:Listen"] = "127.0.0.1:" + adminPort.ToString(CultureInfo.InvariantCulture),
        ["Collector:Admin:Token"] = "",
        ["Collector:Admin:AllowNonLoopback"] = "false",
        ["Collector:Sink:Url"] = sinkUrl.AbsoluteUri,
        ["Collector:Sink:Format"] = "sumo",
        ["Collector:Sink:Token"] = "",
        ["Collector:Sink:Compress"] = "true",
        ["Serilog:MinimumLevel:Default"] = "Information",
        ["Serilog:MinimumLevel:Override:Microsoft"] = "Warning",
        ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Information",
        ["Serilog:MinimumLevel:Override:System"] = "Warning",
    };

    /// <summary>The same settings as a readable file in the output folder (and the daemon reads no other settings file).</summary>
    private static async Task WriteSettingsFileAsync(DemoPaths paths, Dictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var root = new JsonObject();
        var all = new Dictionary<string, string?>(settings)
        {
            ["Collector:SourcesPath"] = paths.SourcesFolder,
            ["Collector:DataDirectory"] = paths.DataDirectory,
        };
        foreach (var (key, value) in all.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            var parts = key.Split(':');
            var node = root;
            foreach (var part in parts[..^1])
            {
                node = (node[part] ??= new JsonObject()).AsObject();
            }
            node[parts[^1]] = value;
        }
        await File.WriteAllTextAsync(paths.SettingsFile, root.ToJsonString(Indented), cancellationToken);
    }

    /// <summary>One run once everything is up: progress, the finishing poll, the stop, the summary.</summary>
    private sealed class DemoSession(
        DemoOptions options,
        DemoPaths paths,
        DemoConsole console,
        KnowBe4Emulator emulator,
        DemoReceiver receiver,
        WebApplication app,
        bool preferredPortFree)
    {
        private readonly TimeProvider _clock = TimeProvider.System;
        private readonly CollectorRuntime _runtime = app.Services.GetRequiredService<CollectorRuntime>();
        private readonly AdminToken _token = app.Services.GetRequiredService<AdminToken>();
        private readonly string _adminUrl = app.Urls.First().TrimEnd('/');
        private long _started;
        private int _shownSecond = -1;

        public async Task<int> RunAsync(CancellationToken cancellationToken)
        {
            _started = _clock.GetTimestamp();
            await _runtime.FirstLoad.WaitAsync(FirstLoadTimeout, _clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await DemoSummary.WriteBannerAsync(console, new DemoBanner(options, paths, emulator, receiver, _adminUrl, preferredPortFree, _token));

            var stoppedByUser = false;
            using var ticks = new PeriodicTimer(Tick, _clock);
            try
            {
                await CollectAsync(ticks, cancellationToken);
                if (!options.Follow)
                {
                    await FinishPollAsync(ticks, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                stoppedByUser = true;
            }

            await console.LineAsync(stoppedByUser
                ? "Stop requested (Ctrl+C): stopping the collector gracefully (the batch under way is delivered and committed), then the receiver and the emulator."
                : "Stopping the collector gracefully, then the receiver and the emulator.");
            // The state is the one the source had while it ran; after the stop every source reads Stopping.
            var statusWhileRunning = Source()?.Status;
            await app.StopAsync(CancellationToken.None);
            var source = Source();
            var unresolved = _runtime.Health.List(unresolvedOnly: true).Count;
            await receiver.DisposeAsync();

            var file = await DemoEventsFile.ReadAsync(paths.EventsFile, CancellationToken.None);
            var comparison = DemoComparison.Compare(file, emulator.GroundTruth.AllEvents(), source?.Checkpoint?.StartedFrom, source?.Checkpoint?.LastPollAt);
            var key = emulator.Accounts[0].ApiKeys[0].Name;
            var report = new DemoReport(
                _clock.GetElapsedTime(_started),
                stoppedByUser,
                source,
                statusWhileRunning,
                unresolved,
                file,
                comparison,
                emulator.GroundTruth.CallsByKey.TryGetValue(key, out var calls) ? calls.Calls : 0,
                emulator.GroundTruth.TooManyRequestsServed.Total,
                receiver.Requests,
                receiver.LastHeaders,
                _adminUrl,
                _token,
                paths);
            await DemoSummary.WriteAsync(console, report);
            return comparison.Complete && file.ReportingRepeats == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }

        private async Task CollectAsync(PeriodicTimer ticks, CancellationToken cancellationToken)
        {
            while (await ticks.WaitForNextTickAsync(cancellationToken))
            {
                var elapsed = _clock.GetElapsedTime(_started);
                await ShowProgressAsync(elapsed, note: null);
                if (!options.Follow && elapsed >= options.Duration)
                {
                    return;
                }
            }
        }

        /// <summary>
        /// Waits for a poll that begins after the run time is up to complete, so the summary's ground truth covers
        /// everything that arrived during the run. Stops waiting when the source is in Error or after <see cref="FinishTimeout"/>.
        /// </summary>
        private async Task FinishPollAsync(PeriodicTimer ticks, CancellationToken cancellationToken)
        {
            var cutoff = _clock.GetUtcNow();
            var waitStarted = _clock.GetTimestamp();
            while (await ticks.WaitForNextTickAsync(cancellationToken))
            {
                var source = Source();
                if (source is null
                    || source.Checkpoint?.LastPollAt >= cutoff
                    || source.Status.State == Lifecycle.SourceState.Error
                    || _clock.GetElapsedTime(waitStarted) >= FinishTimeout)
                {
                    return;
                }
                await ShowProgressAsync(_clock.GetElapsedTime(_started), note: "finishing one more poll");
            }
        }

        /// <summary>The demo's one source; null until the daemon started it.</summary>
        private SourceView? Source() => _runtime.Sources() is [var first, ..] ? first : null;

        private async Task ShowProgressAsync(TimeSpan elapsed, string? note)
        {
            var second = (int)elapsed.TotalSeconds;
            if (second == _shownSecond)
            {
                return;
            }
            _shownSecond = second;
            await console.ProgressAsync(DemoSummary.ProgressLine(elapsed, Source(), receiver.Lines, _runtime.Health.List(unresolvedOnly: true).Count, note));
        }
    }
}
