using System.Globalization;
using Kb4Collector.Admin;
using Kb4Collector.Configuration;
using Kb4Collector.Daemon;
using Kb4Collector.Emulator;
using Kb4Collector.Lifecycle;

namespace Kb4Collector.Demo;

/// <summary>What the banner shows once everything is up.</summary>
internal sealed record DemoBanner(
    DemoOptions Options,
    DemoPaths Paths,
    KnowBe4Emulator Emulator,
    DemoReceiver Receiver,
    string AdminUrl,
    bool PreferredAdminPortFree,
    AdminToken Token);

/// <summary>What the summary shows after the stop.</summary>
internal sealed record DemoReport(
    TimeSpan RunTime,
    bool StoppedByUser,
    SourceView? Source,
    SourceStatus? StatusWhileRunning,
    int UnresolvedHealthEvents,
    DemoEventsFile File,
    DemoComparison Comparison,
    long EmulatorCalls,
    long TooManyRequestsServed,
    long ReceiverRequests,
    IReadOnlyList<KeyValuePair<string, string>> LastSinkHeaders,
    string AdminUrl,
    AdminToken Token,
    DemoPaths Paths);

/// <summary>The demo's text: banner, progress line and summary. Never shows the KnowBe4 key; shows the demo's own admin token.</summary>
internal static class DemoSummary
{
    private const string Indent = "                    ";

    public static async Task WriteBannerAsync(DemoConsole console, DemoBanner banner)
    {
        var scenario = DemoScenario.Emulator;
        var arrivals = scenario.Arrivals;
        var paths = banner.Paths;
        await console.LineAsync("Kb4Collector demo: an emulated KnowBe4 account, a local HTTP log receiver and the collector daemon, in this process on 127.0.0.1.");
        await console.LineAsync(Invariant($"  KnowBe4 emulator  {banner.Emulator.BaseUrl}  \"{DemoScenario.AccountName}\": {DemoScenario.Seats:N0} seats ({DemoScenario.Seats * scenario.Limits.CallsPerSeatPerDay:N0} API calls a day),"));
        await console.LineAsync(Invariant($"{Indent}{DemoScenario.BacklogEvents:N0} events over the last {DemoScenario.BacklogDays} days, about {arrivals.PerMinute / 60:0.#} new events a second"));
        await console.LineAsync(Invariant($"{Indent}({arrivals.BackdatedFraction * 100:0}% backdated up to {arrivals.BackdatedMaxDays} days, {arrivals.SameMillisecondFraction * 100:0}% sharing a millisecond), {scenario.Limits.RequestsPerSecond} requests/s limit"));
        await console.LineAsync($"  Receiver          {banner.Receiver.Url} -> {DemoPaths.Show(paths.EventsFile)} (sumo format: gzip, X-Sumo-* headers)");
        await console.LineAsync(Invariant($"  Collector         source \"{DemoScenario.SourceName}\" from {DemoPaths.Show(paths.SourceFile)}, polling every {DemoScenario.PollingInterval.TotalSeconds:0} s"));
        await console.LineAsync($"{Indent}(a demo setting: the default is {DurationParser.Format(SourceDefinition.DefaultPollingInterval)}), lookback {DemoScenario.InitialLookback}; its log: {DemoPaths.Show(paths.DaemonLog)}");
        await console.LineAsync($"  Admin endpoint    {banner.AdminUrl}{(banner.PreferredAdminPortFree ? "" : Invariant($" ({DemoOptions.PreferredAdminPort} was busy)"))}, token in {TokenFile(banner.Token)}");
        if (banner.Options.Follow)
        {
            await WriteCurlExamplesAsync(console, banner.AdminUrl, banner.Token);
            await console.LineAsync("Collecting until Ctrl+C.");
        }
        else
        {
            await console.LineAsync($"Collecting for {DurationParser.Format(banner.Options.Duration)} (Ctrl+C stops earlier; --follow runs until Ctrl+C).");
        }
    }

    public static string ProgressLine(TimeSpan elapsed, SourceView? source, long linesInFile, int unresolvedHealthEvents, string? note)
    {
        var time = Invariant($"{(int)elapsed.TotalMinutes}:{elapsed.Seconds:00}");
        if (source is null)
        {
            return Invariant($"  {time}  starting      in file {linesInFile,7:N0}");
        }
        var status = source.Status;
        var state = status.ErrorClass is { } error ? $"{status.State} ({error})" : status.State.ToString();
        var health = unresolvedHealthEvents == 0 ? "ok" : Invariant($"{unresolvedHealthEvents} unresolved");
        var line = Invariant($"  {time}  {state,-12}  delivered {source.Checkpoint?.EventsDelivered ?? 0,7:N0}  in file {linesInFile,7:N0}  calls {source.Quota.Used:N0} / {source.Quota.Budget:N0}  health {health}");
        note ??= source.Checkpoint?.LastPollAt is null ? FirstPollUnderWay : null;
        return note is null ? line : line + "  (" + note + ")";
    }

    /// <summary>Shown while the first poll (the whole lookback) is still being read and delivered.</summary>
    public const string FirstPollUnderWay = "first poll under way";

    public static async Task WriteAsync(DemoConsole console, DemoReport report)
    {
        var comparison = report.Comparison;
        var paths = report.Paths;
        await console.LineAsync();
        await console.LineAsync(Invariant($"Summary ({report.RunTime.TotalSeconds:0.0} s{(report.StoppedByUser ? ", stopped on request" : "")})"));
        if (comparison.LastPollStartedAt is { } pollStart)
        {
            await console.LineAsync(Invariant($"  Events      {report.File.Lines:N0} delivered, {comparison.Expected:N0} expected (ground truth), {comparison.Missing:N0} missing, {comparison.Duplicates:N0} duplicates"));
            await console.LineAsync(Invariant($"              expected: every event of the collected window that existed when the last complete poll began ({pollStart:HH:mm:ss} UTC)"));
            if (comparison.AlsoDelivered > 0)
            {
                await console.LineAsync(Invariant($"              {comparison.AlsoDelivered:N0} more arrived while that poll ran and {(comparison.AlsoDelivered == 1 ? "was" : "were")} delivered too"));
            }
        }
        else
        {
            await console.LineAsync(Invariant($"  Events      {report.File.Lines:N0} delivered; no poll completed, so there is nothing to check against the ground truth"));
        }
        await console.LineAsync(Invariant($"  Phishing    {report.File.ReportingRecords:N0} recipient results delivered ({report.File.ReportingRecords - report.File.ReportingUpdated:N0} new, {report.File.ReportingUpdated:N0} changed since first seen), {report.File.ReportingRepeats:N0} repeated"));
        if (comparison.Invalid > 0 || comparison.Unknown > 0)
        {
            await console.LineAsync(Invariant($"              {comparison.Invalid:N0} lines were not events with an id, {comparison.Unknown:N0} ids were never in the emulated account"));
        }
        if (report.Source is { } source)
        {
            var quota = source.Quota;
            await console.LineAsync(Invariant($"  Calls       {report.EmulatorCalls:N0} KnowBe4 calls made; the collector counts {quota.Used:N0} of today's budget of {quota.Budget:N0} ({DemoScenario.Seats:N0} seats x 10)"));
            await console.LineAsync(Invariant($"              429 Too Many Requests served by the emulator: {report.TooManyRequestsServed:N0}"));
            var status = report.StatusWhileRunning ?? source.Status;
            var state = status.ErrorClass is { } error ? Invariant($"{status.State} ({error}: {status.LastReason})") : status.State.ToString();
            await console.LineAsync(Invariant($"  Source      \"{source.Definition.Name}\": {state} until the stop, {report.UnresolvedHealthEvents:N0} unresolved health events, {source.DeadLetters:N0} dead letters"));
        }
        await console.LineAsync(Invariant($"  Sink        {report.ReceiverRequests:N0} POSTs in sumo format; the last one carried:"));
        foreach (var (name, value) in report.LastSinkHeaders)
        {
            await console.LineAsync($"                {name}: {value}");
        }
        await console.LineAsync($"  Output      {DemoPaths.Show(paths.EventsFile)}  {DemoPaths.Show(paths.DaemonLog)}  {DemoPaths.Show(paths.SourceFile)}  {DemoPaths.Show(paths.DataDirectory)}");
        await console.LineAsync($"  Admin       {report.AdminUrl} (up while the demo runs: `kb4collector demo --follow` keeps it up until Ctrl+C)");
        await console.LineAsync($"              token {report.Token.Value}  (this demo's own, in {TokenFile(report.Token)})");
        await WriteCurlExamplesAsync(console, report.AdminUrl, report.Token);
        await console.LineAsync();
        await console.LineAsync(comparison.Complete && report.File.ReportingRepeats == 0
            ? "Result: OK: every expected event was delivered exactly once."
            : "Result: FAILED: see the events line above and " + DemoPaths.Show(paths.DaemonLog) + ".");
    }

    private static async Task WriteCurlExamplesAsync(DemoConsole console, string adminUrl, AdminToken token)
    {
        var bearer = $"-H \"Authorization: Bearer $(cat {TokenFile(token)})\"";
        await console.LineAsync("  Look around (while the demo runs):");
        await console.LineAsync($"    curl {adminUrl}/healthz");
        await console.LineAsync($"    curl {bearer} {adminUrl}/api/v1/collectors/local/sources");
        await console.LineAsync($"    curl {bearer} {adminUrl}/api/v1/healthEvents");
        await console.LineAsync($"    curl {bearer} {adminUrl}/metrics");
    }

    private static string TokenFile(AdminToken token) => token.File is { } file ? DemoPaths.Show(file) : "(configured)";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
