using Kb4Collector.Cli;

namespace Kb4Collector.Tests.Cli;

public sealed class CommandLineTests
{
    [Fact]
    public async Task UnknownVerbIsAUsageError()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await CommandLine.InvokeAsync(["no-such-verb"], output, error, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("no-such-verb", error.ToString(), StringComparison.Ordinal);
    }
}
