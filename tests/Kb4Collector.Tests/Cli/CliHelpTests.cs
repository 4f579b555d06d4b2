using System.CommandLine;
using Kb4Collector.Cli;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Cli;

public sealed class CliHelpTests
{
    private static readonly RootCommand Root = CommandLine.CreateRoot();

    public static TheoryData<string> Verbs() => [.. CliHelp.AllCommands(Root).Skip(1).Select(CliHelp.PathOf)];

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task EveryVerbHasAPurposeGroupedOptionsAndRealExamples(string path)
    {
        var result = await CliRunner.RunAsync([.. path.Split(' '), "--help"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.Equal("Description:", lines[0].Trim());
        Assert.False(string.IsNullOrWhiteSpace(lines[1]));
        Assert.Contains("ptions:", result.Output, StringComparison.Ordinal);
        var examples = result.Output[(result.Output.IndexOf("Examples:", StringComparison.Ordinal) + "Examples:".Length)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .TakeWhile(line => !line.EndsWith(':'))
            .ToList();
        Assert.InRange(examples.Count, 2, 3);
        Assert.All(examples, example => Assert.Contains("kb4collector ", example, StringComparison.Ordinal));
        Assert.Contains(examples, example => example.Contains("kb4collector " + path, StringComparison.Ordinal));
        Assert.DoesNotContain("00:0", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryValueTakesAnUpperCasePlaceholder()
    {
        var missing = new List<string>();
        foreach (var command in CliHelp.AllCommands(Root))
        {
            foreach (var option in command.Options.Where(option => option.ValueType != typeof(bool) && option.ValueType != typeof(bool?) && option is not System.CommandLine.Help.HelpOption and not VersionOption && option.HelpName?.Contains('|', StringComparison.Ordinal) != true))
            {
                if (option.HelpName is not { Length: > 0 } name || name.Any(char.IsLower))
                {
                    missing.Add($"{CliHelp.PathOf(command)} {option.Name}");
                }
            }
            foreach (var argument in command.Arguments)
            {
                if (argument.HelpName is not { Length: > 0 } name || name.Any(char.IsLower))
                {
                    missing.Add($"{CliHelp.PathOf(command)} <{argument.Name}>");
                }
            }
        }
        Assert.Empty(missing);
    }

    [Fact]
    public async Task HelpVerbPrintsTheVerbsHelp()
    {
        var viaHelp = await CliRunner.RunAsync("help", "events", "list");
        var viaOption = await CliRunner.RunAsync("events", "list", "--help");

        Assert.Equal(ExitCodes.Success, viaHelp.ExitCode);
        Assert.Equal(viaOption.Output, viaHelp.Output);
        Assert.Equal(ExitCodes.Usage, (await CliRunner.RunAsync("help", "no-such-verb")).ExitCode);
    }

    [Fact]
    public async Task VersionIsAVerb()
    {
        var result = await CliRunner.RunAsync("version");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Matches(@"^kb4collector \S+\n$", result.Output.Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunHelpListsTheCollectorSettingsWithDefaults()
    {
        var result = await CliRunner.RunAsync("run", "--help");

        Assert.Contains("Collector:Admin:Listen", result.Output, StringComparison.Ordinal);
        Assert.Contains("[default: 127.0.0.1:7380]", result.Output, StringComparison.Ordinal);
        Assert.Contains("Collector:Sink:Url", result.Output, StringComparison.Ordinal);
        Assert.Contains("Collector:Sink:Format", result.Output, StringComparison.Ordinal);
        Assert.Equal(CliHelp.Settings().Count, CliHelp.Settings().Count(setting => result.Output.Contains(setting.Key, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DurationsShowAsTyped()
    {
        var result = await CliRunner.RunAsync("demo", "--help");

        Assert.Matches(@"\[default: \d+[smh]\]", result.Output);
    }

    [Fact]
    public void CountsAndDurationsReadTheSameInTheCliAndOnTheStatusPage()
    {
        Assert.Equal("12,345", CliText.Number(12_345));
        Assert.Equal("1m30s", CliText.Duration(TimeSpan.FromSeconds(90)));
        Assert.Equal(Kb4Collector.Configuration.DurationParser.Format(TimeSpan.FromMinutes(5)), CliText.Duration(TimeSpan.FromMinutes(5)));
    }
}
