using Kb4Collector.Cli;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Configuration;

/// <summary><c>kb4collector test</c> against the in-process emulator: one call per source, classified like the daemon would.</summary>
public sealed class SourceTestCommandTests : IDisposable
{
    private const string GoodKey = "test-key-1";
    private const string WrongKey = "not-a-known-key-0123456789";
    private const string GoodKeyName = "Acme key 1";

    private readonly TempSourceFolder _folder = new();

    [Fact]
    public async Task A_good_key_authenticates_with_exactly_one_call_and_reports_the_account_size()
    {
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 7), new FakeTimeProvider(EmulatorTestHelpers.Start));
        _folder.Write("acme.json", SourceJson.Single(Source("Acme", emulator, GoodKey)));

        var result = await CliRunner.RunAsync("test", _folder.Path);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Output + result.Error);
        Assert.Equal(
            [$"ok: source \"Acme\": authenticated to {emulator.BaseUrl.AbsoluteUri} (7 events in the account)", "1 source tested: 1 ok, 0 failed; 0 configuration errors."],
            Lines(result.Output));
        Assert.Equal(1, emulator.GroundTruth.CallsByKey[GoodKeyName].Requests);
        AssertNoKeyIn(result);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(500)]
    public async Task A_wrong_key_fails_as_ThirdPartyConfig_whether_KnowBe4_answers_401_or_500(int unknownKeyStatus)
    {
        var scenario = EmulatorTestHelpers.Quiet() with { UnknownKeyStatus = unknownKeyStatus };
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, new FakeTimeProvider(EmulatorTestHelpers.Start));
        _folder.Write("wrong.json", SourceJson.Single(Source("Wrong", emulator, WrongKey)));

        var result = await CliRunner.RunAsync("test", _folder.Path);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        var line = Lines(result.Output)[0];
        Assert.StartsWith("failed: source \"Wrong\": ThirdPartyConfig: KnowBe4 GET /events (HTTP " + unknownKeyStatus, line, StringComparison.Ordinal);
        Assert.Equal(1, emulator.GroundTruth.UnauthorizedServed);
        AssertNoKeyIn(result);
    }

    [Fact]
    public async Task A_KnowBe4_outage_fails_as_ThirdPartyGeneric_without_a_retry()
    {
        var scenario = EmulatorTestHelpers.Quiet() with { Faults = [new EmulatorFault { Kind = EmulatorFaultKind.ServerError, Status = 503 }] };
        await using var emulator = await EmulatorTestHelpers.StartAsync(scenario, new FakeTimeProvider(EmulatorTestHelpers.Start));
        _folder.Write("acme.json", SourceJson.Single(Source("Acme", emulator, GoodKey)));

        var result = await CliRunner.RunAsync("test", _folder.Path);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith("failed: source \"Acme\": ThirdPartyGeneric: KnowBe4 GET /events (HTTP 503)", Lines(result.Output)[0], StringComparison.Ordinal);
        var calls = emulator.GroundTruth.CallsByKey[GoodKeyName];
        Assert.Equal((1, 1), (calls.Requests, calls.FaultResponses));
    }

    [Fact]
    public async Task Every_source_gets_one_call_and_one_failure_makes_the_exit_code_1()
    {
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(backlog: 2), new FakeTimeProvider(EmulatorTestHelpers.Start));
        _folder.Write("all.json", SourceJson.Many(Source("Good", emulator, GoodKey), Source("Wrong", emulator, WrongKey), Source("Second", emulator, "test-key-2")));

        var result = await CliRunner.RunAsync("test", _folder.Path);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        var lines = Lines(result.Output);
        Assert.StartsWith("ok: source \"Good\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("failed: source \"Wrong\": ThirdPartyConfig: ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("ok: source \"Second\"", lines[2], StringComparison.Ordinal);
        Assert.Equal("3 sources tested: 2 ok, 1 failed; 0 configuration errors.", lines[3]);
        Assert.Equal(1, emulator.GroundTruth.CallsByKey[GoodKeyName].Requests);
        Assert.Equal(1, emulator.GroundTruth.CallsByKey["Acme key 2"].Requests);
        Assert.Equal(1, emulator.GroundTruth.UnauthorizedServed);
        AssertNoKeyIn(result);
    }

    [Fact]
    public async Task A_broken_file_is_a_configuration_error_and_the_valid_sources_are_still_tested()
    {
        await using var emulator = await EmulatorTestHelpers.StartAsync(EmulatorTestHelpers.Quiet(), new FakeTimeProvider(EmulatorTestHelpers.Start));
        _folder.Write("a.json", SourceJson.Single(Source("Acme", emulator, GoodKey)));
        var broken = _folder.Write("b.json", "{\"api.version\":\"v1\",\"source\":");

        var result = await CliRunner.RunAsync("test", _folder.Path);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: " + broken + ":1:30: ", Lines(result.Error)[0], StringComparison.Ordinal);
        Assert.StartsWith("ok: source \"Acme\"", Lines(result.Output)[0], StringComparison.Ordinal);
        Assert.Equal("1 source tested: 1 ok, 0 failed; 1 configuration error.", Lines(result.Output)[^1]);
    }

    [Fact]
    public async Task An_invalid_source_is_not_called_and_a_folder_without_sources_is_a_usage_error()
    {
        var invalid = _folder.Write("bad.json", SourceJson.Single(SourceJson.Config("Bad").With("baseURL", "https://evil.example.com")));

        var withInvalid = await CliRunner.RunAsync("test", invalid);
        File.Delete(invalid);
        var empty = await CliRunner.RunAsync("test", _folder.Path);

        Assert.Equal(ExitCodes.Usage, withInvalid.ExitCode);
        Assert.StartsWith("not tested: source \"Bad\"", Lines(withInvalid.Output)[0], StringComparison.Ordinal);
        Assert.DoesNotContain(SourceJson.TestKey, withInvalid.Output + withInvalid.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, empty.ExitCode);
        Assert.Contains("error: no source to test in " + _folder.Path, empty.Error, StringComparison.Ordinal);
    }

    private static System.Text.Json.Nodes.JsonObject Source(string name, KnowBe4Emulator emulator, string key) =>
        SourceJson.Config(name).With("baseURL", emulator.BaseUrl.AbsoluteUri).With("apiKey", key);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void AssertNoKeyIn(CliResult result)
    {
        foreach (var key in new[] { GoodKey, WrongKey, "test-key-2" })
        {
            Assert.DoesNotContain(key, result.Output + result.Error, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _folder.Dispose();
}
