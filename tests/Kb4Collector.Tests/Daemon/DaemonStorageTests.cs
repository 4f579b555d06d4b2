using System.Net;
using Kb4Collector.Lifecycle;
using Kb4Collector.Storage;

namespace Kb4Collector.Tests.Daemon;

/// <summary>A daemon whose database cannot be trusted stays up, says why, and never starts over (issue 15, points 2 and 3).</summary>
public sealed class DaemonStorageTests
{
    [Theory]
    [InlineData("empty")]
    [InlineData("damaged")]
    [InlineData("missing")]
    public async Task ABadDatabaseStopsTheSourcesWithAReasonAHealthEventAndReadyz503(string damage)
    {
        await using var daemon = await DaemonHarness.StartAsync(backlog: 120);
        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await daemon.UntilAllDeliveredAsync();
        await daemon.StopDaemonAsync();
        var delivered = daemon.Sink.Ids.Count;
        var file = Path.Combine(daemon.DataFolder, CollectorDatabase.FileName);
        Damage(file, damage);

        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Error);

        var status = daemon.Source("KnowBe4 US")!.Status;
        Assert.Equal(ErrorClass.ThirdPartyConfig, status.ErrorClass);
        Assert.Contains("Local storage cannot be used", status.LastReason, StringComparison.Ordinal);
        Assert.Contains(damage, status.LastReason, StringComparison.Ordinal);
        using var admin = daemon.AdminClient();
        var ready = await admin.GetAsync(new Uri("/readyz", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("storage", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var health = await admin.GetStringAsync(new Uri("/api/v1/healthEvents", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Contains("Local storage cannot be used", health, StringComparison.Ordinal);
        Assert.Contains("No source collects", daemon.Log.ToString(), StringComparison.Ordinal);
        Assert.Equal(delivered, daemon.Sink.Ids.Count);

        await daemon.StopDaemonAsync();
        Assert.Equal(delivered, daemon.Sink.Ids.Count);
    }

    [Fact]
    public async Task AStorageFailureWhileRunningStopsCollectionSaysWhyAndStillShutsDownCleanly()
    {
        await using var daemon = await DaemonHarness.StartAsync(backlog: 20);
        daemon.WriteSource("us.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await daemon.UntilAllDeliveredAsync();

        daemon.Runtime.ReportStorageFailure(new LiteDB.LiteException(0, "page 7 is not a data page"));
        daemon.Runtime.RequestRestart(daemon.Source("KnowBe4 US")!.Definition.Id);
        await daemon.UntilStateAsync("KnowBe4 US", SourceState.Error);

        Assert.Contains("page 7 is not a data page", daemon.Source("KnowBe4 US")!.Status.LastReason, StringComparison.Ordinal);
        using var admin = daemon.AdminClient();
        var ready = await admin.GetAsync(new Uri("/readyz", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("Local storage failed", daemon.Log.ToString(), StringComparison.Ordinal);
        await daemon.StopDaemonAsync();
    }

    private static void Damage(string file, string damage)
    {
        switch (damage)
        {
            case "empty":
                File.WriteAllBytes(file, []);
                break;
            case "missing":
                File.Delete(file);
                break;
            default:
                var bytes = File.ReadAllBytes(file);
                var random = new Random(3);
                for (var page = 1; page < bytes.Length / 8192; page++)
                {
                    random.NextBytes(bytes.AsSpan(page * 8192, 64));
                }
                File.WriteAllBytes(file, bytes);
                break;
        }
    }
}
