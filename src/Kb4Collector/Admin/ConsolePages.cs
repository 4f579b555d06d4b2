using System.Text;
using System.Text.Encodings.Web;

namespace Kb4Collector.Admin;

/// <summary>
/// The console's two HTML documents. The server renders only the frame (names, the CSRF token, empty tables); the
/// console script fills it from the JSON routes with <c>textContent</c>, never HTML, so no source name or reason can
/// become markup. Neither page holds any script or style inline: the Content-Security-Policy forbids both.
/// </summary>
internal static class ConsolePages
{
    private static readonly Lazy<string> Lifecycle = new(LifecycleDiagram.Svg);

    public static string SignIn(string collectorName, string nonce, string? message)
    {
        var html = Head(collectorName, "Sign in", csrfToken: null, withScript: false);
        html.Append("<body class=\"signin-page\">\n<main class=\"signin\">\n")
            .Append("<h1><img src=\"/console/icon.svg\" alt=\"\" width=\"32\" height=\"32\"> Kb4Collector</h1>\n")
            .Append("<p class=\"muted\">Operator console of <strong>").Append(Encode(collectorName)).Append("</strong></p>\n");
        if (message is not null)
        {
            html.Append("<p class=\"alert\" role=\"alert\">").Append(Encode(message)).Append("</p>\n");
        }
        html.Append("<form method=\"post\" action=\"").Append(ConsoleEndpoints.SignInPath).Append("\">\n")
            .Append("<input type=\"hidden\" name=\"").Append(AdminAccess.CsrfField).Append("\" value=\"").Append(Encode(nonce)).Append("\">\n")
            .Append("<label for=\"token\">Admin token</label>\n")
            .Append("<input id=\"token\" name=\"").Append(ConsoleEndpoints.TokenField).Append("\" type=\"password\" autocomplete=\"current-password\" required autofocus spellcheck=\"false\">\n")
            .Append("<button type=\"submit\">Sign in</button>\n</form>\n")
            .Append("<p class=\"muted small\">The token is in <code>admin.token</code> in the collector's data directory (or set as <code>Collector:Admin:Token</code>). ")
            .Append("The sign-in lasts ").Append((int)ConsoleSessions.Lifetime.TotalHours).Append(" hours or until you sign out.</p>\n")
            .Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    public static string Console(string collectorName, string csrfToken)
    {
        var html = Head(collectorName, "Console", csrfToken, withScript: true);
        html.Append("<body>\n<header class=\"topbar\">\n<div class=\"brand\"><img src=\"/console/icon.svg\" alt=\"\" width=\"24\" height=\"24\"><span>Kb4Collector</span>")
            .Append("<strong id=\"collector-name\">").Append(Encode(collectorName)).Append("</strong></div>\n")
            .Append("<nav class=\"tabs\" aria-label=\"Sections\">")
            .Append("<a href=\"#sources\" data-tab=\"sources\">Sources</a><a href=\"#health\" data-tab=\"health\">Health events</a>")
            .Append("<a href=\"#calls\" data-tab=\"calls\">Call History</a><a href=\"#stats\" data-tab=\"stats\">Stats</a></nav>\n")
            .Append("<form class=\"signout\" method=\"post\" action=\"").Append(ConsoleEndpoints.SignOutPath).Append("\">")
            .Append("<input type=\"hidden\" name=\"").Append(AdminAccess.CsrfField).Append("\" value=\"").Append(Encode(csrfToken)).Append("\">")
            .Append("<button type=\"submit\" class=\"quiet\">Sign out</button></form>\n</header>\n")
            .Append("<noscript><p class=\"alert\">The console needs JavaScript (served by this collector; nothing comes from the internet). Scripts can use the JSON API with the bearer token.</p></noscript>\n")
            .Append("<main>\n")
            .Append("<section id=\"collector\" class=\"card summary\" aria-label=\"Collector\"><p class=\"muted\">Loading…</p></section>\n")
            .Append("<p id=\"notice\" class=\"notice\" role=\"status\" hidden></p>\n")
            .Append("<section id=\"view-sources\" data-view=\"sources\"><h2>Sources</h2><div id=\"source-list\" class=\"sources\"></div></section>\n")
            .Append("<section id=\"view-health\" data-view=\"health\" hidden><h2>Health events</h2><div class=\"scroll\"><table id=\"health-table\">")
            .Append("<thead><tr><th>Status</th><th>Time (UTC)</th><th>Source</th><th>Class</th><th>Severity</th><th>Reason</th><th class=\"num\">Count</th><th>Resolution</th></tr></thead><tbody></tbody></table></div></section>\n")
            .Append("<section id=\"view-calls\" data-view=\"calls\" hidden><h2>Call History</h2>\n<div class=\"filters\">")
            .Append("<label>Source <select id=\"calls-source\"><option value=\"\">All sources</option></select></label>")
            .Append("<label>Status <select id=\"calls-status\"><option value=\"\">All</option><option value=\"success\">Success</option><option value=\"failure\">Failure</option></select></label></div>\n")
            .Append("<div class=\"scroll\"><table id=\"calls-table\"><thead><tr><th>Status</th><th>Call ID</th><th>Source</th><th>API key</th><th>Endpoint</th><th class=\"num\">Events</th><th>Errors</th><th>Date processed (UTC)</th></tr></thead><tbody></tbody></table></div>\n")
            .Append("<div class=\"pager\"><button type=\"button\" id=\"calls-prev\">Previous</button><span id=\"calls-page\"></span><button type=\"button\" id=\"calls-next\">Next</button></div></section>\n")
            .Append("<section id=\"view-stats\" data-view=\"stats\" hidden><h2>Stats</h2>\n<div class=\"filters\"><label>Source <select id=\"stats-source\"></select></label></div>\n<div id=\"stats\" class=\"stats\"></div></section>\n")
            .Append("</main>\n<footer><button type=\"button\" id=\"refresh\" class=\"quiet\">Refresh now</button> <span id=\"refreshed\" class=\"muted\"></span> · JSON: ")
            .Append("<a href=\"").Append(SourceEndpoints.CollectorPath).Append("\">collector</a> · <a href=\"").Append(SourceEndpoints.SourcesPath).Append("\">sources</a> · ")
            .Append("<a href=\"").Append(HealthEndpoints.Path).Append("\">health events</a> · <a href=\"").Append(AdminMetrics.Path).Append("\">metrics</a></footer>\n")
            .Append("<template id=\"lifecycle-template\">").Append(Lifecycle.Value).Append("</template>\n")
            .Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static StringBuilder Head(string collectorName, string title, string? csrfToken, bool withScript)
    {
        var html = new StringBuilder(8192);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (csrfToken is not null)
        {
            html.Append("<meta name=\"csrf-token\" content=\"").Append(Encode(csrfToken)).Append("\">\n");
        }
        html.Append("<title>").Append(Encode(title)).Append(" · ").Append(Encode(collectorName)).Append(" · Kb4Collector</title>\n")
            .Append("<link rel=\"icon\" href=\"/console/icon.svg\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"/console/console.css\">\n");
        if (withScript)
        {
            html.Append("<script src=\"/console/console.js\" defer></script>\n");
        }
        return html.Append("</head>\n");
    }

    private static string Encode(string value) => HtmlEncoder.Default.Encode(value);
}
