using System.CommandLine;
using System.Globalization;
using Kb4Collector.Cli;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Configuration;

/// <summary>
/// <c>kb4collector validate PATH [--allow-any-base-url]</c>: loads a source file or folder without running
/// anything. Prints one line per source found (stdout) and one line per problem (stderr); exit 0 when
/// there is no error (warnings allowed), 2 otherwise. Keys are shown only as fingerprints.
/// </summary>
public static class ValidateCommand
{
    public static Command Create() => Create(new SourceConfigLoaderOptions());

    /// <summary>With loader seams (environment, key files) for tests; <c>AllowAnyBaseUrl</c> comes from the command line.</summary>
    internal static Command Create(SourceConfigLoaderOptions loaderOptions) => SourceFileCommand.Create(
        "validate",
        "Check source configuration files without running them (exit 0 valid, 2 on any error).",
        loaderOptions,
        async (result, output, error, cancellationToken) =>
        {
            await WriteReportAsync(result, output, error, cancellationToken);
            return result.HasErrors ? ExitCodes.Usage : ExitCodes.Success;
        });

    private static async Task WriteReportAsync(SourceLoadResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        foreach (var source in result.Sources)
        {
            await output.WriteLineAsync(DescribeValid(source).AsMemory(), cancellationToken);
            var sharingKey = result.Sources.Count(other => other.ApiKeyFingerprint == source.ApiKeyFingerprint);
            await output.WriteLineAsync(("  schedule: " + EffectiveSchedule.Describe(source, sharingKey)).AsMemory(), cancellationToken);
        }
        foreach (var rejected in result.RejectedSources)
        {
            var label = rejected.Name is null ? rejected.Location : Text.Quote(rejected.Name);
            await output.WriteLineAsync($"invalid: source {label} in {Text.Escape(rejected.File)}: see the errors".AsMemory(), cancellationToken);
        }
        foreach (var problem in result.Problems)
        {
            var severity = problem.IsError ? "error" : "warning";
            await error.WriteLineAsync($"{severity}: {problem}".AsMemory(), cancellationToken);
        }

        var errors = result.Problems.Count(problem => problem.IsError);
        var warnings = result.Problems.Count - errors;
        await output.WriteLineAsync(
            $"{Count(result.Files.Count, "file")} checked: {Count(result.Sources.Count, "valid source")}, {Count(errors, "error")}, {Count(warnings, "warning")}.".AsMemory(),
            cancellationToken);
    }

    private static string DescribeValid(SourceDefinition source)
    {
        var region = KnowBe4Regions.RegionOf(source.BaseUrl);
        var resolved = region is null ? source.BaseUrl.AbsoluteUri : $"{source.BaseUrl.AbsoluteUri} ({region.Value.ToString().ToUpperInvariant()})";
        var where = source.BaseUrlAsWritten is { } written && !string.Equals(written.Trim(), source.BaseUrl.AbsoluteUri, StringComparison.Ordinal)
            ? $"baseURL {written.Trim()} -> {resolved}"
            : resolved;
        return $"ok: source {Text.Quote(source.Name)} in {Text.Escape(source.SourceFile)}: id {source.Id}, {where}, key {source.ApiKeyReference} (sha256 {source.ApiKeyFingerprint}), "
            + $"lookback {DurationParser.Format(source.InitialLookback)}, backdate horizon {DurationParser.Format(source.BackdateHorizon)}"
            + (source.SiemForward ? ", forwarded to Cloud SIEM" : "");
    }

    private static string Count(int count, string noun) =>
        $"{count.ToString(CultureInfo.InvariantCulture)} {noun}{(count == 1 ? "" : "s")}";
}
