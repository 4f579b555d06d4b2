using System.Text.Json;
using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Demo;

/// <summary>The whole demo in-process: emulator, receiver and daemon, a short run, the checked summary.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly TempSourceFolder _output = new();

    [Fact]
    public async Task A_short_run_delivers_every_expected_event_once_and_prints_a_checked_summary()
    {
        var result = await CliRunner.RunAsync("demo", "--duration", "4s", "--output", _output.Path);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Output + result.Error);
        var all = await File.ReadAllLinesAsync(_output.PathOf("events.ndjson"), TestContext.Current.CancellationToken);
        // Phishing results (issue 10) carry a "_kb4" envelope instead of an event id; each version of a result arrives once.
        var phishing = all.Where(line => line.Contains("\"_kb4\":", StringComparison.Ordinal)).ToList();
        var lines = all.Except(phishing).ToArray();
        Assert.NotEmpty(lines);
        Assert.Equal(phishing.Count, phishing.Select(Kb4Collector.Reporting.ReportingEnvelope.Unwrap).Distinct(StringComparer.Ordinal).Count());
        Assert.Contains($"Phishing    {phishing.Count:N0} recipient results delivered", result.Output, StringComparison.Ordinal);
        var ids = lines.Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.GetProperty("id").GetString();
        }).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());

        Assert.Contains("Summary (", result.Output, StringComparison.Ordinal);
        Assert.Contains($"{lines.Length:N0} delivered", result.Output, StringComparison.Ordinal);
        Assert.Contains("0 missing, 0 duplicates", result.Output, StringComparison.Ordinal);
        Assert.Contains("429 Too Many Requests served by the emulator: 0", result.Output, StringComparison.Ordinal);
        Assert.Contains("X-Sumo-Name: KnowBe4 Demo", result.Output, StringComparison.Ordinal);
        Assert.Contains("X-Sumo-Category: knowbe4/demo", result.Output, StringComparison.Ordinal);
        Assert.Contains("Content-Encoding: gzip", result.Output, StringComparison.Ordinal);
        Assert.Contains("Result: OK", result.Output, StringComparison.Ordinal);

        var token = (await File.ReadAllTextAsync(_output.PathOf("data/admin.token"), TestContext.Current.CancellationToken)).Trim();
        Assert.Contains("token " + token, result.Output, StringComparison.Ordinal);
        Assert.Contains("/api/v1/collectors/local/sources", result.Output, StringComparison.Ordinal);

        var demoKey = DemoKeyIn(_output.PathOf("sources/demo.json"));
        using (var source = JsonDocument.Parse(await File.ReadAllTextAsync(_output.PathOf("sources/demo.json"), TestContext.Current.CancellationToken)))
        {
            var reportingKey = source.RootElement.GetProperty("source").GetProperty("config").GetProperty("apiKeyPhishing").GetString()!;
            Assert.DoesNotContain(reportingKey, result.Output + result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(reportingKey, await File.ReadAllTextAsync(_output.PathOf("daemon.log"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        Assert.DoesNotContain(demoKey, result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(demoKey, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(demoKey, await File.ReadAllTextAsync(_output.PathOf("daemon.log"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_duration_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync("demo", "--duration", "soon", "--output", _output.Path);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--duration", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_output.PathOf("events.ndjson")));
    }

    internal static string DemoKeyIn(string sourceFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(sourceFile));
        var key = document.RootElement.GetProperty("source").GetProperty("config").GetProperty("apiKeyEvent").GetString();
        Assert.False(string.IsNullOrEmpty(key));
        return key;
    }

    public void Dispose() => _output.Dispose();
}
