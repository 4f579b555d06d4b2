using System.Net;
using System.Text.RegularExpressions;
using Kb4Collector.Admin;
using Kb4Collector.Configuration;
using Kb4Collector.Lifecycle;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Admin;

/// <summary>The console's sign-in, session, CSRF, Host and CSP rules over plain HTTP (the browser tests drive the same in Chromium).</summary>
[Collection(AdminDaemonGroup.Name)]
public sealed partial class ConsoleAccessTests(AdminDaemonFixture daemon)
{
    private string Restart => $"/api/v1/collectors/local/sources/{daemon.BadId}/action/restart";

    [Fact]
    public async Task Without_a_session_the_console_redirects_to_sign_in_and_the_API_answers_401()
    {
        using var client = Browser();
        using var page = await client.GetAsync(new Uri("/", UriKind.Relative), Cancel);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/signin", page.Headers.Location?.OriginalString);

        using var api = await client.GetAsync(new Uri("/api/v1/collectors/local/sources", UriKind.Relative), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);

        using var forged = await Send(client, HttpMethod.Get, "/api/v1/collectors/local/sources", cookie: ConsoleSessions.CookieName + "=" + ConsoleSessions.RandomValue());
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Signing_in_sets_an_HttpOnly_SameSite_Strict_expiring_cookie_and_the_page_carries_a_strict_CSP()
    {
        using var client = Browser();
        var session = await SignInAsync(client);

        var cookie = session.SetCookie;
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain http on loopback
        var expires = DateTimeOffset.Parse(ExpiresPattern().Match(cookie).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, ConsoleSessions.Lifetime - TimeSpan.FromMinutes(1), ConsoleSessions.Lifetime + TimeSpan.FromMinutes(1));

        using var page = await Send(client, HttpMethod.Get, "/", session.Cookie);
        var html = await page.Content.ReadAsStringAsync(Cancel);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Contains($"<meta name=\"csrf-token\" content=\"{session.Csrf}\">", html, StringComparison.Ordinal);
        // No inline script or style, nothing from elsewhere, no secret.
        Assert.Single(ScriptPattern().Matches(html));
        Assert.Contains("<script src=\"/console/console.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", html);
        Assert.DoesNotContain(daemon.Token, html, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.GoodKey, html, StringComparison.Ordinal);

        using var api = await Send(client, HttpMethod.Get, "/api/v1/collectors/local/sources", session.Cookie);
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_or_a_sign_in_form_from_elsewhere_opens_no_session()
    {
        using var client = Browser();
        var (nonce, nonceCookie) = await SignInFormAsync(client);

        using var wrong = await PostForm(client, "/signin", nonceCookie, ("csrf", nonce), ("token", daemon.Token + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.DoesNotContain(wrong.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], value => value.StartsWith(ConsoleSessions.CookieName, StringComparison.Ordinal));
        Assert.DoesNotContain(daemon.Token, await wrong.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var withoutNonce = await PostForm(client, "/signin", cookie: null, ("token", daemon.Token));
        Assert.Equal(HttpStatusCode.Forbidden, withoutNonce.StatusCode);

        using var crossSite = await PostForm(client, "/signin", nonceCookie, [("csrf", nonce), ("token", daemon.Token)], origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.DoesNotContain(crossSite.Headers.TryGetValues("Set-Cookie", out set) ? set : [], value => value.StartsWith(ConsoleSessions.CookieName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_POST_with_the_session_needs_its_CSRF_token_and_this_origin()
    {
        await daemon.WaitForSteadyStateAsync();
        using var client = Browser();
        var session = await SignInAsync(client);

        using var noToken = await Send(client, HttpMethod.Post, Restart, session.Cookie);
        Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        Assert.Contains("\"code\":\"csrf\"", await noToken.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);

        using var wrongToken = await Send(client, HttpMethod.Post, Restart, session.Cookie, csrf: ConsoleSessions.RandomValue());
        Assert.Equal(HttpStatusCode.Forbidden, wrongToken.StatusCode);

        using var otherOrigin = await Send(client, HttpMethod.Post, Restart, session.Cookie, csrf: session.Csrf, origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, otherOrigin.StatusCode);

        using var crossSite = await Send(client, HttpMethod.Post, Restart, session.Cookie, csrf: session.Csrf, fetchSite: "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(SourceState.Error, daemon.Runtime.Find(daemon.BadId)!.Status.State);

        using var accepted = await Send(client, HttpMethod.Post, Restart, session.Cookie, csrf: session.Csrf, origin: daemon.Address.GetLeftPart(UriPartial.Authority), fetchSite: "same-origin");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await daemon.WaitForSteadyStateAsync();
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        using var client = Browser();
        var session = await SignInAsync(client);

        using var noToken = await PostForm(client, "/signout", session.Cookie);
        Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);

        using var signOut = await PostForm(client, "/signout", session.Cookie, ("csrf", session.Csrf));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/signin", signOut.Headers.Location?.OriginalString);

        using var after = await Send(client, HttpMethod.Get, "/api/v1/collectors/local", session.Cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Theory]
    [InlineData("rebind.attacker.example")]
    [InlineData("rebind.attacker.example:7380")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("localhost.attacker.example")]
    public async Task A_foreign_Host_is_refused_even_with_the_token(string host)
    {
        foreach (var path in new[] { "/", "/signin", "/console/console.js", "/api/v1/collectors/local/sources" })
        {
            using var client = daemon.Client();
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            using var response = await client.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
            Assert.Contains("\"code\":\"host.refused\"", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    public async Task The_loopback_names_are_served(string host)
    {
        using var client = daemon.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/collectors/local");
        request.Headers.Host = host + ":" + daemon.Address.Port;
        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void The_allowed_hosts_are_the_loopback_names_the_listen_address_and_the_configured_names()
    {
        Assert.True(ListenAddress.TryParse("10.1.2.3:7380", out var listen, out _));
        var hosts = AdminAccess.HostsFor(listen, ["collector.example.internal"]);
        Assert.Equal(["10.1.2.3", "127.0.0.1", "[::1]", "collector.example.internal", "localhost"], hosts.Order(StringComparer.Ordinal));

        Assert.True(ListenAddress.TryParse("*:7380", out var any, out _));
        Assert.DoesNotContain(AdminAccess.HostsFor(any, []), host => host.Contains(':', StringComparison.Ordinal) && host != "[::1]");
    }

    [Fact]
    public void A_session_lapses_after_its_lifetime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var sessions = new ConsoleSessions(time);
        var (cookie, session) = sessions.Open();
        Assert.Equal(session, sessions.Find(cookie));
        Assert.Null(sessions.Find(cookie + "x"));

        time.Advance(ConsoleSessions.Lifetime - TimeSpan.FromSeconds(1));
        Assert.NotNull(sessions.Find(cookie));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(sessions.Find(cookie));
        Assert.Equal(0, sessions.Count);
    }

    [Fact]
    public void Open_sessions_are_bounded()
    {
        var time = new FakeTimeProvider();
        var sessions = new ConsoleSessions(time);
        var first = sessions.Open().Cookie;
        for (var i = 0; i < ConsoleSessions.MaxSessions + 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            sessions.Open();
        }
        Assert.Equal(ConsoleSessions.MaxSessions, sessions.Count);
        Assert.Null(sessions.Find(first));
    }

    [Theory]
    [InlineData("console.js", "text/javascript")]
    [InlineData("console.css", "text/css")]
    [InlineData("icon.svg", "image/svg+xml")]
    public async Task The_console_files_come_from_the_daemon_without_a_session_and_load_nothing_from_elsewhere(string name, string type)
    {
        using var client = Browser();
        using var response = await client.GetAsync(new Uri("/console/" + name, UriKind.Relative), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(text.Length > 100);
        // The only URL in them is the SVG namespace.
        Assert.DoesNotContain(UrlPattern().Matches(text), match => match.Value != "http://www.w3.org/2000/svg");
        Assert.DoesNotContain("@import", text, StringComparison.Ordinal);
        Assert.DoesNotContain("innerHTML", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lifecycle_diagram_draws_every_state_and_every_move_of_the_state_machine()
    {
        var svg = LifecycleDiagram.Svg();
        foreach (var state in Enum.GetValues<SourceState>())
        {
            Assert.Contains($"<g class=\"state\" data-state=\"{state}\">", svg, StringComparison.Ordinal);
        }
        var graph = new SourceLifecycle().ToMermaidGraph();
        var moves = MovePattern().Matches(graph).Where(match => match.Groups[1].Value != match.Groups[2].Value)
            .Select(match => (match.Groups[1].Value, match.Groups[2].Value)).Distinct().ToList();
        Assert.Contains(("Error", "Collecting"), moves);
        foreach (var (from, to) in moves)
        {
            Assert.Contains($"data-from=\"{from}\" data-to=\"{to}\"", svg, StringComparison.Ordinal);
        }
        Assert.Equal(moves.Count, Regex.Count(svg, "<path class=\"move"));
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>An HTTP client that, like a test of a browser, sees redirects and cookies as they come.</summary>
    private HttpClient Browser() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = daemon.Address, Timeout = TimeSpan.FromSeconds(30) };

    private sealed record Session(string Cookie, string SetCookie, string Csrf);

    private static async Task<(string Nonce, string Cookie)> SignInFormAsync(HttpClient client)
    {
        using var form = await client.GetAsync(new Uri("/signin", UriKind.Relative), Cancel);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        var html = await form.Content.ReadAsStringAsync(Cancel);
        var nonce = HiddenCsrfPattern().Match(html).Groups[1].Value;
        Assert.NotEmpty(nonce);
        var cookie = form.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith(ConsoleEndpoints.SignInCookie + "=", StringComparison.Ordinal));
        return (nonce, cookie.Split(';')[0]);
    }

    private async Task<Session> SignInAsync(HttpClient client)
    {
        var (nonce, nonceCookie) = await SignInFormAsync(client);
        using var signedIn = await PostForm(client, "/signin", nonceCookie, ("csrf", nonce), ("token", daemon.Token));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        var setCookie = signedIn.Headers.GetValues("Set-Cookie").Single(value => value.StartsWith(ConsoleSessions.CookieName + "=", StringComparison.Ordinal));
        var cookie = setCookie.Split(';')[0];

        using var page = await Send(client, HttpMethod.Get, "/", cookie);
        var csrf = CsrfMetaPattern().Match(await page.Content.ReadAsStringAsync(Cancel)).Groups[1].Value;
        Assert.NotEmpty(csrf);
        return new Session(cookie, setCookie, csrf);
    }

    private static Task<HttpResponseMessage> PostForm(HttpClient client, string path, string? cookie, params (string Name, string Value)[] fields) =>
        PostForm(client, path, cookie, fields, origin: null);

    private static async Task<HttpResponseMessage> PostForm(HttpClient client, string path, string? cookie, (string Name, string Value)[] fields, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(fields.Select(field => KeyValuePair.Create(field.Name, field.Value))),
        };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return await client.SendAsync(request, Cancel);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, string cookie, string? csrf = null, string? origin = null, string? fetchSite = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        if (csrf is not null)
        {
            request.Headers.Add(AdminAccess.CsrfHeader, csrf);
        }
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
        return await client.SendAsync(request, Cancel);
    }

    [GeneratedRegex(@"expires=([^;]+)", RegexOptions.IgnoreCase)]
    private static partial Regex ExpiresPattern();

    [GeneratedRegex("<script")]
    private static partial Regex ScriptPattern();

    [GeneratedRegex(@"<meta name=""csrf-token"" content=""([^""]+)"">")]
    private static partial Regex CsrfMetaPattern();

    [GeneratedRegex(@"<input type=""hidden"" name=""csrf"" value=""([^""]+)"">")]
    private static partial Regex HiddenCsrfPattern();

    [GeneratedRegex(@"https?://[^\s'""`)]+")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"(\w+) --> (\w+) :")]
    private static partial Regex MovePattern();
}
