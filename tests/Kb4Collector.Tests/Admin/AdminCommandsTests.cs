using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Kb4Collector.Cli;
using Kb4Collector.Lifecycle;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Admin;

[Collection(AdminDaemonGroup.Name)]
public sealed class AdminCommandsTests(AdminDaemonFixture daemon)
{
    private string Url => daemon.Address.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Sources_list_prints_a_table_of_every_source()
    {
        await daemon.WaitForSteadyStateAsync();
        var result = await CliRunner.RunAsync("sources", "list", "--admin", Url, "--token", daemon.Token);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("", result.Error);
        var lines = result.Output.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        Assert.Contains("STATE", lines[0], StringComparison.Ordinal);
        Assert.Contains("CALLS TODAY", lines[0], StringComparison.Ordinal);
        Assert.StartsWith(daemon.GoodId, lines[1], StringComparison.Ordinal);
        Assert.Contains(AdminDaemonFixture.GoodName, lines[1], StringComparison.Ordinal);
        Assert.Contains("Collecting", lines[1], StringComparison.Ordinal);
        Assert.Contains("Healthy", lines[1], StringComparison.Ordinal);
        Assert.Contains("/500", lines[1], StringComparison.Ordinal);
        Assert.StartsWith(daemon.BadId, lines[2], StringComparison.Ordinal);
        Assert.Contains("Error", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_is_read_from_the_data_directory_and_json_prints_the_endpoint_document()
    {
        var result = await CliRunner.RunAsync("sources", "list", "--admin", Url, "--data", daemon.DataDirectory, "--json");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        using var document = JsonDocument.Parse(result.Output);
        Assert.Equal(2, document.RootElement.GetProperty("sources").GetArrayLength());
    }

    [Fact]
    public async Task Sources_get_shows_one_source_with_the_key_masked()
    {
        await daemon.WaitForSteadyStateAsync();
        var result = await CliRunner.RunAsync("sources", "get", daemon.BadId, "--admin", Url, "--token", daemon.Token);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"Name                     {AdminDaemonFixture.BadName}", result.Output, StringComparison.Ordinal);
        Assert.Contains("State                    Error", result.Output, StringComparison.Ordinal);
        Assert.Contains("Error class              ThirdPartyConfig", result.Output, StringComparison.Ordinal);
        Assert.Contains("stopped until a restart or a config change", result.Output, StringComparison.Ordinal);
        Assert.Contains("API key                  ********", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.BadKey, result.Output, StringComparison.Ordinal);

        var json = await CliRunner.RunAsync("sources", "get", daemon.GoodId, "--admin", Url, "--token", daemon.Token, "--json");
        Assert.Equal(ExitCodes.Success, json.ExitCode);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(daemon.GoodId, document.RootElement.GetProperty("source").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Sources_restart_requests_a_restart_and_the_source_comes_back()
    {
        await daemon.WaitForSteadyStateAsync();
        var requestedAt = TimeProvider.System.GetUtcNow().AddMilliseconds(-5);

        var result = await CliRunner.RunAsync("sources", "restart", daemon.GoodId, "--admin", Url, "--token", daemon.Token);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains($"Restart of source \"{AdminDaemonFixture.GoodName}\" ({daemon.GoodId}) requested", result.Output, StringComparison.Ordinal);
        await AdminDaemonFixture.WaitUntilAsync(() => daemon.Runtime.Find(daemon.GoodId)!.Status is { State: SourceState.Collecting } status
            && status.RecentTransitions.Any(transition => transition.To == SourceState.Pending && transition.At >= requestedAt));
    }

    [Fact]
    public async Task Health_lists_the_unresolved_events_and_all_adds_the_resolved_ones()
    {
        await daemon.WaitForSteadyStateAsync();
        var open = await CliRunner.RunAsync("health", "--admin", Url, "--token", daemon.Token);

        Assert.Equal(ExitCodes.Success, open.ExitCode);
        var lines = open.Output.TrimEnd('\n').Split('\n');
        Assert.StartsWith("SINCE (UTC)", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, line => line.Contains("ThirdPartyConfigError", StringComparison.Ordinal)
            && line.Contains(AdminDaemonFixture.BadName, StringComparison.Ordinal) && line.Contains(" open ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains(" resolved ", StringComparison.Ordinal));

        var mine = await CliRunner.RunAsync("health", "--source", daemon.GoodId, "--admin", Url, "--token", daemon.Token);
        Assert.Equal(ExitCodes.Success, mine.ExitCode);
        Assert.Equal("No unresolved health events.\n", mine.Output.Replace("\r", "", StringComparison.Ordinal));

        var all = await CliRunner.RunAsync("health", "--all", "--limit", "5", "--json", "--admin", Url, "--token", daemon.Token);
        Assert.Equal(ExitCodes.Success, all.ExitCode);
        using var document = JsonDocument.Parse(all.Output);
        Assert.InRange(document.RootElement.GetProperty("data").GetArrayLength(), 1, 5);
    }

    [Fact]
    public async Task An_unknown_source_is_a_runtime_failure_with_the_endpoint_message()
    {
        var result = await CliRunner.RunAsync("sources", "get", "no-such-source-0000000000", "--admin", Url, "--token", daemon.Token);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Contains("No source with id \"no-such-source-0000000000\"", result.Error, StringComparison.Ordinal);

        var restart = await CliRunner.RunAsync("sources", "restart", "no-such-source-0000000000", "--admin", Url, "--token", daemon.Token);
        Assert.Equal(ExitCodes.Failure, restart.ExitCode);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_with_exit_code_1()
    {
        var result = await CliRunner.RunAsync("sources", "list", "--admin", Url, "--token", "not-the-admin-token-at-all");

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith("error: the admin endpoint refused the token", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-admin-token-at-all", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_that_does_not_run_is_reported_with_exit_code_1()
    {
        var closed = ClosedLoopbackPort();

        var result = await CliRunner.RunAsync("health", "--admin", $"http://127.0.0.1:{closed}", "--token", daemon.Token);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal($"error: cannot reach the admin endpoint at http://127.0.0.1:{closed} — is `kb4collector run` running?\n", result.Error.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_token_to_be_found_is_a_usage_error()
    {
        var empty = Path.Combine(Path.GetTempPath(), "kb4collector-admin-no-token-" + Guid.NewGuid().ToString("N"));

        var result = await CliRunner.RunAsync("sources", "list", "--admin", Url, "--data", empty);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no admin token", result.Error, StringComparison.Ordinal);
        Assert.Contains("--data DIR", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sources", "get")]
    [InlineData("sources", "restart")]
    [InlineData("sources", "list", "--admin", "ftp://127.0.0.1:7380")]
    [InlineData("health", "--limit", "0")]
    public async Task Bad_arguments_are_usage_errors(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }

    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
