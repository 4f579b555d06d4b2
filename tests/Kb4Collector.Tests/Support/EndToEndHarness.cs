using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Kb4Collector.Collection;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.Emulator;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Support;

/// <summary>How an end-to-end bed is set up; the defaults are a quiet, well-funded source.</summary>
internal sealed record EndToEndSettings
{
    /// <summary>When the emulator's scenario and the collector's first run start.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The first run starts collecting at UTC midnight this many days before <see cref="Start"/>'s day.</summary>
    public int LookbackDays { get; init; } = 3;

    /// <summary>How far the shared clock moves on each KnowBe4 call (250 ms is the 4 req/s pace); zero keeps time still during a poll.</summary>
    public TimeSpan CallDuration { get; init; } = TimeSpan.FromMilliseconds(250);

    public int MaxBatchEvents { get; init; } = 1_000;

    public int? LicensedUsers { get; init; } = 10_000;

    public int? DailyCallBudget { get; init; }

    public TimeSpan PollingInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the collector's own log lines go (none when null, unless <see cref="EndToEndBed.LogVariable"/> is set).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The collector's pacing: far above 4 req/s so that it never waits on the fake clock.</summary>
    public int RequestsPerSecond { get; init; } = 100_000;

    /// <summary>
    /// The source's <c>initialLookback</c>: what history the first run sends. Null keeps <see cref="LookbackDays"/>
    /// (from UTC midnight); <see cref="AllHistory"/> asks for everything the API still holds.
    /// </summary>
    public TimeSpan? InitialLookback { get; init; }

    /// <summary><c>initialLookback: "all"</c>, until the source definition has its own way to say it.</summary>
    public static readonly TimeSpan AllHistory = TimeSpan.MaxValue;

    /// <summary>The source's <c>backdateHorizon</c>: how far back (whole UTC days before today) new events are looked for.</summary>
    public TimeSpan BackdateHorizon { get; init; } = SourceDefinition.DefaultBackdateHorizon;

    /// <summary>
    /// The source's <c>rescanInterval</c> (issue 9, G1: past days are re-read within it). Not yet a field of
    /// <see cref="SourceDefinition"/>: the v2 engine must take it from here.
    /// </summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The source's <c>maxQuotaShare</c> (issue 9, G9: at most this share of the account's daily quota). Not yet a
    /// field of <see cref="SourceDefinition"/>: the v2 engine must take it from here.
    /// </summary>
    public double MaxQuotaShare { get; init; } = 0.5;

    /// <summary>Opens the LiteDB file through streams that fail while <see cref="EndToEndBed.StorageFull"/> is set.</summary>
    public bool StorageFaults { get; init; }
}

/// <summary>
/// The whole product on one fake clock: the emulator, a real Kestrel log endpoint, and a collector "process" (LiteDB
/// file, sink, pacing, ledger, pipeline and supervisor) that can be restarted or killed on the same data folder.
/// </summary>
internal sealed class EndToEndBed : IAsyncDisposable
{
    /// <summary>Set to 1 to see the collector's own log lines on the console while debugging a test.</summary>
    public const string LogVariable = "KB4_E2E_LOG";

    private const int MaxSteps = 20_000;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kb4-e2e-" + Guid.NewGuid().ToString("N"));
    private readonly SocketsHttpHandler _knowBe4Connections = new();
    private readonly SocketsHttpHandler _sinkConnections = new();
    private readonly List<SourceState> _states = [];
    private readonly StorageFaultSwitch _storage = new();

    private EndToEndBed(EndToEndSettings settings, SteppedClock time, FreezableClock emulatorClock, KnowBe4Emulator emulator, EndToEndLogSink sink)
    {
        Settings = settings;
        Time = time;
        EmulatorClock = emulatorClock;
        Emulator = emulator;
        Sink = sink;
        KnowBe4Calls = new KnowBe4CallLog(time) { CallDuration = settings.CallDuration, InnerHandler = _knowBe4Connections };
        SinkTransport = new SinkTransportHandler { InnerHandler = _sinkConnections };
        StartedFrom = settings.InitialLookback switch
        {
            null => new DateTimeOffset(settings.Start.UtcDateTime.Date, TimeSpan.Zero).AddDays(-settings.LookbackDays),
            { } all when all == EndToEndSettings.AllHistory => DateTimeOffset.MinValue,
            { } lookback => settings.Start - lookback,
        };
        Source = new SourceDefinition
        {
            Name = "KnowBe4 end-to-end",
            BaseUrl = emulator.BaseUrl,
            ApiKey = emulator.ApiKey,
            SourceFile = "e2e.json",
            LicensedUsers = settings.LicensedUsers,
            DailyCallBudget = settings.DailyCallBudget,
            PollingInterval = settings.PollingInterval,
            InitialLookback = settings.InitialLookback ?? settings.Start - StartedFrom,
            BackdateHorizon = settings.BackdateHorizon,
            RescanInterval = settings.RescanInterval,
            MaxQuotaShare = settings.MaxQuotaShare,
        };
        Process = NewProcess();
    }

    public EndToEndSettings Settings { get; }

    /// <summary>The collector's clock, and the emulator's until <see cref="FreezeWorldAndSettleAsync"/>.</summary>
    public SteppedClock Time { get; }

    public FreezableClock EmulatorClock { get; }

    public KnowBe4Emulator Emulator { get; }

    public EndToEndLogSink Sink { get; }

    /// <summary>Every KnowBe4 request the collector made, as it left the pacing limiter.</summary>
    public KnowBe4CallLog KnowBe4Calls { get; }

    public SinkTransportHandler SinkTransport { get; }

    /// <summary>The source as configured now (see <see cref="ChangeSource"/>).</summary>
    public SourceDefinition Source { get; private set; }

    /// <summary>Where the first run starts: events that occurred before it are outside the source.</summary>
    public DateTimeOffset StartedFrom { get; }

    public CollectorProcess Process { get; private set; }

    /// <summary>The source's state after every step, in order.</summary>
    public IReadOnlyList<SourceState> States => _states;

    /// <summary>
    /// While true (with <see cref="EndToEndSettings.StorageFaults"/>), every write to the LiteDB file fails like a full
    /// disk. LiteDB 5 then refuses writes on that instance until it is opened again.
    /// </summary>
    public bool StorageFull
    {
        get => _storage.Failing;
        set => _storage.Failing = value;
    }

    /// <summary>How many writes to the LiteDB file failed because of <see cref="StorageFull"/>.</summary>
    public int StorageWriteFailures => _storage.Failures;

    /// <summary>The source's state right now (also between two calls of a step, e.g. from a sink or call hook).</summary>
    public SourceState State => Process.Supervisor.Status.State;

    /// <summary>The health events raised for the source so far, resolved ones included.</summary>
    public IReadOnlyList<HealthEvent> HealthEvents() => new HealthEventStore(Process.Database).List(limit: 1_000, sourceId: Source.Id);

    public static async Task<EndToEndBed> StartAsync(EmulatorScenario scenario, EndToEndSettings? settings = null)
    {
        settings ??= new EndToEndSettings();
        var time = new SteppedClock(settings.Start);
        var emulatorClock = new FreezableClock(time);
        var emulator = await KnowBe4Emulator.StartAsync(
            new EmulatorOptions { Scenario = scenario, TimeProvider = emulatorClock, QuotaTimeProvider = time, ScenarioStart = settings.Start },
            TestContext.Current.CancellationToken);
        EndToEndLogSink? sink = null;
        try
        {
            sink = await EndToEndLogSink.StartAsync(time);
            return new EndToEndBed(settings, time, emulatorClock, emulator, sink);
        }
        catch
        {
            if (sink is not null)
            {
                await sink.DisposeAsync();
            }
            await emulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>One step of the source's loop; null when only a command could wake it.</summary>
    public async Task<DateTimeOffset?> StepAsync()
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Process.Lifetime.Token);
        var due = await Process.Supervisor.StepAsync(linked.Token);
        _states.Add(Process.Supervisor.Status.State);
        return due;
    }

    /// <summary>Does what the supervisor's loop would do until <paramref name="until"/>, jumping the clock from one due time to the next.</summary>
    public async Task DriveUntilAsync(DateTimeOffset until)
    {
        for (var step = 0; step < MaxSteps; step++)
        {
            var due = await StepAsync();
            var now = Time.GetUtcNow();
            if (due is null || due > until)
            {
                if (until > now)
                {
                    Time.SetUtcNow(until);
                }
                return;
            }
            if (due > now)
            {
                Time.SetUtcNow(due.Value);
            }
        }
        throw new InvalidOperationException($"The source did not reach {until:O} within {MaxSteps} steps.");
    }

    public Task DriveForAsync(TimeSpan duration) => DriveUntilAsync(Time.GetUtcNow() + duration);

    /// <summary>
    /// Stops the emulator's clock (no more arrivals or deletions), then lets the collector run on for
    /// <paramref name="collectorTime"/>: afterwards everything that exists must have been delivered.
    /// </summary>
    public Task FreezeWorldAndSettleAsync(TimeSpan collectorTime)
    {
        EmulatorClock.Freeze();
        return DriveForAsync(collectorTime);
    }

    /// <summary>A new collector process on the same data folder (the old one stopped between steps).</summary>
    public void Restart()
    {
        Process.Dispose();
        Process = NewProcess();
    }

    /// <summary>
    /// The configuration changed as the daemon would see it across a restart: the process stops between steps and a
    /// new one starts on the same data folder with the changed source (e.g. a rotated key or a new name).
    /// </summary>
    public void ChangeSource(Func<SourceDefinition, SourceDefinition> change)
    {
        Source = change(Source);
        Restart();
        // What the daemon does when it starts a source: a renamed one takes over its old cursor.
        new CheckpointStore(Process.Database).AdoptRenamed(Source.Id, Source.QueryFingerprint, Source.ApiKeyFingerprint, new HashSet<string> { Source.Id });
    }

    /// <summary>A new API key for the same account and base URL (the emulator account must list it).</summary>
    public void RotateApiKey(string newKey) => ChangeSource(source => source with { ApiKey = newKey });

    /// <summary>The same source under a new name.</summary>
    public void Rename(string newName) => ChangeSource(source => source with { Name = newName });

    /// <summary>
    /// From the sink's <paramref name="fromRequest"/>-th request on, the next full batch is refused 413 so that the
    /// collector splits it; the first half is accepted and the second refused 503 for <paramref name="refusedFor"/>.
    /// </summary>
    public SinkSplitRefusal RefuseTheSecondHalfOfTheNextFullBatch(TimeSpan refusedFor, int fromRequest = 1)
    {
        var refusal = new SinkSplitRefusal();
        var phase = 0;
        var refusedUntil = DateTimeOffset.MaxValue;
        Sink.Answer = (request, events) =>
        {
            switch (phase)
            {
                case 0 when request >= fromRequest && events == Settings.MaxBatchEvents:
                    phase = 1;
                    return StatusCodes.Status413PayloadTooLarge;
                case 1:
                    phase = 2;
                    return null;
                case 2:
                    phase = 3;
                    refusal.SecondHalfRefused = true;
                    refusedUntil = Time.GetUtcNow() + refusedFor;
                    return StatusCodes.Status503ServiceUnavailable;
                case 3 when Time.GetUtcNow() < refusedUntil:
                    return StatusCodes.Status503ServiceUnavailable;
                default:
                    return null;
            }
        };
        return refusal;
    }

    /// <summary>Kills the process at this very point: the step under way is abandoned, nothing more is stored.</summary>
    public void Kill() => Process.Lifetime.Cancel();

    /// <summary>Runs a step that is expected to be killed part way (see <see cref="Kill"/>), then starts a new process.</summary>
    public async Task StepUntilKilledThenRestartAsync()
    {
        for (var step = 0; step < MaxSteps; step++)
        {
            try
            {
                var due = await StepAsync();
                if (due > Time.GetUtcNow())
                {
                    Time.SetUtcNow(due.Value);
                }
            }
            catch (OperationCanceledException) when (Process.Lifetime.IsCancellationRequested)
            {
                Restart();
                return;
            }
        }
        throw new InvalidOperationException("The process was never killed.");
    }

    /// <summary>
    /// The delivered events against the emulator's ground truth: every event that exists and occurred since
    /// <see cref="StartedFrom"/> was delivered, byte for byte, exactly once; nothing else was delivered except events
    /// deleted since. Returns the ids delivered more than once (with their extra count) for callers that allow some.
    /// </summary>
    /// <param name="allowedDuplicates">Extra deliveries allowed (one batch per kill).</param>
    /// <param name="mayEndEmpty">Generated runs only: deletions may have emptied the world (a written scenario that collects nothing is a broken test).</param>
    public IReadOnlyDictionary<string, int> AssertDeliveredMatchesGroundTruth(int allowedDuplicates = 0, bool mayEndEmpty = false)
    {
        var truth = Emulator.GroundTruth.AllEvents().ToDictionary(item => item.Id, StringComparer.Ordinal);
        var delivered = Sink.Events;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in delivered)
        {
            Assert.True(truth.TryGetValue(line.Id, out var known), $"Delivered {line.Id}, which the emulator never had.");
            Assert.True(known.Json.Span.SequenceEqual(line.Json), $"Event {line.Id} was not forwarded byte for byte.");
            Assert.True(MayBeDelivered(known), $"Event {line.Id} occurred at {known.OccurredDate:O} (created {known.CreatedAt:O}), before the source started from {StartedFrom:O} and outside the backdate horizon.");
            Assert.True(known.CreatedAt <= line.ReceivedAt, $"Event {line.Id} was delivered before it was created.");
            counts[line.Id] = counts.GetValueOrDefault(line.Id) + 1;
        }

        var expected = truth.Values.Where(item => !item.IsDeleted && MustBeDelivered(item)).ToList();
        var missing = expected.Where(item => !counts.ContainsKey(item.Id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {expected.Count} existing events were never delivered, e.g. "
            + string.Join("; ", missing.Take(5).Select(item => $"{item.Id} occurred {item.OccurredDate:O} created {item.CreatedAt:O}"))
            + Environment.NewLine + Describe());

        var duplicates = counts.Where(entry => entry.Value > 1).ToDictionary(entry => entry.Key, entry => entry.Value - 1, StringComparer.Ordinal);
        var extra = duplicates.Values.Sum();
        Assert.True(extra <= allowedDuplicates, $"{extra} duplicate deliveries (at most {allowedDuplicates} allowed), e.g. {string.Join(", ", duplicates.Keys.Take(5))}");
        Assert.True(expected.Count > 0 || mayEndEmpty, "the scenario produced nothing to collect" + Environment.NewLine + Describe());
        return duplicates;
    }

    /// <summary>
    /// G1: an event that exists is owed when it occurred since <see cref="StartedFrom"/>, or when it was created after
    /// the first start with an occurred date inside the backdate horizon of its creation day (the horizon's oldest day
    /// is left out: an event landing on it just before midnight may age out before a rescan is due).
    /// </summary>
    /// An event backdated before <see cref="StartedFrom"/> and created before the first run had read those days is
    /// taken for history (README, G3's bound): it may be absent.
    public bool MustBeDelivered(GroundTruthEvent item) =>
        item.OccurredDate >= StartedFrom
        || (item.CreatedAt > Settings.Start && item.OccurredDate >= HorizonStart(item.CreatedAt).AddDays(1)
            && Process.Pipeline.Collector.ReadCheckpoint()?.HistoryReadAt is { } historyRead && item.CreatedAt > historyRead);

    /// <summary>Owed, or created after the first start inside the horizon (its oldest day included).</summary>
    public bool MayBeDelivered(GroundTruthEvent item) =>
        item.OccurredDate >= StartedFrom || (item.CreatedAt > Settings.Start && item.OccurredDate >= HorizonStart(item.CreatedAt));

    /// <summary>UTC midnight of the oldest day the backdate horizon covers at <paramref name="at"/>.</summary>
    public DateTimeOffset HorizonStart(DateTimeOffset at) =>
        new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero).AddDays(-Math.Ceiling(Settings.BackdateHorizon.TotalDays));

    /// <summary>
    /// G1's latency: an owed event created on its own UTC day is delivered within <paramref name="today"/> of its creation;
    /// any other within <see cref="EndToEndSettings.RescanInterval"/> plus <paramref name="slack"/>. For quiet,
    /// well-funded runs; deliveries during a frozen settle phase count from the freeze.
    /// </summary>
    public void AssertDeliveryLatency(TimeSpan today, TimeSpan slack)
    {
        var firstDelivery = Sink.Events.GroupBy(line => line.Id).ToDictionary(group => group.Key, group => group.Min(line => line.ReceivedAt), StringComparer.Ordinal);
        var late = new List<string>();
        foreach (var item in Emulator.GroundTruth.LiveEvents().Where(item => item.CreatedAt > Settings.Start && MustBeDelivered(item)))
        {
            if (!firstDelivery.TryGetValue(item.Id, out var deliveredAt))
            {
                continue; // AssertDeliveredMatchesGroundTruth reports it
            }
            var sameDay = item.OccurredDate.UtcDateTime.Date == item.CreatedAt.UtcDateTime.Date;
            var bound = sameDay ? today : Settings.RescanInterval + slack;
            if (deliveredAt - item.CreatedAt > bound)
            {
                late.Add($"{item.Id} occurred {item.OccurredDate:O} created {item.CreatedAt:O} delivered {deliveredAt:O} (bound {bound})");
            }
        }
        Assert.True(late.Count == 0, $"{late.Count} events delivered later than G1 allows, e.g. {string.Join("; ", late.Take(5))}");
    }

    public async ValueTask DisposeAsync()
    {
        Process.Dispose();
        await Sink.DisposeAsync();
        await Emulator.DisposeAsync();
        KnowBe4Calls.Dispose();
        SinkTransport.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still held open by a failed test must not hide that test's failure.
        }
    }

    /// <summary>The cursor next to the truth, day by day, for failure messages.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var live = Emulator.GroundTruth.LiveEvents().GroupBy(item => DateOnly.FromDateTime(item.OccurredDate.UtcDateTime)).ToDictionary(day => day.Key, day => day.Count());
        text.AppendLine(CultureInfo.InvariantCulture, $"at {Time.GetUtcNow():O}: {live.Values.Sum()} live events, {KnowBe4Calls.Calls.Count} calls, {Sink.AcceptedBatches} batches, {Sink.Events.Count} lines delivered");
        if (Process.Pipeline.Collector.ReadCheckpoint() is { } checkpoint)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"checkpoint: {checkpoint.EventsDelivered} delivered, {checkpoint.OutsideTotal} outside the tracked days");
            text.AppendLine(CultureInfo.InvariantCulture, $"plan: {Process.Pipeline.Plan?.Describe() ?? "none yet"}");
            foreach (var day in checkpoint.Days)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{day.Day:yyyy-MM-dd}: {day.VerifiedTotal} verified (read {day.LastFullScanAt:O}), {live.GetValueOrDefault(day.Day)} live");
            }
        }
        return text.ToString();
    }

    private CollectorProcess NewProcess() =>
        new(_folder, Source, Time, KnowBe4Calls, SinkTransport, Sink.Url, Settings.MaxBatchEvents, Settings.RequestsPerSecond,
            Settings.LoggerFactory ?? (Environment.GetEnvironmentVariable(LogVariable) == "1" ? LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug)) : null),
            Settings.StorageFaults ? _storage.Wrap : null);
}

/// <summary>
/// One collector process as the daemon wires it for a source: its LiteDB file, sink, pacing, ledger and waits, the
/// source's pipeline and its supervisor. Handlers passed in are shared and outlive the process.
/// </summary>
internal sealed class CollectorProcess : IDisposable
{
    private readonly HttpClient _sinkClient;

    public CollectorProcess(
        string dataDirectory,
        SourceDefinition source,
        TimeProvider time,
        HttpMessageHandler knowBe4Handler,
        HttpMessageHandler sinkHandler,
        Uri sinkUrl,
        int maxBatchEvents,
        int requestsPerSecond,
        ILoggerFactory? loggerFactory = null,
        Func<Stream, Stream>? wrapStorage = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        Database = wrapStorage is null ? CollectorDatabase.Open(dataDirectory) : CollectorDatabase.Open(dataDirectory, wrapStorage);
        _sinkClient = new HttpClient(sinkHandler, disposeHandler: false);
        Sink = new HttpLogSink(_sinkClient, new SinkOptions { Url = sinkUrl, MaxBatchEvents = maxBatchEvents }, time, Database, loggerFactory.CreateLogger<HttpLogSink>());
        Limiters = new ApiKeyRateLimiters(time, requestsPerSecond);
        Ledger = new CallLedger(Database, time);
        Services = new CollectionServices(Database, Sink, Limiters, Ledger, new NotBeforeStore(Database, time), knowBe4Handler, time, loggerFactory)
        {
            Retry = CallRetry.Immediate,
        };
        Pipeline = new SourcePipeline(source, Services, "e2e-collector", () => 1);
        Supervisor = new SourceSupervisor(
            new SourceIdentity(source.Id, source.Name),
            Pipeline.Work,
            Database,
            new HealthEventStore(Database),
            new SupervisorOptions { CollectorName = "e2e-collector" },
            time,
            loggerFactory.CreateLogger<SourceSupervisor>(),
            new Random(5));
    }

    public CollectorDatabase Database { get; }

    public HttpLogSink Sink { get; }

    public ApiKeyRateLimiters Limiters { get; }

    public CallLedger Ledger { get; }

    public CollectionServices Services { get; }

    public SourcePipeline Pipeline { get; }

    public SourceSupervisor Supervisor { get; }

    /// <summary>Cancelled to kill the process in the middle of a step.</summary>
    public CancellationTokenSource Lifetime { get; } = new();

    public void Dispose()
    {
        if (!Lifetime.IsCancellationRequested)
        {
            // A graceful stop, as the daemon's: what a failed commit held is written if the file takes it (a kill cannot).
            Pipeline.Collector.CommitHeldAtStop();
        }
        Lifetime.Dispose();
        Limiters.Dispose();
        _sinkClient.Dispose();
        Database.Dispose();
    }
}

/// <summary>One KnowBe4 request as it left the collector.</summary>
/// <param name="At">The clock when it was sent (after the call's simulated duration).</param>
/// <param name="Timestamp">The clock's high-resolution timestamp when it was sent.</param>
/// <param name="Status">The HTTP status, or null when no answer came.</param>
internal sealed record KnowBe4Call(DateTimeOffset At, long Timestamp, string PathAndQuery, int? Status, TimeSpan? RetryAfter);

/// <summary>Records every KnowBe4 request and moves the fake clock by a call's duration as it goes out.</summary>
internal sealed class KnowBe4CallLog(TimeProvider time) : DelegatingHandler
{
    private readonly Lock _gate = new();
    private readonly List<KnowBe4Call> _calls = [];
    private int _started;

    public TimeSpan CallDuration { get; set; }

    /// <summary>Runs before each request goes out, with its 1-based number (for killing a process mid-scan).</summary>
    public Action<int>? BeforeCall { get; set; }

    /// <summary>
    /// Decides a request's answer instead of the emulator (an HTML page, a body that never ends, a slow drip); null
    /// lets it through. It may spend the clock (an answer that comes late).
    /// </summary>
    public Func<CancellationToken, HttpResponseMessage?>? Answer { get; set; }

    public IReadOnlyList<KnowBe4Call> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public int Started => Volatile.Read(ref _started);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        BeforeCall?.Invoke(Interlocked.Increment(ref _started));
        cancellationToken.ThrowIfCancellationRequested();
        if (CallDuration > TimeSpan.Zero && time is FakeTimeProvider fake)
        {
            fake.Advance(CallDuration);
        }
        var at = time.GetUtcNow();
        var timestamp = time.GetTimestamp();
        var path = request.RequestUri!.PathAndQuery;
        try
        {
            var response = Answer?.Invoke(cancellationToken) ?? await base.SendAsync(request, cancellationToken);
            Record(new KnowBe4Call(at, timestamp, path, (int)response.StatusCode, response.Headers.RetryAfter?.Delta));
            return response;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Record(new KnowBe4Call(at, timestamp, path, null, null));
            throw;
        }
    }

    private void Record(KnowBe4Call call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }
    }
}

/// <summary>
/// The collector's side of the sink connection. <see cref="AfterAcceptance"/> runs once the endpoint has accepted a
/// batch and before the collector learns of it: the place to kill the process between acceptance and checkpoint.
/// </summary>
internal sealed class SinkTransportHandler : DelegatingHandler
{
    private int _accepted;

    /// <summary>Called with the 1-based number of each accepted request.</summary>
    public Action<int>? AfterAcceptance { get; set; }

    /// <summary>Runs before each request leaves: may throw like the network (connection refused) or spend the clock (a slow endpoint).</summary>
    public Action<CancellationToken>? BeforeSend { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        BeforeSend?.Invoke(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var response = await base.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            AfterAcceptance?.Invoke(Interlocked.Increment(ref _accepted));
            if (cancellationToken.IsCancellationRequested)
            {
                response.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        return response;
    }
}

/// <summary>Makes the LiteDB file's streams fail every write and flush while <see cref="Failing"/> is set ("no space left on device").</summary>
internal sealed class StorageFaultSwitch
{
    private readonly object _hold = new();
    private bool _holding;
    private volatile bool _failing;
    private int _failures;

    /// <summary>How many writes and flushes failed so far.</summary>
    public int Failures => Volatile.Read(ref _failures);

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    /// <summary>While set, writes and flushes wait (then fail or pass): LiteDB's writer falls behind its commits.</summary>
    public bool Holding
    {
        get
        {
            lock (_hold)
            {
                return _holding;
            }
        }
        set
        {
            lock (_hold)
            {
                _holding = value;
                Monitor.PulseAll(_hold);
            }
        }
    }

    public Stream Wrap(Stream file) => new FailingStream(file, this);

    private void WaitWhileHolding()
    {
        lock (_hold)
        {
            while (_holding)
            {
                Monitor.Wait(_hold);
            }
        }
    }

    private sealed class FailingStream(Stream inner, StorageFaultSwitch storage) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Flush()
        {
            ThrowIfFull();
            inner.Flush();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value)
        {
            ThrowIfFull();
            inner.SetLength(value);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ThrowIfFull();
            inner.Write(buffer, offset, count);
        }

        // Disposing the wrapper leaves the file stream open: it belongs to the database, which closes it after LiteDB.
        private void ThrowIfFull()
        {
            storage.WaitWhileHolding();
            if (storage.Failing)
            {
                Interlocked.Increment(ref storage._failures);
                throw new IOException("No space left on device");
            }
        }
    }
}

/// <summary>
/// The bed's fake clock, which also knows its pending timers: a step that sleeps a moment inside itself (the Reporting
/// pipeline sleeps out a short per-second wait) would otherwise wait forever, as the bed moves the clock only between steps.
/// </summary>
internal sealed class SteppedClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _gate = new();
    private readonly List<PendingTimer> _pending = [];

    /// <summary>When the earliest timer due within <paramref name="within"/> from now fires; null when none is.</summary>
    public DateTimeOffset? NextTimerWithin(TimeSpan within)
    {
        var now = GetUtcNow();
        lock (_gate)
        {
            return _pending.Where(timer => timer.Due > now && timer.Due <= now + within).Select(timer => (DateTimeOffset?)timer.Due).Min();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var pending = new PendingTimer(this, dueTime == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : GetUtcNow() + dueTime);
        lock (_gate)
        {
            _pending.Add(pending);
        }
        pending.Inner = base.CreateTimer(
            s =>
            {
                pending.Remove();
                callback(s);
            },
            state, dueTime, period);
        return pending;
    }

    private sealed class PendingTimer(SteppedClock clock, DateTimeOffset due) : ITimer
    {
        public DateTimeOffset Due { get; private set; } = due;

        public ITimer Inner { get; set; } = null!;

        public void Remove()
        {
            lock (clock._gate)
            {
                clock._pending.Remove(this);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : clock.GetUtcNow() + dueTime;
                if (!clock._pending.Contains(this))
                {
                    clock._pending.Add(this);
                }
            }
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Remove();
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Remove();
            return Inner.DisposeAsync();
        }
    }
}

/// <summary>Follows another clock until frozen, then stands still: the emulator's world stops changing.</summary>
internal sealed class FreezableClock(TimeProvider inner) : TimeProvider
{
    private long _frozenUtcTicks = -1;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    public void Freeze() => Interlocked.Exchange(ref _frozenUtcTicks, inner.GetUtcNow().UtcTicks);

    public override DateTimeOffset GetUtcNow()
    {
        var frozen = Interlocked.Read(ref _frozenUtcTicks);
        return frozen < 0 ? inner.GetUtcNow() : new DateTimeOffset(frozen, TimeSpan.Zero);
    }

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}

/// <summary>What <see cref="EndToEndBed.RefuseTheSecondHalfOfTheNextFullBatch"/> did so far.</summary>
internal sealed class SinkSplitRefusal
{
    public bool SecondHalfRefused { get; set; }
}

/// <summary>One event line an endpoint accepted.</summary>
internal sealed record DeliveredEvent(string Id, byte[] Json, int Batch, DateTimeOffset ReceivedAt);

/// <summary>
/// An HTTP log endpoint on loopback Kestrel: gunzips each POST, records its NDJSON lines, and answers 200 — or 503
/// while <see cref="Refuse"/> says so.
/// </summary>
internal sealed class EndToEndLogSink : IAsyncDisposable
{
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<DeliveredEvent> _events = [];
    private int _batches;
    private int _refused;
    private int _requests;

    private EndToEndLogSink(WebApplication app, TimeProvider time)
    {
        _app = app;
        _time = time;
        app.MapPost("/receiver", ReceiveAsync);
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>When true for a request, it is answered 503 and nothing is recorded.</summary>
    public Func<bool> Refuse { get; set; } = () => false;

    /// <summary>
    /// Decides each request's answer from its 1-based number (all requests counted) and its event count: null accepts
    /// it as usual; any other status refuses it (nothing recorded), e.g. 413 to make the collector split the batch.
    /// </summary>
    public Func<int, int, int?>? Answer { get; set; }

    /// <summary>Called with the number of batches accepted so far, after each accepted batch was recorded.</summary>
    public Action<int>? BatchAccepted { get; set; }

    public IReadOnlyList<DeliveredEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public int AcceptedBatches
    {
        get
        {
            lock (_gate)
            {
                return _batches;
            }
        }
    }

    public int RefusedRequests
    {
        get
        {
            lock (_gate)
            {
                return _refused;
            }
        }
    }

    public static async Task<EndToEndLogSink> StartAsync(TimeProvider time)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxBodyBytes);
        var app = builder.Build();
        var sink = new EndToEndLogSink(app, time);
        await app.StartAsync(TestContext.Current.CancellationToken);
        sink.Url = new Uri(app.Urls.First().TrimEnd('/') + "/receiver");
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = string.Equals(context.Request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase)
            ? Gunzip(body.ToArray())
            : body.ToArray();
        var number = Interlocked.Increment(ref _requests);
        var answer = Refuse() ? StatusCodes.Status503ServiceUnavailable : Answer?.Invoke(number, Lines(bytes).Count());
        if (answer is { } refusal and not StatusCodes.Status200OK)
        {
            lock (_gate)
            {
                _refused++;
            }
            context.Response.StatusCode = refusal;
            return;
        }

        var receivedAt = _time.GetUtcNow();
        int batch;
        lock (_gate)
        {
            batch = ++_batches;
            foreach (var line in Lines(bytes))
            {
                _events.Add(new DeliveredEvent(IdOf(line), line, batch, receivedAt));
            }
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        BatchAccepted?.Invoke(batch);
    }

    private static byte[] Gunzip(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private static IEnumerable<byte[]> Lines(byte[] body)
    {
        var start = 0;
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == (byte)'\n')
            {
                yield return body[start..i];
                start = i + 1;
            }
        }
        if (start < body.Length)
        {
            throw new InvalidDataException("An NDJSON body must end with a newline.");
        }
    }

    private static string IdOf(byte[] line)
    {
        var reader = new Utf8JsonReader(line);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString()!;
            }
            reader.Skip();
        }
        // A Reporting record (issue 10) carries its key in its "_kb4" envelope, not in a string "id".
        if (line.AsSpan().IndexOf("\"_kb4\":"u8) >= 0)
        {
            return "";
        }
        throw new InvalidDataException("A delivered line has no id: " + Encoding.UTF8.GetString(line));
    }
}
