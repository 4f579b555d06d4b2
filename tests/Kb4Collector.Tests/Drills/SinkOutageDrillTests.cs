using System.Net.Sockets;
using Kb4Collector.Emulator;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// Sink outage drill, on a fake clock: for 30 simulated minutes the log endpoint answers 503, then refuses
/// connections, then is so slow that every request times out, while 100 events a minute keep arriving.
/// Nothing is lost, memory stays flat, the source shows FirstPartyGeneric meanwhile and recovers after.
/// </summary>
[Trait("Category", "Drill")]
public sealed class SinkOutageDrillTests
{
    [Fact(Explicit = true)]
    public async Task ThirtyMinutesOf503RefusedAndSlowLosesNothingShowsFirstPartyGenericAndRecovers()
    {
        var scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 10_000, ApiKeys = ["outage-key"] }],
            Backlog = new EmulatorBacklog { Events = 2_000, Days = 2 },
            Arrivals = new EmulatorArrivals { PerMinute = 100 },
            Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 10 },
            Seed = 1401,
        };
        var settings = new EndToEndSettings { PollingInterval = TimeSpan.FromMinutes(1), MaxBatchEvents = 500 };
        await using var bed = await EndToEndBed.StartAsync(scenario, settings);
        var start = settings.Start;
        var refusing = (From: start.AddMinutes(5), To: start.AddMinutes(15));
        var unreachable = (From: refusing.To, To: start.AddMinutes(25));
        var slow = (From: unreachable.To, To: start.AddMinutes(35));
        bool During((DateTimeOffset From, DateTimeOffset To) phase) => bed.Time.GetUtcNow() >= phase.From && bed.Time.GetUtcNow() < phase.To;
        var refusedConnections = 0;
        var timedOut = 0;
        bed.Sink.Refuse = () => During(refusing);
        bed.SinkTransport.BeforeSend = cancellation =>
        {
            if (During(unreachable))
            {
                refusedConnections++;
                throw new HttpRequestException("Connection refused (127.0.0.1:9)", new SocketException((int)SocketError.ConnectionRefused));
            }
            if (During(slow))
            {
                // The endpoint takes 45 s to answer: the sink's 30 s timeout (on the same clock) gives up first.
                timedOut++;
                bed.Time.Advance(TimeSpan.FromSeconds(45));
            }
        };

        await bed.DriveUntilAsync(refusing.From);
        var before = ManagedMegabytes();
        var states = new List<(string Phase, SourceStatus Status, IReadOnlyList<HealthEvent> Health)>();
        foreach (var (name, phase) in new[] { ("503", refusing), ("refused", unreachable), ("slow", slow) })
        {
            await bed.DriveUntilAsync(phase.To.AddMinutes(-1));
            states.Add((name, bed.Process.Supervisor.Status, bed.HealthEvents()));
        }
        var duringOutage = ManagedMegabytes();
        var deliveredBeforeEnd = bed.Sink.Events.Count;
        await bed.DriveUntilAsync(slow.To.AddMinutes(60));
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        DrillReport.Write($"managed heap {before:0.0} MB before, {duringOutage:0.0} MB at the end of the outage; {bed.Sink.RefusedRequests} answered 503, {refusedConnections} refused connections, {timedOut} timed out; {bed.Sink.Events.Count} delivered");
        Assert.True(bed.Sink.RefusedRequests > 0 && refusedConnections > 0 && timedOut > 0, $"503 {bed.Sink.RefusedRequests}, refused {refusedConnections}, slow {timedOut}: a phase was never met");
        foreach (var (name, status, health) in states)
        {
            Assert.True(status.State == SourceState.Error && status.ErrorClass == ErrorClass.FirstPartyGeneric, $"during the {name} phase the source was {status.State} {status.ErrorClass}");
            Assert.Contains(health, e => e.EventName == HealthEventNames.FirstPartyGenericError && !e.Resolved);
        }
        Assert.True(duringOutage - before < 64, $"the managed heap grew from {before:0.0} MB to {duringOutage:0.0} MB during the outage");
        Assert.DoesNotContain(bed.Sink.Events, e => e.ReceivedAt >= refusing.From && e.ReceivedAt < slow.To);
        Assert.True(bed.Sink.Events.Count > deliveredBeforeEnd, "nothing was delivered after the outage");
        bed.AssertDeliveredMatchesGroundTruth();
        var after = bed.Process.Supervisor.Status;
        Assert.Equal(SourceState.Collecting, after.State);
        Assert.DoesNotContain(bed.HealthEvents(), e => !e.Resolved);
        Assert.Contains(bed.HealthEvents(), e => e.EventName == HealthEventNames.FirstPartyGenericError && e.Status == HealthStatus.Healthy);
    }

    private static double ManagedMegabytes() => GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024.0);
}
