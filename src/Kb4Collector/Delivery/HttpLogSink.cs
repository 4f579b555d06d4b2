using System.Buffers;
using System.IO.Compression;
using System.Text;
using Kb4Collector.Configuration;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Kb4Collector.Telemetry;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Delivery;

/// <summary>
/// Sends KnowBe4 events to the HTTP log endpoint in batches and reports acceptance per call: the caller moves its
/// checkpoint only after <see cref="SendAsync"/> returns. No internal retries: a retryable refusal throws
/// <see cref="SinkException"/> and the caller owns the retry (FirstPartyGeneric window). Safe to share between sources.
/// </summary>
public sealed class HttpLogSink
{
    public const string ClientName = "kb4collector";

    private const int DetailLimit = 1024;

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<HttpLogSink> _logger;
    private readonly RequestMetrics? _metrics;
    private readonly string _contentType;
    private readonly string? _hecAuthorization;

    public HttpLogSink(HttpClient httpClient, SinkOptions options, TimeProvider timeProvider, CollectorDatabase database, ILogger<HttpLogSink> logger, RequestMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid sink options: " + string.Join("; ", errors), nameof(options));
        }
        _httpClient = httpClient;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
        Options = options;
        Endpoint = SinkEndpoint.Describe(options.Url);
        DeadLetters = new DeadLetterStore(database, timeProvider, logger);
        _contentType = options.Format switch
        {
            SinkFormat.SplunkHec => "application/json",
            SinkFormat.Ndjson => "application/x-ndjson",
            _ => "text/plain; charset=utf-8",
        };
        _hecAuthorization = options.Format == SinkFormat.SplunkHec ? "Splunk " + options.Token : null;
    }

    public SinkOptions Options { get; }

    /// <summary>The endpoint as it may appear in messages: no credentials, no query, Sumo collector code masked.</summary>
    public string Endpoint { get; }

    /// <summary>Events the endpoint refused one by one (LiteDB <c>dead_letters</c>).</summary>
    public DeadLetterStore DeadLetters { get; }

    /// <summary>
    /// Delivers <paramref name="events"/> in order, in batches of at most <see cref="SinkOptions.MaxBatchBytes"/>
    /// (uncompressed) and <see cref="SinkOptions.MaxBatchEvents"/>. Returns when every event is accepted or dead-lettered.
    /// A batch refused with 400/413/422 is split in halves; a single refused event becomes a dead letter.
    /// </summary>
    /// <exception cref="SinkException">
    /// The endpoint refused in a retryable way (408, 429, 5xx, 401/403/404, other statuses, timeout, network).
    /// <see cref="SinkException.Delivered"/> says how many leading events were settled before that; the failed request
    /// may itself have been partly ingested (Sumo's 408), so a retry is at-least-once.
    /// </exception>
    /// <exception cref="SourceConfigurationException">The target's metadata cannot be sent in this format (see <see cref="SinkTarget.Validate"/>).</exception>
    public Task<DeliveryReport> SendAsync(string sourceId, SinkTarget target, IReadOnlyList<SinkEvent> events, CancellationToken cancellationToken)
        => SendAsync(sourceId, target, events, refusedEventIds: null, cancellationToken);

    internal async Task<DeliveryReport> SendAsync(
        string sourceId, SinkTarget target, IReadOnlyList<SinkEvent> events, ICollection<string>? refusedEventIds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(events);
        var targetErrors = target.Validate(Options.Format);
        if (targetErrors.Count > 0)
        {
            throw new SourceConfigurationException(
                $"Source '{target.SourceName}' cannot be sent to the {Options.Format} sink: {string.Join("; ", targetErrors)}", targetErrors[0].Field);
        }
        if (events.Count == 0)
        {
            return default;
        }

        var run = new DeliveryRun(sourceId, target, refusedEventIds);
        using var batch = new SinkBatch(Options.Format, target, Options.MaxBatchBytes, Options.MaxBatchEvents);
        using var compressed = Options.Gzip ? new PooledBuffer(Options.MaxBatchBytes / 2) : null;
        var start = 0;
        while (start < events.Count)
        {
            var count = batch.Fill(events, start, Options.MaxBatchBytes, Options.MaxBatchEvents);
            await DeliverAsync(run, batch, events, 0, count, compressed, cancellationToken);
            start += count;
        }
        return run.Report;
    }

    private async Task DeliverAsync(
        DeliveryRun run, SinkBatch batch, IReadOnlyList<SinkEvent> events, int from, int to, PooledBuffer? compressed, CancellationToken cancellationToken)
    {
        var response = await PostAsync(run, batch.Lines(from, to), to - from, compressed, cancellationToken);
        switch (SinkResponseClassifier.Classify(response.StatusCode))
        {
            case SinkResponseClass.Accepted:
                run.Accepted += to - from;
                return;
            case SinkResponseClass.Refused when to - from > 1:
                Log.BatchSplit(_logger, Endpoint, to - from, run.SourceId, response.StatusCode);
                var middle = from + ((to - from) / 2);
                await DeliverAsync(run, batch, events, from, middle, compressed, cancellationToken);
                await DeliverAsync(run, batch, events, middle, to, compressed, cancellationToken);
                return;
            case SinkResponseClass.Refused:
                var refused = events[batch.FirstEvent + from];
                var reason = $"{response.StatusCode}: {response.Detail}";
                DeadLetters.Add(run.SourceId, refused, response.StatusCode, reason);
                run.RefusedEventIds?.Add(refused.Id);
                run.DeadLettered++;
                Log.EventDeadLettered(_logger, Endpoint, refused.Id, run.SourceId, response.StatusCode, response.Detail);
                return;
            default:
                throw Failure(run, response.StatusCode, $"answered {response.StatusCode}: {response.Detail}", response.RetryAfter, null);
        }
    }

    private async Task<SinkResponse> PostAsync(DeliveryRun run, ReadOnlyMemory<byte> lines, int eventCount, PooledBuffer? compressed, CancellationToken cancellationToken)
    {
        var body = lines;
        if (compressed is not null)
        {
            compressed.Reset();
            using (var gzip = new GZipStream(compressed.AsStream(), CompressionLevel.Fastest))
            {
                gzip.Write(lines.Span);
            }
            body = compressed.WrittenMemory;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, Options.Url) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", _contentType);
        if (compressed is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        }
        AddFormatHeaders(request, run);
        run.Requests++;
        run.BytesSent += body.Length;

        using var timeout = new CancellationTokenSource(Options.Timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _timeProvider.GetTimestamp();
        int? answered = null;
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            answered = status;
            _metrics?.SinkRequest(status, _timeProvider.GetElapsedTime(started));
            Log.BatchSent(_logger, run.SourceId, eventCount, body.Length, Endpoint, status);
            if (SinkResponseClassifier.Classify(status) == SinkResponseClass.Accepted)
            {
                return new SinkResponse(status, "", null);
            }
            var detail = status is >= 300 and < 400
                ? $"a redirect, which is not followed (events and token stay here); Location: {Redact(RedirectTarget(response))}"
                : await ReadDetailAsync(response, linked.Token);
            return new SinkResponse(status, detail, RetryAfter.From(response, _timeProvider));
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            RecordNoAnswer(answered, started);
            throw Failure(run, null, $"gave no answer within {Options.Timeout.TotalSeconds:0.###} s", null, exception);
        }
        catch (HttpRequestException exception)
        {
            RecordNoAnswer(answered, started);
            throw Failure(run, null, "could not be reached: " + Redact(exception.Message), null, exception);
        }
    }

    private void RecordNoAnswer(int? answered, long started)
    {
        if (answered is null)
        {
            _metrics?.SinkRequest(null, _timeProvider.GetElapsedTime(started));
        }
    }

    private void AddFormatHeaders(HttpRequestMessage request, DeliveryRun run)
    {
        var headers = request.Headers;
        switch (Options.Format)
        {
            case SinkFormat.Sumo:
                headers.TryAddWithoutValidation("X-Sumo-Client", ClientName);
                AddIfPresent(headers, "X-Sumo-Name", run.Target.SourceName);
                AddIfPresent(headers, "X-Sumo-Category", run.Target.Category);
                AddIfPresent(headers, "X-Sumo-Host", run.Target.Host);
                AddIfPresent(headers, "X-Sumo-Fields", run.SumoFields);
                AddIfPresent(headers, "X-Sumo-Token", Options.Token);
                break;
            case SinkFormat.SplunkHec:
                headers.TryAddWithoutValidation("Authorization", _hecAuthorization);
                break;
            case SinkFormat.Ndjson:
                break;
        }

        static void AddIfPresent(System.Net.Http.Headers.HttpRequestHeaders headers, string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    /// <summary>At most 1 KiB of the answer, on one line, without secrets: enough to say why, bounded whatever the server sends.</summary>
    private async Task<string> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(DetailLimit);
        try
        {
            var total = 0;
            await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
            {
                int read;
                while (total < DetailLimit && (read = await stream.ReadAsync(buffer.AsMemory(total, DetailLimit - total), cancellationToken)) > 0)
                {
                    total += read;
                }
            }
            var text = new StringBuilder(Encoding.UTF8.GetString(buffer, 0, total));
            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsControl(text[i]))
                {
                    text[i] = ' ';
                }
            }
            var detail = text.ToString().Trim();
            return detail.Length > 0 ? Redact(detail) : response.ReasonPhrase ?? "no detail";
        }
        catch (HttpRequestException)
        {
            return response.ReasonPhrase ?? "no detail";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Where a 3xx points, without its query (which may carry a credential).</summary>
    internal static string RedirectTarget(HttpResponseMessage response) => response.Headers.Location switch
    {
        null => "none given",
        { IsAbsoluteUri: true } location => SinkEndpoint.Describe(location),
        var relative => relative.OriginalString.Split('?')[0],
    };

    private string Redact(string text) => SinkEndpoint.Redact(text, Options.Url, Options.Token);

    private SinkException Failure(DeliveryRun run, int? statusCode, string what, TimeSpan? retryAfter, Exception? inner)
        => new(Endpoint, statusCode, $"The HTTP log sink {Endpoint} {what}", retryAfter, inner) { Delivered = run.Report };

    private readonly record struct SinkResponse(int StatusCode, string Detail, TimeSpan? RetryAfter);

    private sealed class DeliveryRun(string sourceId, SinkTarget target, ICollection<string>? refusedEventIds)
    {
        public string SourceId { get; } = sourceId;
        public SinkTarget Target { get; } = target;
        public string? SumoFields { get; } = target.SumoFieldsHeader();
        public ICollection<string>? RefusedEventIds { get; } = refusedEventIds;
        public int Accepted { get; set; }
        public int DeadLettered { get; set; }
        public int Requests { get; set; }
        public long BytesSent { get; set; }
        public DeliveryReport Report => new(Accepted, DeadLettered, Requests, BytesSent);
    }
}
