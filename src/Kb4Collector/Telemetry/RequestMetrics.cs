using System.Globalization;
using Prometheus;

namespace Kb4Collector.Telemetry;

/// <summary>
/// The collector's Prometheus registry and the request series fed as requests happen: KnowBe4 calls (from
/// <see cref="KnowBe4MetricsHandler"/>) and sink posts (from the HTTP log sink), each a counter by status and a latency
/// histogram. The runtime's own <c>process_*</c> and <c>dotnet_*</c> series are registered here too. One per daemon.
/// </summary>
public sealed class RequestMetrics
{
    /// <summary>The <c>status</c> label of a request that got no HTTP answer (timeout, refused, reset).</summary>
    public const string NoAnswer = "none";

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter _knowBe4Requests;
    private readonly Histogram _knowBe4Latency;
    private readonly Counter _sinkRequests;
    private readonly Histogram _sinkLatency;

    public RequestMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        _knowBe4Requests = factory.CreateCounter("kb4collector_knowbe4_requests_total", "KnowBe4 API requests sent, by HTTP status (\"none\" when no answer came).", ["status"]);
        _knowBe4Latency = factory.CreateHistogram("kb4collector_knowbe4_request_duration_seconds", "Time from sending a KnowBe4 API request to its response headers.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        _sinkRequests = factory.CreateCounter("kb4collector_sink_requests_total", "Requests posted to the HTTP log endpoint, by HTTP status (\"none\" when no answer came).", ["status"]);
        _sinkLatency = factory.CreateHistogram("kb4collector_sink_request_duration_seconds", "Time from posting a batch to the HTTP log endpoint to its response headers.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
    }

    public CollectorRegistry Registry { get; }

    public void KnowBe4Request(int? status, TimeSpan duration) => Record(_knowBe4Requests, _knowBe4Latency, status, duration);

    public void SinkRequest(int? status, TimeSpan duration) => Record(_sinkRequests, _sinkLatency, status, duration);

    private static void Record(Counter requests, Histogram latency, int? status, TimeSpan duration)
    {
        requests.WithLabels(status?.ToString(CultureInfo.InvariantCulture) ?? NoAnswer).Inc();
        latency.Observe(Math.Max(0, duration.TotalSeconds));
    }
}

/// <summary>Counts and times every KnowBe4 request that reaches the wire (below the rate limiter).</summary>
public sealed class KnowBe4MetricsHandler(RequestMetrics metrics, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        int? status = null;
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            status = (int)response.StatusCode;
            return response;
        }
        finally
        {
            metrics.KnowBe4Request(status, time.GetElapsedTime(started));
        }
    }
}
