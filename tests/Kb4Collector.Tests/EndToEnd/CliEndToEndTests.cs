using System.Text;
using System.Text.Json;
using Kb4Collector.Cli;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>The command-line client against the emulator on the real clock (<c>--wait</c> waits in real time).</summary>
public sealed class CliEndToEndTests : IAsyncLifetime
{
    private KnowBe4Emulator _emulator = null!;

    public async ValueTask InitializeAsync() =>
        _emulator = await KnowBe4Emulator.StartAsync(
            new EmulatorOptions
            {
                Scenario = new EmulatorScenario
                {
                    Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 100, ApiKeys = ["cli-e2e-key"] }],
                    Backlog = new EmulatorBacklog { Events = 250, Days = 10 },
                    Arrivals = new EmulatorArrivals { SameMillisecondFraction = 0.1 },
                    Limits = EmulatorLimits.Off,
                    Seed = 41,
                },
                StatusProcessingDelay = TimeSpan.Zero,
            },
            TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _emulator.DisposeAsync();

    private Task<CliResult> RunAsync(params string[] args) =>
        CliRunner.RunAsync([.. args, "--base-url", _emulator.BaseUrl.ToString(), "--api-key", _emulator.ApiKey]);

    [Fact]
    public async Task ListAllPrintsEveryEventOfTheAccountAsTheApiHasIt()
    {
        var result = await RunAsync("events", "list", "--json", "--all");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Empty(result.Error);
        using var document = JsonDocument.Parse(result.Output);
        var printed = document.RootElement.GetProperty("data").EnumerateArray().Select(item => item.GetRawText()).ToList();
        var truth = _emulator.GroundTruth.LiveEvents()
            .OrderByDescending(item => item.OccurredDate)
            .ThenByDescending(item => item.Id, StringComparer.Ordinal)
            .Select(item => Encoding.UTF8.GetString(item.Json.Span))
            .ToList();
        Assert.Equal(250, truth.Count);
        Assert.Equal(truth, printed);
    }

    [Fact]
    public async Task CreateWaitGetDeleteThenGetFindsNothing()
    {
        var user = _emulator.Accounts[0].UserEmails[0];
        var created = await RunAsync("events", "create", "--target-user", user, "--event-type", "Lost or stolen equipment",
            "--description", "Left badge at home", "--risk-level", "4", "--wait", "--json");

        Assert.True(created.ExitCode == ExitCodes.Success, created.Error + created.Output);
        using var status = JsonDocument.Parse(created.Output);
        var eventId = Assert.Single(status.RootElement.GetProperty("data").GetProperty("details").GetProperty("events").EnumerateArray()).GetString()!;
        var stored = Assert.Single(_emulator.GroundTruth.LiveEvents(), item => item.Id == eventId);

        var fetched = await RunAsync("events", "get", eventId, "--json");
        Assert.Equal(ExitCodes.Success, fetched.ExitCode);
        using (var fetchedEvent = JsonDocument.Parse(fetched.Output))
        {
            var data = fetchedEvent.RootElement.GetProperty("data");
            Assert.Equal(Encoding.UTF8.GetString(stored.Json.Span), data.GetRawText());
            Assert.Equal("Left badge at home", data.GetProperty("description").GetString());
            Assert.Equal(user, data.GetProperty("user").GetProperty("email").GetString());
            Assert.Equal(4, data.GetProperty("risk").GetProperty("level").GetInt32());
        }

        var deleted = await RunAsync("events", "delete", eventId);
        Assert.Equal(ExitCodes.Success, deleted.ExitCode);
        Assert.True(Assert.Single(_emulator.GroundTruth.AllEvents(), item => item.Id == eventId).IsDeleted);

        var gone = await RunAsync("events", "get", eventId);
        Assert.Equal(ExitCodes.Failure, gone.ExitCode);
        Assert.Contains("HTTP 404", gone.Error, StringComparison.Ordinal);
        Assert.Empty(gone.Output);
    }
}
