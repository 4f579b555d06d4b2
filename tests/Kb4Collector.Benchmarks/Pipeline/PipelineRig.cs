using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Kb4Collector.Collection;
using Kb4Collector.Lifecycle;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.Emulator;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kb4Collector.Benchmarks.Pipeline;

/// <summary>What one drain did.</summary>
public sealed record DrainResult(long Events, int Calls, TimeSpan Elapsed)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;
}

/// <summary>
/// A KnowBe4 API (the emulator, limits off) and an HTTP log endpoint, and two ways of moving the events from one to the
/// other: the collector's first run (<see cref="DrainAsync"/>), and a raw copy of the same pages (<see cref="RawCopyAsync"/>).
/// </summary>
public sealed class PipelineRig : IDisposable
{
    /// <summary>The backlog spreads over this many days; the source looks back one more.</summary>
    public const int BacklogDays = 7;

    private const int PageSize = 100;
    private const int PagesPerPost = 10;

    private static readonly TimeSpan Lookback = TimeSpan.FromDays(BacklogDays + 1);

    private readonly Uri _apiBase;
    private readonly string _apiKey;
    private readonly Uri _sinkUrl;
    private readonly SocketsHttpHandler _knowBe4Connections = new();
    private readonly SocketsHttpHandler _sinkConnections = new();
    private readonly HttpClient _rawApi;
    private readonly HttpClient _rawSink;
    private List<string> _pages = [];
    private long _events;
    private int _run;

    public PipelineRig(Uri apiBase, string apiKey, Uri sinkUrl)
    {
        _apiBase = apiBase;
        _apiKey = apiKey;
        _sinkUrl = sinkUrl;
        _rawApi = new HttpClient(new SocketsHttpHandler()) { BaseAddress = apiBase };
        _rawApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        _rawSink = new HttpClient(new SocketsHttpHandler());
    }

    /// <summary>One account with <paramref name="events"/> events over <see cref="BacklogDays"/> days; no limits, no arrivals.</summary>
    public static EmulatorScenario Scenario(int events) => new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Bench", Seats = 100_000, ApiKeys = ["bench-key-0123456789"] }],
        Backlog = new EmulatorBacklog { Events = events, Days = BacklogDays },
        Limits = EmulatorLimits.Off,
        Seed = 1,
    };

    /// <summary>Lists the day pages the collector reads (one count per day, not part of any measurement).</summary>
    public async Task PrepareAsync()
    {
        var today = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime);
        var pages = new List<string>();
        long events = 0;
        for (var day = today.AddDays(-(BacklogDays + 1)); day <= today; day = day.AddDays(1))
        {
            var query = DayQuery(day);
            using var count = JsonDocument.Parse(await _rawApi.GetByteArrayAsync(new Uri(query + "&page=1&per_page=1", UriKind.Relative)));
            var total = count.RootElement.GetProperty("meta").GetProperty("total_pages").GetInt32();
            events += total;
            for (var page = 1; page <= (total + PageSize - 1) / PageSize; page++)
            {
                pages.Add(query + string.Create(CultureInfo.InvariantCulture, $"&page={page}&per_page={PageSize}"));
            }
        }
        _pages = pages;
        _events = events;
    }

    public long BacklogEvents => _events;

    /// <summary>A first run of a new source over the whole backlog: every event read, delivered (gzip NDJSON) and checkpointed.</summary>
    public async Task<DrainResult> DrainAsync(CancellationToken cancellationToken = default)
    {
        var time = TimeProvider.System;
        var folder = Path.Combine(Path.GetTempPath(), "kb4-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var database = CollectorDatabase.Open(folder);
            using var sinkClient = new HttpClient(_sinkConnections, disposeHandler: false);
            using var limiters = new ApiKeyRateLimiters(time, requestsPerSecond: 1_000_000);
            var sink = new HttpLogSink(sinkClient, new SinkOptions { Url = _sinkUrl }, time, database, NullLogger<HttpLogSink>.Instance);
            var ledger = new CallLedger(database, time);
            var services = new CollectionServices(database, sink, limiters, ledger, new NotBeforeStore(database, time), _knowBe4Connections, time, NullLoggerFactory.Instance);
            var source = new SourceDefinition
            {
                Name = "bench-" + (++_run).ToString(CultureInfo.InvariantCulture),
                BaseUrl = _apiBase,
                ApiKey = _apiKey,
                SourceFile = "bench.json",
                LicensedUsers = 100_000,
                InitialLookback = Lookback,
                BackdateHorizon = Lookback,
            };
            var pipeline = new SourcePipeline(source, services, "bench", () => 1);
            await pipeline.Work.InitializeAsync(cancellationToken);

            var started = Stopwatch.GetTimestamp();
            await pipeline.Work.PollOnceAsync(PollProgress.None, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);

            var checkpoint = pipeline.Collector.ReadCheckpoint()!;
            return new DrainResult(checkpoint.EventsDelivered, ledger.Status(source.ApiKeyFingerprint, time.GetUtcNow()).Used, elapsed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The same pages fetched with a plain HttpClient and posted unparsed, ten pages (1,000 events) per request.</summary>
    public async Task<DrainResult> RawCopyAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        using var batch = new MemoryStream(1 << 20);
        var inBatch = 0;
        foreach (var page in _pages)
        {
            using (var response = await _rawApi.GetAsync(new Uri(page, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
                await response.Content.CopyToAsync(batch, cancellationToken);
            }
            batch.WriteByte((byte)'\n');
            if (++inBatch == PagesPerPost)
            {
                await PostAsync(batch, cancellationToken);
                inBatch = 0;
            }
        }
        if (inBatch > 0)
        {
            await PostAsync(batch, cancellationToken);
        }
        return new DrainResult(_events, _pages.Count, Stopwatch.GetElapsedTime(started));
    }

    public void Dispose()
    {
        _rawApi.Dispose();
        _rawSink.Dispose();
        _knowBe4Connections.Dispose();
        _sinkConnections.Dispose();
    }

    private async Task PostAsync(MemoryStream batch, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(batch.GetBuffer(), 0, (int)batch.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await _rawSink.PostAsync(_sinkUrl, content, cancellationToken);
        response.EnsureSuccessStatusCode();
        batch.SetLength(0);
    }

    private static string DayQuery(DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"events?occurred_date={day:yyyy-MM-dd}&order_by=occurred_date&order_direction=asc");
}
