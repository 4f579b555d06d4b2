using System.Text.Json;
using Kb4Collector.Configuration;
using Kb4Collector.Emulator;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Reporting;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Tests.Reporting;

/// <summary>One forwarded Reporting line: its envelope and the record as KnowBe4 sent it.</summary>
internal sealed record ReportingLine(string DataType, string Change, string Key, string Record, DateTimeOffset ReceivedAt, JsonElement Envelope);

/// <summary>
/// The end-to-end bed (emulator, real Kestrel sink, fake clock, collector process on a LiteDB folder) with the source's
/// Reporting data types beside its User Events: each data type its own pipeline and supervisor, as the daemon runs them.
/// Everything is stepped on the one fake clock, from one due time to the next.
/// </summary>
internal sealed class ReportingBed : IAsyncDisposable
{
    private const int MaxSteps = 50_000;

    private readonly Func<SourceDefinition, ReportingSettings> _settings;
    private readonly bool _userEvents;
    private readonly List<Runner> _runners = [];

    private ReportingBed(EndToEndBed bed, Func<SourceDefinition, ReportingSettings> settings, bool userEvents)
    {
        Bed = bed;
        _settings = settings;
        _userEvents = userEvents;
        Build();
    }

    public EndToEndBed Bed { get; }

    public KnowBe4Emulator Emulator => Bed.Emulator;

    public IReadOnlyList<(ReportingPipeline Pipeline, SourceSupervisor Supervisor)> DataTypes => [.. _runners.Select(runner => (runner.Pipeline, runner.Supervisor))];

    /// <summary>
    /// A bed whose source collects <paramref name="dataTypes"/> from the emulator's Reporting API (first account's
    /// Reporting key) and, when <paramref name="userEvents"/>, its User Events on the User Event key.
    /// </summary>
    public static async Task<ReportingBed> StartAsync(
        EmulatorScenario scenario,
        IReadOnlyList<ReportingDataType> dataTypes,
        Func<ReportingSettings, ReportingSettings>? configure = null,
        EndToEndSettings? settings = null,
        bool userEvents = false)
    {
        // 350 ms a call: the gate counts a call from its answer, so five calls span 1.05 s and its per-second rule never sleeps on the fake clock.
        settings ??= new EndToEndSettings { CallDuration = TimeSpan.FromMilliseconds(350), PollingInterval = TimeSpan.FromMinutes(10) };
        var bed = await EndToEndBed.StartAsync(scenario, settings);
        ReportingSettings Settings(SourceDefinition source)
        {
            var reporting = new ReportingSettings
            {
                BaseUrl = bed.Emulator.BaseUrl,
                ApiKey = bed.Emulator.ReportingApiKey,
                DataTypes = dataTypes,
            };
            return configure is null ? reporting : configure(reporting);
        }
        return new ReportingBed(bed, Settings, userEvents);
    }

    public SourceDefinition Source => Bed.Source with { Reporting = _settings(Bed.Source), CollectUserEvents = _userEvents };

    public ReportingPipeline Pipeline(ReportingDataType type) => _runners.Single(runner => runner.Pipeline.DataType == type).Pipeline;

    public SourceSupervisor Supervisor(ReportingDataType type) => _runners.Single(runner => runner.Pipeline.DataType == type).Supervisor;

    public IReadOnlyList<HealthEvent> HealthEvents(ReportingDataType type) =>
        new HealthEventStore(Bed.Process.Database).List(limit: 1_000, sourceId: Pipeline(type).Id);

    /// <summary>Every Reporting line the sink accepted, in order.</summary>
    public IReadOnlyList<ReportingLine> Lines(string? dataType = null)
    {
        var lines = new List<ReportingLine>();
        foreach (var delivered in Bed.Sink.Events)
        {
            var text = System.Text.Encoding.UTF8.GetString(delivered.Json);
            using var document = JsonDocument.Parse(text);
            if (!document.RootElement.TryGetProperty(ReportingEnvelope.Field, out var envelope))
            {
                continue;
            }
            var type = envelope.GetProperty("dataType").GetString()!;
            if (dataType is not null && type != dataType)
            {
                continue;
            }
            lines.Add(new ReportingLine(type, envelope.GetProperty("change").GetString()!, envelope.GetProperty("key").GetString()!,
                ReportingEnvelope.Unwrap(text), delivered.ReceivedAt, envelope.Clone()));
        }
        return lines;
    }

    /// <summary>The User Event lines (those without an envelope), by id.</summary>
    public IReadOnlyList<DeliveredEvent> UserEventLines() =>
        [.. Bed.Sink.Events.Where(line => !System.Text.Encoding.UTF8.GetString(line.Json).Contains("\"" + ReportingEnvelope.Field + "\":", StringComparison.Ordinal))];

    /// <summary>Calls to the Reporting API (<c>/v1/...</c>) as they left the collector.</summary>
    public IReadOnlyList<KnowBe4Call> ReportingCalls() => [.. Bed.KnowBe4Calls.Calls.Where(call => call.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal))];

    /// <summary>Steps every supervisor that is due, jumping the clock from one due time to the next, until <paramref name="until"/>.</summary>
    public async Task DriveUntilAsync(DateTimeOffset until)
    {
        var due = new Dictionary<object, DateTimeOffset?>();
        for (var step = 0; step < MaxSteps; step++)
        {
            var now = Bed.Time.GetUtcNow();
            var stepped = false;
            if (_userEvents && (!due.TryGetValue(Bed, out var userDue) || userDue <= now))
            {
                due[Bed] = await Bed.StepAsync();
                stepped = true;
            }
            foreach (var runner in _runners)
            {
                if (!due.TryGetValue(runner, out var runnerDue) || runnerDue <= now)
                {
                    due[runner] = await StepAsync(runner.Supervisor);
                    stepped = true;
                }
            }
            if (stepped)
            {
                continue;
            }
            var next = due.Values.Where(at => at is not null).Select(at => at!.Value).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            if (next > until)
            {
                if (until > now)
                {
                    Bed.Time.SetUtcNow(until);
                }
                return;
            }
            if (next > now)
            {
                Bed.Time.SetUtcNow(next);
            }
        }
        throw new InvalidOperationException($"The bed did not reach {until:O} within {MaxSteps} steps.");
    }

    /// <summary>
    /// One step of a supervisor. A step may sleep out a short per-second wait inside itself; real time would move on
    /// meanwhile, so when the step stalls on a timer due within two seconds, the clock moves to it.
    /// </summary>
    private async Task<DateTimeOffset?> StepAsync(SourceSupervisor supervisor)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Bed.Process.Lifetime.Token);
        var step = supervisor.StepAsync(linked.Token).AsTask();
        while (await Task.WhenAny(step, Task.Delay(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken)) != step)
        {
            if (Bed.Time.NextTimerWithin(TimeSpan.FromSeconds(2)) is { } due)
            {
                Bed.Time.SetUtcNow(due);
            }
        }
        return await step;
    }

    public Task DriveForAsync(TimeSpan duration) => DriveUntilAsync(Bed.Time.GetUtcNow() + duration);

    /// <summary>A new collector process on the same data folder, with new pipelines and supervisors.</summary>
    public void Restart()
    {
        Bed.Restart();
        Build();
    }

    /// <summary>
    /// Runs until the process is killed mid-step (see <see cref="EndToEndBed.Kill"/>), then restarts it. Returns false
    /// when nothing killed it by <paramref name="until"/> (every data type stopped in Error, say).
    /// </summary>
    public async Task<bool> DriveUntilKilledThenRestartAsync(DateTimeOffset until)
    {
        try
        {
            await DriveUntilAsync(until);
        }
        catch (OperationCanceledException) when (Bed.Process.Lifetime.IsCancellationRequested)
        {
            Restart();
            return true;
        }
        return false;
    }

    private void Build()
    {
        _runners.Clear();
        var source = Source;
        var services = Bed.Process.Services;
        foreach (var type in source.Reporting!.DataTypes)
        {
            var pipeline = new ReportingPipeline(source, type, services, "e2e-collector");
            var supervisor = new SourceSupervisor(
                new SourceIdentity(pipeline.Id, pipeline.Name),
                pipeline.Work,
                Bed.Process.Database,
                new HealthEventStore(Bed.Process.Database),
                new SupervisorOptions { CollectorName = "e2e-collector", QuotaWindowFromRetryAfter = true },
                Bed.Time,
                services.LoggerFactory.CreateLogger<SourceSupervisor>(),
                new Random(7));
            _runners.Add(new Runner(pipeline, supervisor));
        }
    }

    /// <summary>Each data type's state and last reason, for failure messages.</summary>
    public string Describe() => string.Join("; ", _runners.Select(runner =>
        $"{runner.Pipeline.Name}: {runner.Supervisor.Status.State} ({runner.Supervisor.Status.LastReason}), {ReportingCalls().Count} Reporting calls"));

    public async ValueTask DisposeAsync() => await Bed.DisposeAsync();

    private sealed record Runner(ReportingPipeline Pipeline, SourceSupervisor Supervisor);
}
