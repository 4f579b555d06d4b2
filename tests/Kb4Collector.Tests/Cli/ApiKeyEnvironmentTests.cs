using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.Server;

namespace Kb4Collector.Tests.Cli;

[CollectionDefinition(nameof(ApiKeyEnvironmentGroup), DisableParallelization = true)]
public sealed class ApiKeyEnvironmentGroup;

/// <summary>These tests change the process-wide KB4_API_KEY, so they run alone.</summary>
[Collection(nameof(ApiKeyEnvironmentGroup))]
public sealed class ApiKeyEnvironmentTests : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly string? _saved = Environment.GetEnvironmentVariable(ApiConnection.ApiKeyVariable);

    public ApiKeyEnvironmentTests() =>
        _server.Given(Request.Create().WithPath("/event_types").UsingGet()).RespondWith(KnowBe4WireMock.Json(200, KnowBe4TestData.SpecEventTypes));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(ApiConnection.ApiKeyVariable, _saved);
        _server.Stop();
        _server.Dispose();
    }

    private string SentAuthorization() => Assert.Single(Assert.Single(_server.LogEntries).RequestMessage.Headers!["Authorization"]);

    [Fact]
    public async Task MissingKeyIsAUsageError()
    {
        Environment.SetEnvironmentVariable(ApiConnection.ApiKeyVariable, null);

        var result = await CliRunner.RunAsync("event-types", "list", "--base-url", _server.Urls[0]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--api-key", result.Error, StringComparison.Ordinal);
        Assert.Contains("KB4_API_KEY", result.Error, StringComparison.Ordinal);
        Assert.Empty(_server.LogEntries);
    }

    [Fact]
    public async Task KeyComesFromTheEnvironment()
    {
        Environment.SetEnvironmentVariable(ApiConnection.ApiKeyVariable, "env-key-123");

        var result = await CliRunner.RunAsync("event-types", "list", "--base-url", _server.Urls[0]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("Bearer env-key-123", SentAuthorization());
    }

    [Fact]
    public async Task ApiKeyOptionWinsOverTheEnvironment()
    {
        Environment.SetEnvironmentVariable(ApiConnection.ApiKeyVariable, "env-key-123");

        var result = await CliRunner.RunAsync("event-types", "list", "--base-url", _server.Urls[0], "--api-key", "option-key");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("Bearer option-key", SentAuthorization());
    }
}
