using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Admin;

/// <summary>
/// The operator console: <c>GET /</c> (the page, for a signed-in browser), the sign-in and sign-out forms, and the
/// console's script, style and icon from the assembly, so it works with no internet. The page reads the same JSON routes
/// as scripts do, with the session cookie instead of the bearer header.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string PagePath = "/";
    public const string SignInPath = "/signin";
    public const string SignOutPath = "/signout";
    public const string AssetsPath = "/console";
    public const string SignInCookie = "kb4c_signin";
    public const string TokenField = "token";

    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["console.js"] = ("Kb4Collector.Admin.Console.console.js", "text/javascript; charset=utf-8"),
        ["console.css"] = ("Kb4Collector.Admin.Console.console.css", "text/css; charset=utf-8"),
        ["icon.svg"] = ("Kb4Collector.Admin.Console.icon.svg", "image/svg+xml"),
    };

    /// <summary>Routes that need no sign-in (still Host-checked).</summary>
    public static bool IsOpen(HttpRequest request) =>
        request.Path.StartsWithSegments(SignInPath) || request.Path.StartsWithSegments(AssetsPath);

    /// <summary>Pages a browser navigates to: without a session they redirect to the sign-in page instead of a 401.</summary>
    public static bool IsPage(HttpRequest request) => HttpMethods.IsGet(request.Method) && request.Path == PagePath;

    public static void Map(IEndpointRouteBuilder routes, AdminToken token, ConsoleSessions sessions, string collectorName, ILogger logger)
    {
        var assets = Assets.ToDictionary(pair => pair.Key, pair => (Bytes: ReadResource(pair.Value.Resource), pair.Value.ContentType), StringComparer.Ordinal);

        routes.MapGet(PagePath, (HttpContext context) =>
        {
            if (context.Features.Get<ConsoleSession>() is not { } session)
            {
                // A script with the bearer header: the console is for browsers.
                return Results.Redirect(SignInPath);
            }
            NoStore(context);
            return Results.Content(ConsolePages.Console(collectorName, session.CsrfToken), "text/html; charset=utf-8");
        });

        routes.MapGet(SignInPath, (HttpContext context) =>
        {
            if (sessions.Find(context.Request.Cookies[ConsoleSessions.CookieName]) is not null)
            {
                return Results.Redirect(PagePath);
            }
            return SignInPage(context, collectorName, message: null, StatusCodes.Status200OK);
        });

        routes.MapPost(SignInPath, async (HttpContext context) =>
        {
            var request = context.Request;
            if (!request.HasFormContentType)
            {
                return AdminResults.Error(StatusCodes.Status415UnsupportedMediaType, "invalid.form", "Sign in with the form at /signin.");
            }
            var form = await request.ReadFormAsync(context.RequestAborted);
            var nonce = request.Cookies[SignInCookie];
            if (AdminAccess.IsCrossOrigin(request) || nonce is null || !ConsoleSessions.SameSecret(form[AdminAccess.CsrfField].ToString(), nonce))
            {
                return SignInPage(context, collectorName, "The sign-in form expired or came from another site; please try again.", StatusCodes.Status403Forbidden);
            }
            if (!token.Matches(form[TokenField].ToString().Trim()))
            {
                Log.SignInRefused(logger, context.Connection.RemoteIpAddress);
                return SignInPage(context, collectorName, "That is not the admin token of this collector.", StatusCodes.Status401Unauthorized);
            }
            var (cookie, session) = sessions.Open();
            context.Response.Cookies.Append(ConsoleSessions.CookieName, cookie, CookieOptions(request, session.ExpiresAt));
            context.Response.Cookies.Delete(SignInCookie, CookieOptions(request, expires: null));
            Log.SignedIn(logger, context.Connection.RemoteIpAddress);
            return Results.Redirect(PagePath);
        });

        // The access check already required the session and its CSRF token for this POST.
        routes.MapPost(SignOutPath, (HttpContext context) =>
        {
            sessions.Close(context.Request.Cookies[ConsoleSessions.CookieName]);
            context.Response.Cookies.Delete(ConsoleSessions.CookieName, CookieOptions(context.Request, expires: null));
            return Results.Redirect(SignInPath);
        });

        routes.MapGet(AssetsPath + "/{name}", (string name, HttpContext context) =>
        {
            if (!assets.TryGetValue(name, out var asset))
            {
                return AdminResults.Error(StatusCodes.Status404NotFound, "notfound", "No such console file.");
            }
            context.Response.Headers.CacheControl = "no-cache";
            return Results.Bytes(asset.Bytes, asset.ContentType);
        });
    }

    private static IResult SignInPage(HttpContext context, string collectorName, string? message, int status)
    {
        var nonce = ConsoleSessions.RandomValue();
        context.Response.Cookies.Append(SignInCookie, nonce, CookieOptions(context.Request, expires: null));
        NoStore(context);
        return Results.Content(ConsolePages.SignIn(collectorName, nonce, message), "text/html; charset=utf-8", statusCode: status);
    }

    private static CookieOptions CookieOptions(HttpRequest request, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    private static byte[] ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The console file {name} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
