using System.Net;
using Kb4Collector.Configuration;
using Microsoft.AspNetCore.Http;

namespace Kb4Collector.Admin;

/// <summary>
/// Who may use the admin endpoint, checked before any route:
/// <list type="number">
/// <item>the probes (<c>/healthz</c>, <c>/readyz</c>) answer anyone: they tell nothing and kubelets send pod IPs as Host;</item>
/// <item>any other request must name a Host this endpoint serves (<see cref="AllowedHosts"/>), so a DNS-rebinding page
/// whose name now resolves to 127.0.0.1 gets 421 instead of the API;</item>
/// <item>the sign-in page and the console's static assets are open; everything else needs the bearer token (scripts) or
/// a console session cookie (browsers);</item>
/// <item>with a session, every state-changing request must carry the session's CSRF token and, when the browser says where
/// it comes from, come from this origin.</item>
/// </list>
/// Every answer but the probes carries a strict Content-Security-Policy.
/// </summary>
internal sealed class AdminAccess(AdminToken token, ConsoleSessions sessions, IReadOnlySet<string> allowedHosts)
{
    public const string CsrfHeader = "X-CSRF-Token";
    public const string CsrfField = "csrf";

    /// <summary>Scripts and styles only from this daemon, no inline script, no frames, forms only to itself.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public IReadOnlySet<string> AllowedHosts => allowedHosts;

    /// <summary>The loopback names, the listen host (unless it is a wildcard) and the configured extra names.</summary>
    public static IReadOnlySet<string> HostsFor(ListenAddress listen, IEnumerable<string> extra)
    {
        var hosts = new HashSet<string>(["localhost", "127.0.0.1", "[::1]"], StringComparer.OrdinalIgnoreCase);
        if (listen.Address is { } address && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            hosts.Add(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString());
        }
        foreach (var host in extra)
        {
            hosts.Add(host.Trim());
        }
        return hosts;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var path = request.Path;
        if (path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz"))
        {
            await next(context);
            return;
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // Not no-referrer: with it Chromium sends "Origin: null" on the console's own form POSTs, which the CSRF check refuses.
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";

        if (!request.Host.HasValue || !allowedHosts.Contains(request.Host.Host))
        {
            await Refuse(context, StatusCodes.Status421MisdirectedRequest, "host.refused",
                "This admin endpoint does not serve that Host name; add it to Collector:Admin:AllowedHosts if it is yours.");
            return;
        }
        if (ConsoleEndpoints.IsOpen(request))
        {
            await next(context);
            return;
        }
        if (token.Accepts(request.Headers.Authorization))
        {
            await next(context);
            return;
        }

        var session = sessions.Find(request.Cookies[ConsoleSessions.CookieName]);
        if (session is null)
        {
            if (ConsoleEndpoints.IsPage(request))
            {
                context.Response.Redirect(ConsoleEndpoints.SignInPath);
                return;
            }
            headers.WWWAuthenticate = "Bearer";
            await Refuse(context, StatusCodes.Status401Unauthorized, "unauthorized",
                "A bearer token or a console session is needed: see admin.token in the data directory.");
            return;
        }
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !await CarriesCsrfTokenAsync(request, session))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, "csrf",
                "This change did not come from the console page (missing or wrong CSRF token, or another origin).");
            return;
        }
        context.Features.Set(session);
        await next(context);
    }

    /// <summary>True when the browser says the request comes from another site or origin than this endpoint.</summary>
    public static bool IsCrossOrigin(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0 && fetchSite is not ("same-origin" or "none"))
        {
            return true;
        }
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !string.Equals(origin, request.Scheme + "://" + request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<bool> CarriesCsrfTokenAsync(HttpRequest request, ConsoleSession session)
    {
        if (IsCrossOrigin(request))
        {
            return false;
        }
        var presented = request.Headers[CsrfHeader].ToString();
        if (presented.Length == 0 && request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            presented = form[CsrfField].ToString();
        }
        return ConsoleSessions.SameSecret(presented, session.CsrfToken);
    }

    private static Task Refuse(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new AdminError(status, code, message), AdminJsonContext.Default.AdminError);
    }
}
