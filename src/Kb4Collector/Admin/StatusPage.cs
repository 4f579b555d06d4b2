using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Kb4Collector.Daemon;
using Kb4Collector.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kb4Collector.Admin;

/// <summary>
/// <c>GET /</c>: a read-only HTML page of the collector's sources, their state, health and quota, with links to the JSON.
/// Rendered on the server from the same views as the API; every value is HTML-encoded and the page loads nothing else
/// (no scripts at all, enforced by its Content-Security-Policy). It needs the bearer token like the API.
/// </summary>
internal static class StatusPage
{
    public const string Path = "/";

    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}" +
        "table{border-collapse:collapse;margin-bottom:1.5rem}th,td{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}" +
        "th{background:#f4f4f4}.num{text-align:right}.Error{color:#b00020;font-weight:600}.Warning{color:#a65b00;font-weight:600}.Healthy{color:#1b7a1b}" +
        "code{background:#f4f4f4;padding:0 .2rem}";

    public static void Map(IEndpointRouteBuilder routes, CollectorRuntime runtime, DateTimeOffset startedAt) =>
        routes.MapGet(Path, (HttpContext context) =>
        {
            var unresolved = runtime.Health.List(SourceEndpoints.MaxUnresolvedScanned, unresolvedOnly: true);
            var bySource = AdminMapping.BySource(unresolved);
            var views = runtime.Sources();
            var collector = AdminMapping.Collector(
                runtime.CollectorName, runtime.FirstLoad.IsCompletedSuccessfully, startedAt, runtime.Services.TimeProvider.GetUtcNow(), views, unresolved.Count, runtime.ConfigProblems);
            var sources = views.Select(view => AdminMapping.Source(view, [.. bySource[view.Definition.Id]])).ToList();

            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            return Results.Content(Render(collector, sources, unresolved), "text/html; charset=utf-8");
        });

    public static string Render(CollectorJson collector, IReadOnlyList<SourceJson> sources, IReadOnlyList<HealthEvent> unresolved)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(collector.Name)).Append(" · kb4collector status</title>\n<style>").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Encode(collector.Name)).Append("</h1>\n<p>kb4collector ").Append(Encode(collector.CollectorVersion))
            .Append(" · up ").Append(Encode(Uptime(collector.UptimeSeconds)))
            .Append(" · ").Append(Number(collector.SourceCount)).Append(collector.SourceCount == 1 ? " source" : " sources")
            .Append(" · ").Append(collector.Ready ? "ready" : "starting").Append("</p>\n");

        AppendSources(html, sources);
        AppendHealth(html, unresolved);
        AppendProblems(html, collector.ConfigProblems);

        html.Append("<h2>JSON</h2>\n<ul>\n");
        foreach (var path in new[] { SourceEndpoints.CollectorPath, SourceEndpoints.SourcesPath, HealthEndpoints.Path + "?unresolved=true", AdminMetrics.Path })
        {
            html.Append("<li>").Append(Link(path, path)).Append("</li>\n");
        }
        html.Append("</ul>\n<p>Every route needs the header <code>Authorization: Bearer &lt;token&gt;</code> (the token is in <code>admin.token</code> in the data directory).</p>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendSources(StringBuilder html, IReadOnlyList<SourceJson> sources)
    {
        html.Append("<h2>Sources</h2>\n");
        if (sources.Count == 0)
        {
            html.Append("<p>No sources run. Check the source files and the configuration problems below.</p>\n");
            return;
        }
        html.Append("<table>\n<thead><tr><th>Source</th><th>State</th><th>Health</th><th>Last success (UTC)</th><th>Next attempt (UTC)</th>")
            .Append("<th class=\"num\">Events delivered</th><th class=\"num\">KnowBe4 calls today</th><th class=\"num\">Quota left</th><th class=\"num\">Dead letters</th><th>Last reason</th><th>Details</th></tr></thead>\n<tbody>\n");
        foreach (var source in sources)
        {
            var path = SourceEndpoints.SourcesPath + "/" + Uri.EscapeDataString(source.Id);
            html.Append("<tr><td>").Append(Encode(source.Name)).Append("<br><small>").Append(Encode(source.Id)).Append("</small></td>")
                .Append("<td>").Append(Encode(source.State.State.ToString()))
                .Append(source.State.ErrorClass is { } errorClass ? "<br><small>" + Encode(errorClass.ToString()) + "</small>" : "").Append("</td>")
                .Append("<td class=\"").Append(Encode(source.Health)).Append("\">").Append(Encode(source.Health)).Append("</td>")
                .Append("<td>").Append(Time(source.State.LastSuccessAt)).Append("</td>")
                .Append("<td>").Append(Time(source.State.NextAttemptAt)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(source.EventsDelivered)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(source.Quota.Used)).Append(" / ").Append(Number(source.Quota.Budget)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(source.Quota.RemainingScheduled)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(source.DeadLetters)).Append("</td>")
                .Append("<td>").Append(Encode(source.State.LastReason ?? "")).Append("</td>")
                .Append("<td>").Append(Link(path, "source")).Append(" · ").Append(Link(path + "/calls", "calls"))
                .Append(" · ").Append(Link(path + "/usage", "usage")).Append(" · ").Append(Link(path + "/deadLetters", "dead letters")).Append("</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    private static void AppendHealth(StringBuilder html, IReadOnlyList<HealthEvent> unresolved)
    {
        html.Append("<h2>Unresolved health events</h2>\n");
        if (unresolved.Count == 0)
        {
            html.Append("<p>None.</p>\n");
            return;
        }
        html.Append("<table>\n<thead><tr><th>Since (UTC)</th><th>Last seen (UTC)</th><th>Severity</th><th>Event</th><th>Source</th><th class=\"num\">Count</th><th>Description</th></tr></thead>\n<tbody>\n");
        foreach (var healthEvent in unresolved)
        {
            html.Append("<tr><td>").Append(Time(healthEvent.EventTime)).Append("</td><td>").Append(Time(healthEvent.LastSeenAt)).Append("</td>")
                .Append("<td class=\"").Append(Encode(healthEvent.SeverityLevel.ToString())).Append("\">").Append(Encode(healthEvent.SeverityLevel.ToString())).Append("</td>")
                .Append("<td>").Append(Encode(healthEvent.EventName)).Append("</td>")
                .Append("<td>").Append(Encode(healthEvent.ResourceIdentity.Name)).Append("</td>")
                .Append("<td class=\"num\">").Append(Number(healthEvent.Count)).Append("</td>")
                .Append("<td>").Append(Encode(healthEvent.Details.Description)).Append("</td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n");
    }

    private static void AppendProblems(StringBuilder html, IReadOnlyList<ConfigProblemJson> problems)
    {
        html.Append("<h2>Configuration problems</h2>\n");
        if (problems.Count == 0)
        {
            html.Append("<p>None.</p>\n");
            return;
        }
        html.Append("<ul>\n");
        foreach (var problem in problems)
        {
            html.Append("<li><span class=\"").Append(problem.Severity == "Error" ? "Error" : "Warning").Append("\">").Append(Encode(problem.Severity)).Append("</span>: ").Append(Encode(problem.File)).Append(problem.Source is null ? "" : ", source " + Encode(problem.Source))
                .Append(", field <code>").Append(Encode(problem.Field)).Append("</code>: ").Append(Encode(problem.Message)).Append("</li>\n");
        }
        html.Append("</ul>\n");
    }

    private static string Link(string path, string text) => "<a href=\"" + Encode(path) + "\">" + Encode(text) + "</a>";

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);

    private static string Number(long value) => Cli.CliText.Number(value);

    private static string Time(DateTimeOffset? value) =>
        value is { } time ? Encode(time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)) : "–";

    private static string Uptime(long seconds)
    {
        var uptime = TimeSpan.FromSeconds(seconds);
        return uptime.TotalDays >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)uptime.TotalDays} d {uptime.Hours} h")
            : uptime.TotalHours >= 1
                ? string.Create(CultureInfo.InvariantCulture, $"{uptime.Hours} h {uptime.Minutes} min")
                : string.Create(CultureInfo.InvariantCulture, $"{uptime.Minutes} min {uptime.Seconds} s");
    }
}
