using System.Globalization;
using System.Net;

namespace Kb4Collector.Tests.Admin;

[Collection(AdminDaemonGroup.Name)]
public sealed class AdminMetricsTests(AdminDaemonFixture daemon)
{
    [Fact]
    public async Task Metrics_are_Prometheus_text_with_the_source_series()
    {
        await daemon.WaitForSteadyStateAsync();
        var text = await ScrapeAsync();

        var good = $"source=\"{AdminDaemonFixture.GoodName}\",source_id=\"{daemon.GoodId}\"";
        var bad = $"source=\"{AdminDaemonFixture.BadName}\",source_id=\"{daemon.BadId}\"";

        Assert.Contains("# TYPE kb4collector_source_state gauge", text, StringComparison.Ordinal);
        Assert.Equal(1, Value(text, $"kb4collector_source_state{{{good},state=\"Collecting\"}}"));
        Assert.Equal(0, Value(text, $"kb4collector_source_state{{{good},state=\"Error\"}}"));
        Assert.Equal(1, Value(text, $"kb4collector_source_state{{{bad},state=\"Error\"}}"));
        Assert.Equal(7, text.Split('\n').Count(line => line.StartsWith($"kb4collector_source_state{{{good},", StringComparison.Ordinal)));

        Assert.Contains("# TYPE kb4collector_events_delivered_total counter", text, StringComparison.Ordinal);
        Assert.True(Value(text, $"kb4collector_events_delivered_total{{{good}}}") > 0);
        Assert.Equal(0, Value(text, $"kb4collector_events_delivered_total{{{bad}}}"));

        Assert.True(Value(text, $"kb4collector_source_knowbe4_calls_today{{{good}}}") > 0);
        Assert.Equal(500, Value(text, $"kb4collector_source_quota_budget{{{good}}}"));
        Assert.Equal(200, Value(text, $"kb4collector_source_quota_budget{{{bad}}}"));
        Assert.InRange(Value(text, $"kb4collector_source_quota_remaining{{{good}}}"), 1, 499);

        Assert.Equal(1, Value(text, $"kb4collector_source_unresolved_health_events{{{bad},event_name=\"ThirdPartyConfigError\"}}"));
        Assert.Equal(0, Value(text, $"kb4collector_source_unresolved_health_events{{{good},event_name=\"ThirdPartyConfigError\"}}"));
        Assert.Equal(0, Value(text, $"kb4collector_source_unresolved_health_events{{{bad},event_name=\"FirstPartyGenericError\"}}"));

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(Value(text, $"kb4collector_source_last_success_timestamp_seconds{{{good}}}"), now - 600, now + 1);
        Assert.DoesNotContain($"kb4collector_source_last_success_timestamp_seconds{{{bad}}}", text, StringComparison.Ordinal);
        Assert.Equal(0, Value(text, $"kb4collector_source_dead_letters{{{bad}}}"));

        Assert.Equal(2, Value(text, "kb4collector_sources"));
        Assert.Equal(2, Value(text, "kb4collector_config_problems{severity=\"warning\"}"));
        var info = text.Split('\n').Single(line => line.StartsWith("kb4collector_info{", StringComparison.Ordinal));
        Assert.Matches("^kb4collector_info\\{collector=\"admin-test-collector\",version=\"[^\"]+\"\\} 1$", info);

        Assert.All(text.Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#')), line => Assert.Matches("^(kb4collector|process|dotnet)_", line));
        Assert.DoesNotContain(AdminDaemonFixture.GoodKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.BadKey, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_pass_a_strict_Prometheus_text_parser_with_request_histograms_and_runtime_series()
    {
        await daemon.WaitForSteadyStateAsync();

        var families = Kb4Collector.Tests.Support.PrometheusTextParser.Parse(await ScrapeAsync());

        Assert.Equal("counter", families["kb4collector_knowbe4_requests_total"].Type);
        Assert.True(Sum(families["kb4collector_knowbe4_requests_total"], status: "200") > 0);
        Assert.True(Sum(families["kb4collector_sink_requests_total"], status: "200") > 0);
        foreach (var histogram in new[] { "kb4collector_knowbe4_request_duration_seconds", "kb4collector_sink_request_duration_seconds" })
        {
            Assert.Equal("histogram", families[histogram].Type);
            Assert.True(families[histogram].Samples.Single(sample => sample.Name == histogram + "_count").Value > 0);
        }
        Assert.Equal("counter", families["kb4collector_events_delivered_total"].Type);
        Assert.Equal("gauge", families["kb4collector_source_last_success_timestamp_seconds"].Type);
        Assert.Contains(families.Keys, name => name.StartsWith("process_", StringComparison.Ordinal));
        Assert.Contains(families.Keys, name => name.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.All(families.Keys.Where(name => families[name].Type == "counter"), name => Assert.EndsWith("_total", name, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("# TYPE a_total counter\na_total{x=\"1} 1\n")]
    [InlineData("# TYPE a counter\na 1\n")]
    [InlineData("# TYPE a gauge\nb 1\n")]
    [InlineData("# TYPE a gauge\na 1\na 2\n")]
    [InlineData("# TYPE a gauge\na one\n")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n")]
    [InlineData("# TYPE a gauge\na{x=\"\\q\"} 1\n")]
    [InlineData("# TYPE a gauge\na 1")]
    public void The_parser_is_strict(string text)
    {
        Assert.Throws<FormatException>(() => Kb4Collector.Tests.Support.PrometheusTextParser.Parse(text));
    }

    private static double Sum(Kb4Collector.Tests.Support.PrometheusFamily family, string status) =>
        family.Samples.Where(sample => sample.Labels.GetValueOrDefault("status") == status).Sum(sample => sample.Value);

    [Fact]
    public async Task Dead_letters_show_in_the_next_scrape()
    {
        var store = daemon.Runtime.Services.Sink.DeadLetters;
        const string Id = "00000000-0000-4000-8000-00000000f001";
        store.Add(daemon.BadId, new Kb4Collector.Delivery.SinkEvent(Id, "{\"id\":\"00000000-0000-4000-8000-00000000f001\"}"u8.ToArray()), 422, "HTTP 422");
        try
        {
            var text = await ScrapeAsync();
            Assert.Equal(1, Value(text, $"kb4collector_source_dead_letters{{source=\"{AdminDaemonFixture.BadName}\",source_id=\"{daemon.BadId}\"}}"));
        }
        finally
        {
            store.Remove(daemon.BadId, Id);
        }
    }

    private async Task<string> ScrapeAsync()
    {
        var (status, body, response) = await daemon.SendAsync(HttpMethod.Get, "/metrics");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(response.Content.Headers.ContentType!.Parameters, parameter => parameter.Name == "version" && parameter.Value == "0.0.4");
        }
        return body;
    }

    /// <summary>The value of the series written exactly as <paramref name="series"/> (name and labels).</summary>
    private static double Value(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(line => line.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no series {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
