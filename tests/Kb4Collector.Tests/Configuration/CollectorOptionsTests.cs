using Kb4Collector.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kb4Collector.Tests.Configuration;

public sealed class CollectorOptionsTests
{
    private static readonly CollectorOptionsValidator Validator = new();

    private static string SingleFailure(CollectorOptions options)
    {
        var result = Validator.Validate(Options.DefaultName, options);
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }

    [Fact]
    public void TheDefaultsAreValid()
    {
        var options = new CollectorOptions();

        Assert.True(Validator.Validate(Options.DefaultName, options).Succeeded);
        Assert.Equal("127.0.0.1:7380", options.Admin.Listen);
        Assert.Equal("sumo", options.Sink.Format);
    }

    [Fact]
    public void EnvironmentStyleKeysOverrideTheFile()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Collector:Sink:Url"] = "https://file.example.com/" })
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Collector:Sink:Url"] = "https://endpoint.collection.sumologic.com/receiver/v1/http/abc",
                ["Collector:Admin:Listen"] = "[::1]:9000",
                ["Collector:AllowAnyBaseUrl"] = "true",
            })
            .Build();
        using var services = new ServiceCollection()
            .AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>()
            .Configure<CollectorOptions>(configuration.GetSection(CollectorOptions.SectionName))
            .BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<CollectorOptions>>().Value;

        Assert.Equal("https://endpoint.collection.sumologic.com/receiver/v1/http/abc", options.Sink.Url);
        Assert.Equal("[::1]:9000", options.Admin.Listen);
        Assert.True(options.AllowAnyBaseUrl);
    }

    [Fact]
    public void InvalidOptionsFailWhenResolved()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Collector:Sink:Format"] = "syslog" })
            .Build();
        using var services = new ServiceCollection()
            .AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>()
            .Configure<CollectorOptions>(configuration.GetSection(CollectorOptions.SectionName))
            .BuildServiceProvider();

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CollectorOptions>>().Value);

        Assert.Contains("Collector:Sink:Format must be one of sumo, splunk-hec, ndjson, not \"syslog\"", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", "is not host:port")]
    [InlineData("127.0.0.1:http", "the port must be a number")]
    [InlineData("127.0.0.1:70000", "the port must be a number from 0 to 65535")]
    [InlineData("admin.example.com:7380", "the host must be an IP address")]
    [InlineData("::1:7380", "IPv6 in brackets")]
    [InlineData("", "is empty")]
    public void ListenMustBeHostColonPort(string listen, string reason)
    {
        var failure = SingleFailure(new CollectorOptions { Admin = { Listen = listen } });

        Assert.StartsWith("Collector:Admin:Listen ", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:7380")]
    [InlineData("127.0.0.2:0")]
    [InlineData("localhost:7380")]
    [InlineData("[::1]:7380")]
    public void LoopbackListenAddressesAreAccepted(string listen)
    {
        Assert.True(Validator.Validate(Options.DefaultName, new CollectorOptions { Admin = { Listen = listen } }).Succeeded);
        Assert.True(ListenAddress.TryParse(listen, out var address, out _));
        Assert.True(address.IsLoopback);
    }

    [Theory]
    [InlineData("0.0.0.0:7380")]
    [InlineData("*:7380")]
    [InlineData("10.1.2.3:7380")]
    [InlineData("[::]:7380")]
    public void NonLoopbackListenNeedsAllowNonLoopback(string listen)
    {
        var failure = SingleFailure(new CollectorOptions { Admin = { Listen = listen } });
        var allowed = new CollectorOptions { Admin = { Listen = listen, AllowNonLoopback = true } };

        Assert.Contains("is not a loopback address", failure, StringComparison.Ordinal);
        Assert.Contains("Collector:Admin:AllowNonLoopback=true", failure, StringComparison.Ordinal);
        Assert.True(Validator.Validate(Options.DefaultName, allowed).Succeeded);
    }

    [Fact]
    public void AStarListenMeansAllInterfaces()
    {
        Assert.True(ListenAddress.TryParse("*:7380", out var address, out _));

        Assert.Equal(System.Net.IPAddress.IPv6Any, address.Address);
        Assert.Equal(7380, address.Port);
        Assert.False(address.IsLoopback);
    }

    [Fact]
    public void AShortAdminTokenIsRefusedWithoutShowingIt()
    {
        var failure = SingleFailure(new CollectorOptions { Admin = { Token = "shorty-token" } });

        Assert.Contains("Collector:Admin:Token is too short", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("shorty-token", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedSinkUrlIsRefusedWithoutShowingIt()
    {
        var failure = SingleFailure(new CollectorOptions { Sink = { Url = "endpoint.collection.sumologic.com/receiver/v1/http/SECRET" } });

        Assert.Contains("Collector:Sink:Url is not an absolute http(s) URL", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void SplunkHecNeedsAToken()
    {
        var failure = SingleFailure(new CollectorOptions { Sink = { Url = "https://splunk.example.com:8088/services/collector", Format = "splunk-hec" } });

        Assert.Contains("Collector:Sink:Token is required when Collector:Sink:Format is splunk-hec", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3601)]
    public void TheRescanIntervalIsBounded(int seconds)
    {
        Assert.Contains("Collector:SourcesRescanSeconds must be from 1 to 3600", SingleFailure(new CollectorOptions { SourcesRescanSeconds = seconds }), StringComparison.Ordinal);
    }

    [Fact]
    public void TheKnowBe4PaceIsBoundFromConfigurationAndDefaultsToKnowBe4sLimit()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Collector:KnowBe4:RequestsPerSecond"] = "250" })
            .Build();

        var options = configuration.GetSection(CollectorOptions.SectionName).Get<CollectorOptions>()!;

        Assert.Equal(250, options.KnowBe4.RequestsPerSecond);
        Assert.Equal(4, new CollectorOptions().KnowBe4.RequestsPerSecond);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(1_000_001)]
    public void TheKnowBe4PaceIsBounded(int requestsPerSecond)
    {
        var failure = SingleFailure(new CollectorOptions { KnowBe4 = { RequestsPerSecond = requestsPerSecond } });

        Assert.StartsWith($"Collector:KnowBe4:RequestsPerSecond must be from 1 to 1000000, not {requestsPerSecond}", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyNamesAndFoldersAreRefused()
    {
        var result = Validator.Validate(Options.DefaultName, new CollectorOptions { Name = " ", DataDirectory = "", SourcesPath = "" });

        Assert.Equal(
            ["Collector:Name must not be empty.", "Collector:DataDirectory must not be empty.", "Collector:SourcesPath must not be empty."],
            result.Failures);
    }
}
