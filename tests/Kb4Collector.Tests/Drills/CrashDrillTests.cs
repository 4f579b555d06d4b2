using Kb4Collector.Emulator;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// Crash drill: the built daemon, in its own process, is killed with SIGKILL at random moments while it drains a
/// backlog and while it polls steadily, and started again on the same data directory each time. Against the
/// emulator's ground truth: nothing is lost, and each kill repeats at most one batch.
/// Run with <c>--filter-trait Category=Drill --explicit on</c> (about a minute on 2 cores).
/// </summary>
[Trait("Category", "Drill")]
public sealed class CrashDrillTests : IAsyncDisposable
{
    private const string Key = "crash-drill-key-7d1e";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kb4-drill-crash-" + Guid.NewGuid().ToString("N"));

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        Directory.Delete(_root, recursive: true);
    }

    [Fact(Explicit = true)]
    public async Task KillNineDuringABacklogAndSteadyPollingLosesNothingAndRepeatsAtMostABatchPerKill()
    {
        var seed = Environment.GetEnvironmentVariable("KB4_DRILL_SEED") is { } given ? int.Parse(given, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        DrillReport.Write($"seed {seed} (rerun with KB4_DRILL_SEED={seed})");
        var random = new Random(seed);
        await using var emulator = await DrillSources.StartEmulatorAsync(Key, backlog: 6_000, days: 3, arrivalsPerMinute: 240, seed);
        await using var sink = await RecordingSinkServer.StartAsync();
        var sources = Path.Combine(_root, "sources");
        var data = Path.Combine(_root, "data");
        Directory.CreateDirectory(sources);
        File.WriteAllText(Path.Combine(sources, "acme.json"), DrillSources.Json("Acme", emulator.BaseUrl, Key));
        var settings = DrillSources.Settings(sink.Url);

        var kills = 0;
        var lastOutput = "";
        async Task RunAndKillAsync(TimeSpan after)
        {
            using var daemon = DaemonProcess.Start(_root, sources, data, settings);
            // Counted from the moment the source collects: a start-up slowed by a busy machine must not eat the drill.
            await Waits.UntilAsync(() => daemon.Output.Contains("to Collecting", StringComparison.Ordinal) || daemon.HasExited, "the source to collect", TimeSpan.FromSeconds(60));
            await Task.Delay(after, TestContext.Current.CancellationToken);
            if (daemon.HasExited)
            {
                Assert.Fail($"the daemon exited on its own ({daemon.ExitCode}):\n{daemon.Output}");
            }
            daemon.KillHard();
            lastOutput = daemon.Output;
            kills++;
        }

        // During the backlog: 6,000 events are about 60 calls at KnowBe4's 4 requests a second, so some 15 s of draining.
        var backlogKills = 0;
        while (backlogKills < 6 && sink.Ids.Distinct().Count() < 5_000)
        {
            // The first 1,000-event batch goes out some 2.5 s in (ten pages at 4 a second): kills land before, in and after it.
            await RunAndKillAsync(TimeSpan.FromMilliseconds(random.Next(500, 6_000)));
            backlogKills++;
        }
        Assert.True(backlogKills >= 3, $"only {backlogKills} kills landed during the backlog");
        var deliveredDuringBacklog = sink.Ids.Distinct().Count();
        Assert.True(deliveredDuringBacklog > 0, $"nothing was delivered between the kills: the daemon never got to collect; the last one said:\n{lastOutput}");

        // Steady polling: events arrive 4 a second, the source polls every second.
        for (var kill = 0; kill < 6; kill++)
        {
            await RunAndKillAsync(TimeSpan.FromMilliseconds(random.Next(200, 3_000)));
        }

        // Last run: everything that exists by now is delivered, then the daemon is killed once more.
        var truth = emulator.GroundTruth.LiveEvents().Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        using (var last = DaemonProcess.Start(_root, sources, data, settings))
        {
            await Waits.UntilAsync(() => truth.IsSubsetOf(sink.Ids), $"every one of {truth.Count} events to reach the sink after {kills} kills", TimeSpan.FromSeconds(60));
            Assert.False(last.HasExited, "the daemon exited on its own");
            last.KillHard();
            kills++;
        }

        var received = sink.Ids;
        var repeated = received.Count - received.Distinct().Count();
        DrillReport.Write(
            $"{kills} kills, {truth.Count} events, {deliveredDuringBacklog} delivered during the backlog kills, {repeated} repeated, largest batch {sink.LargestBatch}");
        Assert.True(repeated <= kills * sink.LargestBatch, $"{repeated} events repeated by {kills} kills of batches of at most {sink.LargestBatch}");
        Assert.Empty(received.Except(emulator.GroundTruth.AllEvents().Select(e => e.Id), StringComparer.Ordinal));
    }
}
