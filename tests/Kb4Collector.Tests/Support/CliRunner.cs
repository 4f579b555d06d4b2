using Kb4Collector.Cli;

namespace Kb4Collector.Tests.Support;

internal sealed record CliResult(int ExitCode, string Output, string Error);

/// <summary>Runs the real command line in-process with captured output.</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CommandLine.InvokeAsync(args, output, error, TestContext.Current.CancellationToken);
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
