using System.Net;
using System.Text;
using Kb4Collector.Emulator;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// KnowBe4 storm drill, on a fake clock: ten-minute runs of 5xx, 429 without and with Retry-After, malformed and
/// truncated pages, a 200 with an HTML body, a slow drip, a body without end and plain time-outs, each followed by
/// twenty quiet minutes, while a backlog drains and events arrive. No crash, flat memory, ThirdPartyGeneric during each
/// storm and resolved after, and at the end every event delivered exactly once (a checkpoint never passed
/// undelivered data).
/// </summary>
[Trait("Category", "Drill")]
public sealed class KnowBe4StormDrillTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact(Explicit = true)]
    public async Task LongStormsOfEveryKindLoseNothingAndRaiseThenResolveThirdPartyGeneric()
    {
        var storms = new (string Name, int From, EmulatorFault? Fault, Func<FakeTimeProvider, CancellationToken, HttpResponseMessage>? Answer)[]
        {
            ("503", 5, new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Status = 503 }, null),
            ("500 every other call", 35, new EmulatorFault { Kind = EmulatorFaultKind.ServerError, EveryNth = 2 }, null),
            ("429", 65, new EmulatorFault { Kind = EmulatorFaultKind.RateLimited }, null),
            ("429 Retry-After 120", 95, new EmulatorFault { Kind = EmulatorFaultKind.RateLimitedWithRetryAfter, RetryAfterSeconds = 120 }, null),
            ("malformed", 125, new EmulatorFault { Kind = EmulatorFaultKind.Malformed }, null),
            ("truncated", 155, new EmulatorFault { Kind = EmulatorFaultKind.Truncated }, null),
            ("200 with HTML", 185, null, (_, _) => Html()),
            ("slow drip", 215, null, (time, _) => Drip(time)),
            ("body without end", 245, null, (_, _) => Endless()),
            ("time-out", 275, null, (time, cancellation) =>
            {
                time.Advance(TimeSpan.FromSeconds(45));
                cancellation.ThrowIfCancellationRequested();
                return Html();
            }),
        };
        var scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 10_000, ApiKeys = ["storm-key"] }],
            Backlog = new EmulatorBacklog { Events = 3_000, Days = 3 },
            Arrivals = new EmulatorArrivals { PerMinute = 20 },
            Limits = new EmulatorLimits { RequestsPerSecond = 0, CallsPerSeatPerDay = 10 },
            Faults = [.. storms.Where(storm => storm.Fault is not null).Select(storm => storm.Fault! with { From = storm.From * Minute, To = (storm.From + 10) * Minute })],
            Seed = 1402,
        };
        var settings = new EndToEndSettings { PollingInterval = Minute, CallDuration = TimeSpan.FromMilliseconds(500), MaxBatchEvents = 500 };
        await using var bed = await EndToEndBed.StartAsync(scenario, settings);
        var start = settings.Start;
        var answered = new int[storms.Length];
        bed.KnowBe4Calls.Answer = cancellation =>
        {
            var minutes = (bed.Time.GetUtcNow() - start).TotalMinutes;
            var index = Array.FindIndex(storms, storm => storm.Answer is not null && minutes >= storm.From && minutes < storm.From + 10);
            if (index < 0)
            {
                return null;
            }
            answered[index]++;
            return storms[index].Answer!(bed.Time, cancellation);
        };

        var before = ManagedMegabytes();
        var peak = before;
        var seen = new List<string>();
        foreach (var storm in storms)
        {
            await bed.DriveUntilAsync(start + ((storm.From + 9) * Minute));
            var status = bed.Process.Supervisor.Status;
            var open = bed.HealthEvents().Where(e => !e.Resolved).Select(e => e.EventName).ToList();
            seen.Add($"{storm.Name}: {status.State} {status.ErrorClass} open=[{string.Join(",", open)}]");
            peak = Math.Max(peak, ManagedMegabytes());
            if (storm.Name != "500 every other call")
            {
                // Every call of the storm fails: the source is in Error, ThirdPartyGeneric, with its health event open.
                Assert.True(status.State == SourceState.Error && status.ErrorClass == ErrorClass.ThirdPartyGeneric, $"during the {storm.Name} storm the source was {status.State} {status.ErrorClass}: {status.LastReason}");
                Assert.Contains(HealthEventNames.ThirdPartyGenericError, open);
            }
            // Nineteen quiet minutes later (more than the longest backoff) it has recovered and resolved the event.
            await bed.DriveUntilAsync(start + ((storm.From + 29) * Minute));
            var after = bed.Process.Supervisor.Status;
            Assert.True(after.State == SourceState.Collecting, $"nineteen minutes after the {storm.Name} storm the source is {after.State} {after.ErrorClass} ({after.LastReason}), next attempt {after.NextAttemptAt}, window ends {after.RetryWindowEndsAt}");
            Assert.DoesNotContain(bed.HealthEvents(), e => !e.Resolved);
        }
        await bed.FreezeWorldAndSettleAsync(TimeSpan.FromHours(2));

        DrillReport.Write($"managed heap {before:0.0} MB before, {peak:0.0} MB at most; faults served {string.Join(", ", bed.Emulator.GroundTruth.FaultsServed.Select(f => $"{f.Key} {f.Value}"))}; answered in place {string.Join(", ", storms.Select((s, i) => $"{s.Name} {answered[i]}"))}");
        DrillReport.Write(string.Join("; ", seen));
        Assert.All(storms.Where(storm => storm.Answer is not null).Select(storm => answered[Array.IndexOf(storms, storm)]), count => Assert.True(count > 0));
        Assert.True(peak - before < 128, $"the managed heap grew from {before:0.0} MB to {peak:0.0} MB");
        bed.AssertDeliveredMatchesGroundTruth();
        Assert.Equal(SourceState.Collecting, bed.Process.Supervisor.Status.State);
    }

    private static HttpResponseMessage Html() => new(HttpStatusCode.OK)
    {
        Content = new StringContent("<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>", Encoding.UTF8, "text/html"),
    };

    /// <summary>A page that comes one byte every five seconds of the clock.</summary>
    private static HttpResponseMessage Drip(FakeTimeProvider time) => new(HttpStatusCode.OK)
    {
        Content = new StreamContent(new GeneratedStream("{\"data\":[],\"meta\":{\"paging\":{\"page\":1,\"pages\":1}}}"u8.ToArray(), repeat: false, beforeEachRead: () => time.Advance(TimeSpan.FromSeconds(5)), bytesPerRead: 1)),
    };

    /// <summary>A 200 whose JSON array goes on without end (no Content-Length).</summary>
    private static HttpResponseMessage Endless() => new(HttpStatusCode.OK)
    {
        Content = new StreamContent(new GeneratedStream(
            Encoding.UTF8.GetBytes("{\"id\":\"" + new string('x', 4_000) + "\",\"occurred_date\":\"2026-03-10T11:00:00.000Z\"},"),
            repeat: true,
            prefix: "{\"data\":["u8.ToArray())),
    };

    private static double ManagedMegabytes() => GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024.0);

    /// <summary>A read-only stream that produces a prefix, then its unit once or forever, a few bytes per read if asked.</summary>
    private sealed class GeneratedStream(byte[] unit, bool repeat, byte[]? prefix = null, Action? beforeEachRead = null, int bytesPerRead = int.MaxValue) : Stream
    {
        private readonly byte[] _prefix = prefix ?? [];
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            beforeEachRead?.Invoke();
            var written = 0;
            var limit = Math.Min(buffer.Length, bytesPerRead);
            while (written < limit)
            {
                byte next;
                if (_position < _prefix.Length)
                {
                    next = _prefix[_position];
                }
                else if (repeat || _position - _prefix.Length < unit.Length)
                {
                    next = unit[(_position - _prefix.Length) % unit.Length];
                }
                else
                {
                    break;
                }
                buffer[written++] = next;
                _position++;
            }
            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = Read(buffer.Span);
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(read);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
