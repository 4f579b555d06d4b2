using System.Net;
using System.Text.RegularExpressions;
using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Emulator;

public sealed partial class EmulatorCommandTests
{
    [GeneratedRegex(@"^Base URL: (?<url>\S+)$", RegexOptions.Multiline)]
    private static partial Regex BaseUrlLine();

    [GeneratedRegex(@"^API key: (?<key>\S+)", RegexOptions.Multiline)]
    private static partial Regex ApiKeyLine();

    private static async Task<string> WaitForBannerAsync(LockedStringWriter output, LockedStringWriter error, Task<int> run)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            if (output.Text.Contains("Press Ctrl+C to stop.", StringComparison.Ordinal))
            {
                return output.Text;
            }
            Assert.False(run.IsCompleted, $"the command ended early: {error.Text}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"no banner after 10 s: {output.Text} {error.Text}");
    }

    [Fact]
    public async Task EmulatorVerbServesUntilCancelledAndExitsZero()
    {
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var run = CommandLine.InvokeAsync(["emulator", "--urls", "http://127.0.0.1:0", "--backlog", "7", "--rps", "0", "--seats", "0", "--seed", "3"], output, error, stop.Token);
        var banner = await WaitForBannerAsync(output, error, run);
        var baseUrl = new Uri(BaseUrlLine().Match(banner).Groups["url"].Value);
        var key = ApiKeyLine().Match(banner).Groups["key"].Value;
        using var client = new HttpClient { BaseAddress = baseUrl };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var (status, body) = await client.GetJsonAsync("events");
        await stop.CancelAsync();
        var exitCode = await run;

        Assert.Equal("127.0.0.1", baseUrl.Host);
        Assert.NotEqual(0, baseUrl.Port);
        Assert.Equal(3, key.Split('.').Length);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7, body.Meta().GetProperty("count").GetInt32());
        Assert.Contains("Rate limit: off", banner, StringComparison.Ordinal);
        Assert.Contains("Daily quota: off", banner, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("Stopping the emulator.", output.Text, StringComparison.Ordinal);
        Assert.Equal(string.Empty, error.Text);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("events", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GivenApiKeyIsAcceptedButNeverPrinted()
    {
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        const string secret = "my-very-own-emulator-key";

        var run = CommandLine.InvokeAsync(["emulator", "--urls", "http://127.0.0.1:0", "--api-key", secret, "--backlog", "0", "--seats", "3", "--rps", "0"], output, error, stop.Token);
        var banner = await WaitForBannerAsync(output, error, run);
        using var client = new HttpClient { BaseAddress = new Uri(BaseUrlLine().Match(banner).Groups["url"].Value) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        var (status, _) = await client.GetJsonAsync("events");
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(secret, output.Text, StringComparison.Ordinal);
        Assert.Contains("API key: ********", banner, StringComparison.Ordinal);
        Assert.Contains("3 seats", banner, StringComparison.Ordinal);
        Assert.Contains("Daily quota: 10 calls per seat per UTC day", banner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScenarioFileFromTheRepositoryRuns()
    {
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var scenario = EmulatorTestHelpers.RepositoryFile("config/emulator/scenario.example.json");

        var run = CommandLine.InvokeAsync(["emulator", "--urls", "http://127.0.0.1:0", "--scenario", scenario, "--rps", "0"], output, error, stop.Token);
        var banner = await WaitForBannerAsync(output, error, run);
        using var client = new HttpClient { BaseAddress = new Uri(BaseUrlLine().Match(banner).Groups["url"].Value) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", "acme-demo-key-1");
        var (status, body) = await client.GetJsonAsync("events?per_page=1");
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Success, await run);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(52306, body.Data()[0].GetProperty("account_id").GetInt64());
        Assert.Contains("Account: Acme Corp (account_id 52306, 250 seats, 2 key(s)", banner, StringComparison.Ordinal);
        Assert.Contains("Account: Globex (account_id 585832", banner, StringComparison.Ordinal);
        Assert.DoesNotContain("acme-demo-key", banner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidScenarioFileIsAUsageErrorNamingTheFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("kb4-emulator-cli-").FullName, "bad.json");
        await File.WriteAllTextAsync(path, """{"limits":{"callsPerSeatPerDay":-5}}""", TestContext.Current.CancellationToken);
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();
        try
        {
            var exitCode = await CommandLine.InvokeAsync(["emulator", "--scenario", path], output, error, TestContext.Current.CancellationToken);

            Assert.Equal(ExitCodes.Usage, exitCode);
            Assert.Contains(path, error.Text, StringComparison.Ordinal);
            Assert.Contains("limits.callsPerSeatPerDay", error.Text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task NegativeLimitIsAParseError()
    {
        var output = new LockedStringWriter();
        var error = new LockedStringWriter();

        var exitCode = await CommandLine.InvokeAsync(["emulator", "--rps", "-1"], output, error, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--rps must be 0 or more", error.Text, StringComparison.Ordinal);
    }
}
