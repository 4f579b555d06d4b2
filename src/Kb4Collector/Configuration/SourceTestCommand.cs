using System.CommandLine;
using System.Globalization;
using System.Net;
using Kb4Collector.Cli;
using Kb4Collector.KnowBe4;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;

namespace Kb4Collector.Configuration;

/// <summary>
/// <c>kb4collector test PATH [--allow-any-base-url]</c>, Sumo's "test saved settings": loads the sources like
/// <c>validate</c>, then makes exactly one authenticated call per valid source (<c>GET /events?page=1&amp;per_page=1</c>)
/// and reports success or the classified reason. Calls with the same key are paced at KnowBe4's 4 requests/s.
/// Exit 0 when every source authenticated, 1 when any failed, 2 on configuration errors (the valid sources are
/// still tested). Keys are never printed.
/// </summary>
public static class SourceTestCommand
{
    public static Command Create() => Create(new SourceConfigLoaderOptions());

    /// <summary>With loader seams (environment, key files) for tests; <c>AllowAnyBaseUrl</c> comes from the command line.</summary>
    internal static Command Create(SourceConfigLoaderOptions loaderOptions) => SourceFileCommand.Create(
        "test",
        "Make one authenticated KnowBe4 call per source and report success or the reason (exit 0 all ok, 1 any failed, 2 config errors).",
        loaderOptions,
        RunAsync);

    internal static async Task<int> RunAsync(SourceLoadResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        foreach (var problem in result.Problems)
        {
            await error.WriteLineAsync($"{(problem.IsError ? "error" : "warning")}: {problem}".AsMemory(), cancellationToken);
        }
        foreach (var rejected in result.RejectedSources)
        {
            var label = rejected.Name is null ? rejected.Location : Text.Quote(rejected.Name);
            await output.WriteLineAsync($"not tested: source {label} in {rejected.File}: see the errors".AsMemory(), cancellationToken);
        }

        using var limiters = new ApiKeyRateLimiters(TimeProvider.System);
        var failed = 0;
        foreach (var source in result.Sources)
        {
            var outcomes = new List<SourceTestOutcome>();
            if (source.CollectUserEvents)
            {
                outcomes.Add(await TestAsync(source, limiters, cancellationToken));
            }
            foreach (var dataType in source.Reporting?.DataTypes ?? [])
            {
                outcomes.Add(await TestReportingAsync(source, dataType, cancellationToken));
            }
            failed += outcomes.All(outcome => outcome.Succeeded) ? 0 : 1;
            foreach (var outcome in outcomes)
            {
                await output.WriteLineAsync(outcome.Line.AsMemory(), cancellationToken);
            }
        }

        var errors = result.Problems.Count(problem => problem.IsError);
        var tested = result.Sources.Count;
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{tested} source{(tested == 1 ? "" : "s")} tested: {tested - failed} ok, {failed} failed; {errors} configuration error{(errors == 1 ? "" : "s")}.").AsMemory(), cancellationToken);
        if (tested == 0 && !result.HasErrors)
        {
            await error.WriteLineAsync($"error: no source to test in {result.Path}".AsMemory(), cancellationToken);
            return ExitCodes.Usage;
        }
        if (result.HasErrors)
        {
            return ExitCodes.Usage;
        }
        return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>One call; the line to print. The reason comes from <see cref="FailureClassifier"/> and never holds the key.</summary>
    private static async Task<SourceTestOutcome> TestAsync(SourceDefinition source, ApiKeyRateLimiters limiters, CancellationToken cancellationToken)
    {
        var name = Text.Quote(source.Name);
        var pacing = limiters.CreateHandler(source.ApiKeyFingerprint);
        pacing.InnerHandler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            // A redirect would drop the Authorization header; better to report it than to fail obscurely.
            AllowAutoRedirect = false,
        };
        using var http = new HttpClient(pacing, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new KnowBe4Client(http, new KnowBe4ClientOptions(source.BaseUrl, source.ApiKey));
        try
        {
            var page = await client.ListEventsRawAsync(new EventQuery { Page = 1, PerPage = 1 }, cancellationToken);
            // With one event per page the page count is the account's event count.
            var events = page.Events.Count == 0 ? 0 : page.Meta.TotalPages;
            return new(true, string.Create(CultureInfo.InvariantCulture, $"ok: source {name}: authenticated to {source.BaseUrl.AbsoluteUri} ({events:N0} event{(events == 1 ? "" : "s")} in the account)"));
        }
        catch (KnowBe4ApiException failure)
        {
            var classification = FailureClassifier.Classify(failure, everAuthenticated: false);
            var kind = classification.ErrorClass?.ToString() ?? "DailyQuotaSpent";
            return new(false, $"failed: source {name}: {kind}: {classification.Reason}");
        }
    }

    /// <summary>One cheap authenticated Reporting call for a data type: the first page of its list endpoint.</summary>
    private static async Task<SourceTestOutcome> TestReportingAsync(SourceDefinition source, ReportingDataType dataType, CancellationToken cancellationToken)
    {
        var settings = source.Reporting!;
        var name = Text.Quote(source.Name) + " " + ReportingDataTypes.Name(dataType);
        var (path, what) = dataType switch
        {
            ReportingDataType.PhishingTests => ("/v1/phishing/security_tests", "phishing tests"),
            ReportingDataType.TrainingEnrollments => ("/v1/training/enrollments", "enrollments"),
            _ => ("/v1/users", "users"),
        };
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, ConnectTimeout = TimeSpan.FromSeconds(15), AllowAutoRedirect = false })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var client = new Reporting.ReportingClient(http, settings.BaseUrl, settings.ApiKey);
        try
        {
            var page = await client.ListPageAsync(path, "GET " + path, 1, null, cancellationToken);
            return new(true, string.Create(CultureInfo.InvariantCulture, $"ok: source {name}: authenticated to the Reporting API at {settings.BaseUrl.AbsoluteUri} ({page.Count:N0} {what} on the first page)"));
        }
        catch (KnowBe4ApiException failure)
        {
            var classification = FailureClassifier.Classify(failure, everAuthenticated: false);
            var kind = classification.ErrorClass?.ToString() ?? "LimitReached";
            return new(false, $"failed: source {name}: {kind}: {classification.Reason}");
        }
    }

    private sealed record SourceTestOutcome(bool Succeeded, string Line);
}
