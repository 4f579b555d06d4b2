using System.CommandLine;
using Kb4Collector.Cli;
using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly TempSourceFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CommandLine.InvokeAsync(args, output, error, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task ValidSourcesExitZeroWithOneLinePerSource()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B").Without("baseURL").With("region", "EU")));

        var (exitCode, output, error) = await RunAsync("validate", _folder.Path);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Empty(error);
        var lines = Lines(output);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("ok: source \"A\" in ", lines[0], StringComparison.Ordinal);
        Assert.Contains("https://api.events.knowbe4.com/ (US)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("schedule: polls every ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("ok: source \"B\" in ", lines[2], StringComparison.Ordinal);
        Assert.Contains("(EU)", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("schedule: polls every ", lines[3], StringComparison.Ordinal);
        Assert.Equal("1 file checked: 2 valid sources, 0 errors, 0 warnings.", lines[4]);
    }

    [Fact]
    public async Task WarningsAloneStillExitZero()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A").With("pollingInterval", 10)));

        var (exitCode, output, error) = await RunAsync("validate", _folder.Path);

        Assert.Equal(ExitCodes.Success, exitCode);
        var warning = Assert.Single(Lines(error));
        Assert.StartsWith($"warning: {_folder.PathOf("a.json")}: source \"A\": field \"config.pollingInterval\": ", warning, StringComparison.Ordinal);
        Assert.EndsWith("1 file checked: 1 valid source, 0 errors, 1 warning.", output.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyErrorExitsTwoWithOneLinePerProblem()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("Good")));
        _folder.Write("b.json", SourceJson.Single(SourceJson.Config("Bad").With("baseURL", "https://evil.example.com").With("pollingInterval", 5)));
        _folder.Write("c.json", "{");

        var (exitCode, output, error) = await RunAsync("validate", _folder.Path);

        Assert.Equal(ExitCodes.Usage, exitCode);
        var problems = Lines(error);
        Assert.Equal(3, problems.Length);
        Assert.Contains($"error: {_folder.PathOf("b.json")}: source \"Bad\": field \"config.baseURL\": not a KnowBe4 host", problems[0], StringComparison.Ordinal);
        Assert.StartsWith($"warning: {_folder.PathOf("b.json")}: source \"Bad\": field \"config.pollingInterval\"", problems[1], StringComparison.Ordinal);
        Assert.Equal($"error: {_folder.PathOf("c.json")}:1:2: unexpected end of file: a closing '\"', '}}' or ']' is missing", problems[2]);
        var lines = Lines(output);
        Assert.StartsWith("ok: source \"Good\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("schedule: ", lines[1], StringComparison.Ordinal);
        Assert.Equal($"invalid: source \"Bad\" in {_folder.PathOf("b.json")}: see the errors", lines[2]);
        Assert.Equal("3 files checked: 1 valid source, 2 errors, 1 warning.", lines[3]);
    }

    [Fact]
    public async Task AllowAnyBaseUrlIsAnOption()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("Proxy").With("baseURL", "https://kb4-proxy.example.com")));

        var refused = await RunAsync("validate", _folder.Path);
        var allowed = await RunAsync("validate", _folder.Path, "--allow-any-base-url");

        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Equal(ExitCodes.Success, allowed.ExitCode);
        Assert.Contains("https://kb4-proxy.example.com/", allowed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingPathExitsTwo()
    {
        var (exitCode, _, error) = await RunAsync("validate", _folder.PathOf("nowhere"));

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("no such file or folder", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAPathItIsAUsageError()
    {
        var (exitCode, _, _) = await RunAsync("validate");

        Assert.Equal(ExitCodes.Usage, exitCode);
    }

    [Fact]
    public async Task TheKeyIsNeverPrinted()
    {
        const string secret = "kb4-secret-value-that-must-not-leak";
        var output = new StringWriter();
        var error = new StringWriter();
        _folder.Write("a.json", SourceJson.Many(
            SourceJson.Config("Literal").With("apiKey", secret),
            SourceJson.Config("FromEnv").With("apiKey", "env:KB4_VALIDATE_TEST_KEY").With("region", "Mars")));
        var command = ValidateCommand.Create(Options(environment: new Dictionary<string, string> { ["KB4_VALIDATE_TEST_KEY"] = secret }));
        var root = new RootCommand { command };

        var exitCode = await root.Parse(["validate", _folder.Path]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("key literal (sha256 ", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
    }
}
