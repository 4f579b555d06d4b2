using System.Net;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Emulator;

public sealed class EmulatorScenarioTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kb4-emulator-scenario-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_folder, $"scenario-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task ExampleScenarioLoadsAndServesItsAccounts()
    {
        var scenario = EmulatorScenario.Load(EmulatorTestHelpers.RepositoryFile("config/emulator/scenario.example.json"));
        var clock = new FakeTimeProvider(EmulatorTestHelpers.Start);
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, clock);
        using var acme = EmulatorTestHelpers.Client(emulator, "acme-demo-key-1");
        using var globex = EmulatorTestHelpers.Client(emulator, emulator.Accounts[1].ApiKeys[0].Secret);

        var (acmeStatus, acmeEvents) = await acme.GetJsonAsync("events?per_page=100");
        var (_, globexEvents) = await globex.GetJsonAsync("events?per_page=100");

        Assert.Equal(42, scenario.Seed);
        Assert.Equal(7, scenario.Faults.Count);
        Assert.Equal([EmulatorFaultKind.ServerError, EmulatorFaultKind.RateLimitedWithRetryAfter, EmulatorFaultKind.RateLimited, EmulatorFaultKind.Slow,
                      EmulatorFaultKind.Truncated, EmulatorFaultKind.Malformed, EmulatorFaultKind.KeyRevoked], scenario.Faults.Select(f => f.Kind));
        Assert.Equal(TimeSpan.FromSeconds(5), scenario.Faults[3].Delay);
        Assert.Equal(TimeSpan.FromMinutes(10), scenario.Faults[0].From?.Offset);
        Assert.Equal(HttpStatusCode.OK, acmeStatus);
        Assert.All(acmeEvents.Data().EnumerateArray(), e => Assert.Equal(52306, e.GetProperty("account_id").GetInt64()));
        Assert.All(globexEvents.Data().EnumerateArray(), e => Assert.Equal(585832, e.GetProperty("account_id").GetInt64()));
        Assert.Equal(2000, emulator.GroundTruth.AllEvents().Count);
        Assert.True(emulator.Accounts[1].ApiKeys[0].Generated);
        Assert.Equal(3, emulator.Accounts[1].ApiKeys[0].Secret.Split('.').Length);
        Assert.DoesNotContain(emulator.Accounts[1].ApiKeys[0].Secret, emulator.Accounts[1].ApiKeys[0].ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"arrivals":{"backdatedFraction":1.5}}""", "arrivals.backdatedFraction must be between 0 and 1")]
    [InlineData("""{"acounts":[]}""", "acounts")]
    [InlineData("""{"faults":[{"kind":"Meteor"}]}""", "$.faults[0].kind")]
    [InlineData("""{"faults":[{"kind":"Slow","from":"soon"}]}""", "$.faults[0].from")]
    [InlineData("""{"faults":[{"kind":"ServerError","status":404}]}""", "faults[0].status must be a 5xx status")]
    [InlineData("""{"faults":[{"kind":"ServerError","from":"00:10:00","to":"00:05:00"}]}""", "faults[0].to must be later than from")]
    [InlineData("""{"faults":[{"kind":"KeyRevoked","apiKey":"nope"}]}""", "faults[0].apiKey does not match")]
    [InlineData("""{"accounts":[{"name":"A","apiKeys":["k"]},{"name":"B","apiKeys":["k"]}]}""", "accounts[1].apiKeys[0] is used more than once")]
    [InlineData("""{"accounts":[]}""", "accounts must list at least one account")]
    [InlineData("""{"limits":{"requestsPerSecond":-1}}""", "limits.requestsPerSecond must be 0 (off) or more")]
    [InlineData("""{"seed": 1,""", "is invalid")]
    [InlineData("""{"backlog":null}""", "backlog must be an object")]
    [InlineData("""{"accounts":[{"name":" "}]}""", "accounts[0].name must not be empty")]
    public void InvalidScenarioErrorsNameTheFileAndTheField(string json, string expected)
    {
        var path = Write(json);

        var exception = Assert.Throws<EmulatorScenarioException>(() => EmulatorScenario.Load(path));

        Assert.StartsWith(path + ": ", exception.Message, StringComparison.Ordinal);
        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
        Assert.Equal(path, exception.SourceName);
    }

    [Fact]
    public async Task NullListsInAScenarioFileMeanEmpty()
    {
        var scenario = EmulatorScenario.Load(Write("""{"faults":null,"accounts":[{"name":"A","apiKeys":null}],"limits":{"requestsPerSecond":0,"callsPerSeatPerDay":0}}"""));
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, new FakeTimeProvider(EmulatorTestHelpers.Start));
        using var client = EmulatorTestHelpers.Client(emulator);

        var (status, _) = await client.GetJsonAsync("events");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(emulator.Accounts[0].ApiKeys[0].Generated);
    }

    [Fact]
    public void MissingFileIsAScenarioError()
    {
        var path = Path.Combine(_folder, "missing.json");

        var exception = Assert.Throws<EmulatorScenarioException>(() => EmulatorScenario.Load(path));

        Assert.Contains("missing.json", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScenarioBuiltInCodeIsValidatedAtStart()
    {
        var scenario = new EmulatorScenario { Backlog = new EmulatorBacklog { Events = -1 } };

        var exception = await Assert.ThrowsAsync<EmulatorScenarioException>(() =>
            KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = scenario }, TestContext.Current.CancellationToken));

        Assert.Contains("backlog.events", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:05:00", true, 300)]
    [InlineData("1.02:00:00", true, 93_600)]
    [InlineData("2025-03-10T12:30:00Z", false, 1800)]
    public void EmulatorTimeIsAnOffsetOrAnInstant(string text, bool isOffset, int secondsAfterStart)
    {
        Assert.True(EmulatorTime.TryParse(text, out var time));

        Assert.Equal(isOffset, time.IsOffset);
        Assert.Equal(EmulatorTestHelpers.Start.AddSeconds(secondsAfterStart), time.Resolve(EmulatorTestHelpers.Start));
    }
}
