using Kb4Collector.Delivery;

namespace Kb4Collector.Tests.Delivery;

public sealed class SinkOptionsTests
{
    private static readonly Uri SumoUrl = new("https://endpoint1.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV-CODE");

    [Fact]
    public void DefaultsFollowSumosCollector()
    {
        var options = new SinkOptions { Url = SumoUrl };

        Assert.Empty(options.Validate());
        Assert.Equal(SinkFormat.Sumo, options.Format);
        Assert.Equal(1_000_000, options.MaxBatchBytes);
        Assert.Equal(1_000, options.MaxBatchEvents);
        Assert.Equal(TimeSpan.FromSeconds(1), options.FlushInterval);
        Assert.True(options.Gzip);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
    }

    [Fact]
    public void EveryProblemIsReportedWithItsField()
    {
        var options = new SinkOptions
        {
            Url = new Uri("ftp://example.com/x"),
            MaxBatchBytes = 2_000_000,
            MaxBatchEvents = 0,
            FlushInterval = TimeSpan.Zero,
            Timeout = TimeSpan.FromHours(1),
        };

        var fields = options.Validate().Select(error => error.Field).ToList();

        Assert.Equal(["Url", "MaxBatchBytes", "MaxBatchEvents", "FlushInterval", "Timeout"], fields);
    }

    [Fact]
    public void TheBatchSizeIsCappedAtOneMegabyte()
    {
        Assert.Empty(new SinkOptions { Url = SumoUrl, MaxBatchBytes = SinkOptions.MaxBatchBytesCap }.Validate());
        var error = Assert.Single(new SinkOptions { Url = SumoUrl, MaxBatchBytes = SinkOptions.MaxBatchBytesCap + 1 }.Validate());
        Assert.Equal("MaxBatchBytes", error.Field);
    }

    [Fact]
    public void SplunkHecNeedsAToken()
    {
        var error = Assert.Single(new SinkOptions { Url = new Uri("https://splunk:8088/services/collector/event"), Format = SinkFormat.SplunkHec }.Validate());

        Assert.Equal("Token", error.Field);
    }

    [Fact]
    public void NdjsonRefusesATokenItWouldNotSend()
    {
        var error = Assert.Single(new SinkOptions { Url = new Uri("http://127.0.0.1:9000/"), Format = SinkFormat.Ndjson, Token = "t" }.Validate());

        Assert.Equal("Token", error.Field);
    }

    [Fact]
    public void PrintingTheOptionsHidesTheTokenAndTheSumoCode()
    {
        var text = new SinkOptions { Url = SumoUrl, Token = "super-secret-token" }.ToString();

        Assert.DoesNotContain("super-secret-token", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ZaVnC4dhaV-CODE", text, StringComparison.Ordinal);
        Assert.Contains("https://endpoint1.collection.sumologic.com/receiver/v1/http/********", text, StringComparison.Ordinal);
    }
}
