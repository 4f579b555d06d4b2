using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;
using Microsoft.Extensions.DependencyInjection;

namespace Kb4Collector.Tests.Daemon;

/// <summary><c>Collector:KnowBe4:RequestsPerSecond</c>: the real binary runs at full speed against the emulator, never against KnowBe4 (issue 14).</summary>
public sealed class DaemonKnowBe4PaceTests
{
    [Fact]
    public async Task AFasterPaceDrivesLoopbackSourcesAndRefusesAKnowBe4HostWithOneLine()
    {
        await using var daemon = await DaemonHarness.StartAsync(backlog: 50);
        daemon.Settings["Collector:KnowBe4:RequestsPerSecond"] = "40";
        daemon.WriteSource("emulator.json", "Emulator");
        File.WriteAllText(
            Path.Combine(daemon.SourcesFolder, "real.json"),
            "{\"api.version\":\"v1\",\"source\":{\"schemaRef\":{\"type\":\"KnowBe4\"},\"sourceType\":\"Universal\",\"config\":{"
            + "\"name\":\"Real\",\"category\":\"security/knowbe4\",\"baseURL\":\"https://training.knowbe4.com\",\"apiKey\":\"real-key-0123456789\",\"licensedUsers\":50}}}");

        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("Emulator", SourceState.Collecting);
        await daemon.UntilAllDeliveredAsync();

        // The limiter of every key grants the configured pace: 40 permits now, not KnowBe4's 4.
        var pace = daemon.App.Services.GetRequiredService<ApiKeyRateLimiters>().For(ApiKeyFingerprint.Of("any-key-0123456789"));
        Assert.Equal(40, pace.GetStatistics()!.CurrentAvailablePermits);
        Assert.Null(daemon.Source("Real"));
        var refusal = Assert.Single(daemon.Log.ToString().Split('\n'), line => line.Contains("real.json", StringComparison.Ordinal));
        Assert.Contains("source \"Real\": field \"config.baseURL\": https://api.events.knowbe4.com is not a loopback address, and Collector:KnowBe4:RequestsPerSecond is 40", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("real-key-0123456789", daemon.Log.ToString(), StringComparison.Ordinal);
    }
}
