using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kb4Collector.Delivery;
using Kb4Collector.Lifecycle;
using Kb4Collector.Quota;
using Microsoft.Playwright;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Kb4Collector.Tests.Admin.Browser;

/// <summary>
/// The operator console in real Chromium against the running daemon: "Acme US" collects, "Acme EU" sits in Error until
/// its key is restored and it is restarted, the hostile-named source stays in Error. Values on the page are checked
/// against the admin JSON read with the bearer token. Screenshots of each page land in <see cref="ChromiumFixture.Screenshots"/>.
/// </summary>
[Collection(ConsoleDaemonGroup.Name)]
[Trait("Category", "Browser")]
public sealed partial class ConsoleBrowserTests(ConsoleDaemonFixture daemon, ChromiumFixture chromium)
{
    private const string Sources = "/api/v1/collectors/local/sources";
    private const float Timeout = 20_000;

    [Fact]
    public async Task Signed_in_the_console_shows_every_section_and_chart_as_the_admin_JSON_says()
    {
        Assert.SkipUnless(ChromiumFixture.Enabled, $"browser tests run with {ChromiumFixture.OptIn}=1");
        await using var context = await NewContextAsync(1280, 900);
        var page = await context.NewPageAsync();
        var violations = WatchConsoleErrors(page);

        await page.GotoAsync(daemon.Address.AbsoluteUri);
        Assert.EndsWith("/signin", page.Url, StringComparison.Ordinal);
        await ScreenshotAsync(page, "signin");
        await SignInAsync(page);

        // Collector summary.
        var (collector, _) = await FreshAsync(page, () => daemon.GetJsonAsync("/api/v1/collectors/local"));
        var c = collector.GetProperty("collector");
        Assert.Equal(c.GetProperty("name").GetString(), await page.TextContentAsync("#collector [data-field=name]"));
        Assert.Equal(c.GetProperty("collectorVersion").GetString(), await page.TextContentAsync("#collector [data-field=version]"));
        Assert.Equal("3", await page.GetAttributeAsync("#collector [data-field=sourceCount]", "data-value"));
        foreach (var state in c.GetProperty("states").EnumerateObject())
        {
            Assert.Equal(state.Value.GetInt32().ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync($"#collector [data-state={state.Name}]", "data-count"));
        }
        Assert.Equal(c.GetProperty("unresolvedHealthEvents").GetInt32().ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#collector [data-field=unresolved]", "data-value"));
        Assert.Equal(c.GetProperty("configProblems").GetArrayLength().ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#collector [data-field=configProblems]", "data-value"));

        // Every source card, colour-coded and with its state, reason and counters.
        var (sources, _) = await FreshAsync(page, () => daemon.GetJsonAsync(Sources));
        foreach (var source in sources.GetProperty("sources").EnumerateArray())
        {
            var card = page.Locator($"article.source[data-source-id=\"{source.GetProperty("id").GetString()}\"]");
            var state = source.GetProperty("state");
            Assert.Equal(source.GetProperty("name").GetString(), await card.Locator("[data-field=name]").TextContentAsync());
            Assert.Equal(source.GetProperty("health").GetString(), await card.GetAttributeAsync("data-health"));
            Assert.Contains("health-" + source.GetProperty("health").GetString(), await card.GetAttributeAsync("class") ?? "", StringComparison.Ordinal);
            Assert.Equal(state.GetProperty("state").GetString(), await Field(card, "state"));
            Assert.Equal(Text(state, "errorClass"), await Field(card, "errorClass") ?? "");
            Assert.Equal(Text(state, "lastReason"), await Field(card, "lastReason") ?? "");
            Assert.Equal(Text(state, "firstFailureAt"), await Field(card, "firstFailureAt"));
            Assert.Equal(Text(state, "retryWindowEndsAt"), await Field(card, "retryWindowEndsAt"));
            Assert.Equal(Text(source, "nextPollReason"), await Field(card, "nextPollReason"));
            Assert.Equal(Text(source, "eventsDelivered"), await Field(card, "eventsDelivered"));
            Assert.Equal(Text(source, "deadLetters"), await Field(card, "deadLetters"));
            // The engine's one-line position (tracked days, events, proven days); it moves while the page is read.
            var position = await card.Locator("[data-field=checkpointPosition]").TextContentAsync();
            Assert.Equal(source.TryGetProperty("checkpointPosition", out _), position != "—");
            Assert.Equal(state.GetProperty("state").GetString(), await card.Locator("svg.lifecycle g.state.current").GetAttributeAsync("data-state"));
        }
        Assert.Equal(AdminDaemonFixture.BadName, await page.Locator($"article[data-source-id=\"{daemon.BadId}\"] h3").TextContentAsync());
        Assert.Equal(1, await page.Locator("script").CountAsync());
        await ScreenshotAsync(page, "sources");

        // Health events, unresolved first, in the API's order.
        await page.ClickAsync("a[data-tab=health]");
        var (health, _) = await FreshAsync(page, () => daemon.GetJsonAsync("/api/v1/healthEvents?limit=200"));
        var events = health.GetProperty("data").EnumerateArray().ToList();
        var rows = page.Locator("#health-table tbody tr");
        Assert.Equal(events.Count, await rows.CountAsync());
        Assert.NotEmpty(events);
        for (var i = 0; i < events.Count; i++)
        {
            var row = rows.Nth(i);
            Assert.Equal(events[i].GetProperty("eventId").GetString(), await row.GetAttributeAsync("data-event-id"));
            Assert.Equal(events[i].GetProperty("eventName").GetString(), await row.Locator("[data-field=class]").TextContentAsync());
            Assert.Equal(events[i].GetProperty("details").GetProperty("description").GetString(), await row.Locator("[data-field=reason]").TextContentAsync());
            Assert.Equal(Text(events[i], "resolvedAt"), await row.Locator("[data-field=resolution]").GetAttributeAsync("data-value"));
        }
        await ScreenshotAsync(page, "health");

        // Call History: the refused source's calls, filtered by source and status, KnowBe4's date format, no key.
        // Its own few calls are topped up with earlier refused ones, so there is more than one page.
        var ledger = daemon.Runtime.Services.Ledger;
        var key = daemon.Runtime.Find(daemon.BadId)!.Definition.ApiKeyFingerprint;
        for (var i = 1; i <= 25; i++)
        {
            ledger.RecordCall(new CallRecord(DateTimeOffset.UtcNow.AddHours(-i), daemon.BadId, key, "GET /events", 401, 0, "HTTP 401", TimeSpan.FromMilliseconds(12)));
        }
        await page.ClickAsync("a[data-tab=calls]");
        await FreshAsync(page, () => Task.FromResult(default(JsonElement)));
        await page.SelectOptionAsync("#calls-source", daemon.BadId);
        var badCalls = (await daemon.GetJsonAsync($"{Sources}/{daemon.BadId}/calls?limit=1000")).GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(badCalls);
        var badKey = sources.GetProperty("sources").EnumerateArray().Single(source => source.GetProperty("id").GetString() == daemon.BadId)
            .GetProperty("quota").GetProperty("keyFingerprint").GetString();
        var callRows = page.Locator("#calls-table tbody tr");
        Assert.Equal(Math.Min(20, badCalls.Count), await callRows.CountAsync());
        Assert.Contains($"{badCalls.Count} call", await page.TextContentAsync("#calls-page"), StringComparison.Ordinal);
        for (var i = 0; i < await callRows.CountAsync(); i++)
        {
            var row = callRows.Nth(i);
            Assert.Equal(badCalls[i].GetProperty("id").GetString(), await row.GetAttributeAsync("data-call-id"));
            Assert.Equal(Text(badCalls[i], "status"), await row.Locator("[data-field=status]").GetAttributeAsync("data-value"));
            Assert.Equal(Text(badCalls[i], "events"), await row.Locator("[data-field=events]").TextContentAsync());
            var processed = await row.Locator("[data-field=processed]").TextContentAsync() ?? "";
            Assert.Matches(@"^\d\d/\d\d/\d{4}, \d{1,2}:\d\d (AM|PM)$", processed);
            Assert.Equal(badCalls[i].GetProperty("time").GetDateTimeOffset().UtcDateTime.ToString("MM/dd/yyyy, h:mm tt", CultureInfo.InvariantCulture), processed);
            Assert.Equal(badKey, await row.Locator("[data-field=key]").TextContentAsync());
        }
        await page.ClickAsync("#calls-next");
        Assert.StartsWith($"Page 2 of {(badCalls.Count + 19) / 20}", await page.TextContentAsync("#calls-page"), StringComparison.Ordinal);
        Assert.Equal(badCalls[20].GetProperty("id").GetString(), await callRows.First.GetAttributeAsync("data-call-id"));
        await page.SelectOptionAsync("#calls-status", "success");
        Assert.Equal("No calls match.", await page.TextContentAsync("#calls-table tbody"));
        await page.SelectOptionAsync("#calls-source", daemon.GoodId);
        Assert.True(await callRows.CountAsync() > 0);
        Assert.All(await page.Locator("#calls-table [data-field=status]").EvaluateAllAsync<string[]>("cells => cells.map(c => c.dataset.value)"), status => Assert.StartsWith("2", status, StringComparison.Ordinal));
        await page.SelectOptionAsync("#calls-status", "");
        await page.SelectOptionAsync("#calls-source", "");
        await ScreenshotAsync(page, "calls");

        // Stats: this month's quota circle, the year's bars and today's budget for the collecting source.
        await page.ClickAsync("a[data-tab=stats]");
        await page.SelectOptionAsync("#stats-source", daemon.GoodId);
        var (before, after) = await FreshAsync(page, () => daemon.GetJsonAsync($"{Sources}/{daemon.GoodId}/usage"));
        var today = before.GetProperty("today");
        var day = DateOnly.Parse(today.GetProperty("day").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(500, today.GetProperty("budget").GetInt32()); // 10 × 50 seats
        var allowance = 500 * DateTime.DaysInMonth(day.Year, day.Month);
        Assert.Equal(allowance.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#stats-month svg.progress", "data-allowance"));
        var monthUsed = int.Parse(await page.GetAttributeAsync("#stats-month svg.progress", "data-used") ?? "", CultureInfo.InvariantCulture);
        Assert.InRange(monthUsed, MonthCalls(before, day), MonthCalls(after, day));
        Assert.True(monthUsed > 0);
        Assert.Contains($"10 × 50 seats × {DateTime.DaysInMonth(day.Year, day.Month)} days", await page.TextContentAsync("#stats-month"), StringComparison.Ordinal);
        var bars = page.Locator("#stats-year rect.bar");
        Assert.Equal(12, await bars.CountAsync());
        foreach (var month in before.GetProperty("months").EnumerateArray())
        {
            var value = int.Parse(await bars.Nth(month.GetProperty("month").GetInt32() - 1).GetAttributeAsync("data-value") ?? "", CultureInfo.InvariantCulture);
            var upper = after.GetProperty("months").EnumerateArray().Single(m => m.GetProperty("month").GetInt32() == month.GetProperty("month").GetInt32()).GetProperty("calls").GetInt32();
            Assert.InRange(value, month.GetProperty("calls").GetInt32(), upper);
        }
        for (var month = day.Month + 1; month <= 12; month++)
        {
            Assert.Equal("", await bars.Nth(month - 1).GetAttributeAsync("data-value"));
        }
        var todayUsed = int.Parse(await page.GetAttributeAsync("#stats-today [data-field=todayUsed]", "data-value") ?? "", CultureInfo.InvariantCulture);
        Assert.InRange(todayUsed, today.GetProperty("used").GetInt32(), after.GetProperty("today").GetProperty("used").GetInt32());
        Assert.Equal(Text(today, "manualReserve"), await page.GetAttributeAsync("#stats-today [data-field=manualReserve]", "data-value"));
        var share = (500.0 - today.GetProperty("manualReserve").GetInt32()) / 500;
        Assert.Equal(share.ToString("0.0000", CultureInfo.InvariantCulture), await page.GetAttributeAsync("#stats-today [data-field=share]", "data-value"));
        // The engine's plan: polls per day the budget pays for.
        Assert.NotEqual("—", await page.TextContentAsync("#stats-today [data-field=pollsPerDay]"));
        Assert.Equal(before.GetProperty("days").GetArrayLength(), await page.Locator("#stats-days rect.bar").CountAsync());
        await ScreenshotAsync(page, "stats");

        var html = await page.ContentAsync();
        foreach (var secret in new[] { daemon.Token, AdminDaemonFixture.GoodKey, AdminDaemonFixture.BadKey, AdminDaemonFixture.RecoverableKey })
        {
            Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
        }
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Restart_from_the_console_brings_a_source_in_Error_to_Collecting()
    {
        Assert.SkipUnless(ChromiumFixture.Enabled, $"browser tests run with {ChromiumFixture.OptIn}=1");
        await using var context = await NewContextAsync(1280, 900);
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        var card = page.Locator($"article.source[data-source-id=\"{daemon.RecoverableId}\"]");
        Assert.Equal("Error", await Field(card, "state"));
        Assert.Equal("Error", await card.GetAttributeAsync("data-health"));
        Assert.Equal("ThirdPartyConfig", await Field(card, "errorClass"));
        Assert.Equal("Error", await card.Locator("svg.lifecycle g.state.current").GetAttributeAsync("data-state"));
        await ScreenshotAsync(page, "source-in-error");

        daemon.RestoreRecoverableKey();
        await card.Locator("button[data-action=restart]").ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToHaveTextAsync($"Restart of {AdminDaemonFixture.RecoverableName} requested.");

        await Assertions.Expect(card.Locator("[data-field=state]")).ToHaveTextAsync("Collecting", new() { Timeout = Timeout });
        await Assertions.Expect(card).ToHaveAttributeAsync("data-health", "Healthy", new() { Timeout = Timeout });
        Assert.Equal("Collecting", await card.Locator("svg.lifecycle g.state.current").GetAttributeAsync("data-state"));
        var source = (await daemon.GetJsonAsync($"{Sources}/{daemon.RecoverableId}")).GetProperty("source");
        Assert.Equal("Collecting", source.GetProperty("state").GetProperty("state").GetString());
        Assert.Equal(SourceState.Collecting, daemon.Runtime.Find(daemon.RecoverableId)!.Status.State);
        await ScreenshotAsync(page, "source-restarted");
        // The README's picture (tests/Kb4Collector.Tests/Admin/Browser/console.png, copied from TestResults/console/): one screen, not the whole page.
        await ScreenshotAsync(page, "console", fullPage: false);
    }

    [Fact]
    public async Task Replay_from_the_console_delivers_a_dead_letter()
    {
        Assert.SkipUnless(ChromiumFixture.Enabled, $"browser tests run with {ChromiumFixture.OptIn}=1");
        const string EventId = "00000000-0000-4000-8000-00000000c0de";
        var json = $$"""{"id":"{{EventId}}","event_type":{"name":"Lost or stolen equipment"},"description":"refused once"}""";
        daemon.Runtime.Services.Sink.DeadLetters.Add(daemon.GoodId, new SinkEvent(EventId, System.Text.Encoding.UTF8.GetBytes(json)), 400, "HTTP 400: refused on its own");

        await using var context = await NewContextAsync(1280, 900);
        var page = await context.NewPageAsync();
        await SignInAsync(page);
        var card = page.Locator($"article.source[data-source-id=\"{daemon.GoodId}\"]");
        Assert.Equal("1", await Field(card, "deadLetters"));
        var replay = card.Locator("button[data-action=replay]");
        await Assertions.Expect(replay).ToBeEnabledAsync();

        await replay.ClickAsync();

        await Assertions.Expect(page.Locator("#notice")).ToHaveTextAsync($"Replay of {AdminDaemonFixture.GoodName}: 1 accepted, 0 still refused, 0 remaining.");
        await Assertions.Expect(card.Locator("[data-field=deadLetters]")).ToHaveAttributeAsync("data-value", "0");
        await Assertions.Expect(card.Locator("button[data-action=replay]")).ToBeDisabledAsync();
        Assert.Equal(0, daemon.Runtime.Services.Sink.DeadLetters.Count(daemon.GoodId));
        Assert.Contains(daemon.Sink.LogEntries, entry => entry.RequestMessage.Body?.Contains(EventId, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Without_a_session_from_a_foreign_Host_or_from_another_origin_the_browser_is_refused()
    {
        Assert.SkipUnless(ChromiumFixture.Enabled, $"browser tests run with {ChromiumFixture.OptIn}=1");
        await using var context = await NewContextAsync(1280, 900);
        var page = await context.NewPageAsync();

        // No session: the console sends the browser to sign in, the API answers 401.
        await page.GotoAsync(daemon.Address.AbsoluteUri);
        Assert.EndsWith("/signin", page.Url, StringComparison.Ordinal);
        var api = await page.GotoAsync(new Uri(daemon.Address, Sources).AbsoluteUri);
        Assert.Equal(401, api!.Status);

        // A wrong token opens nothing.
        await page.GotoAsync(new Uri(daemon.Address, "/signin").AbsoluteUri);
        await page.FillAsync("#token", "not-the-admin-token");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator(".alert")).ToHaveTextAsync("That is not the admin token of this collector.");
        Assert.DoesNotContain(await context.CookiesAsync(), cookie => cookie.Name == "kb4c_session");

        // Signed in: the cookie is HttpOnly, SameSite=Strict and expires.
        await SignInAsync(page);
        var session = Assert.Single(await context.CookiesAsync(), cookie => cookie.Name == "kb4c_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.True(session.Expires > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Null(await page.EvaluateAsync<string?>("document.cookie.includes('kb4c_session') ? 'visible' : null"));

        // A DNS-rebinding page: its name resolves to 127.0.0.1, but the daemon does not serve that Host.
        var port = daemon.Address.Port;
        foreach (var path in new[] { "/", "/signin", Sources })
        {
            var rebound = await page.GotoAsync($"http://{ChromiumFixture.RebindHost}:{port}{path}");
            Assert.Equal(421, rebound!.Status);
        }

        // A page elsewhere posts a restart form. From 127.0.0.1 on another port (same site: the Strict cookie is sent) the
        // CSRF check refuses it; from localhost (another site) the browser does not even send the cookie.
        var evil = $"""
            <!DOCTYPE html><title>evil</title>
            <form method="post" action="{daemon.Address.AbsoluteUri.TrimEnd('/')}{Sources}/{daemon.BadId}/action/restart">
            <button id="go">win a prize</button></form>
            """;
        daemon.Sink.Given(Request.Create().WithPath("/evil").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/html").WithBody(evil));
        var restartsBefore = Transitions(daemon.BadId);
        var sinkPort = new Uri(daemon.Sink.Urls[0]).Port;
        foreach (var (origin, status, code) in new[] { ("127.0.0.1", 403, "csrf"), ("localhost", 401, "unauthorized") })
        {
            await page.GotoAsync($"http://{origin}:{sinkPort}/evil");
            var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#go"), r => r.Url.Contains("/action/restart", StringComparison.Ordinal));
            Assert.Equal(status, response.Status);
            Assert.Contains($"\"code\":\"{code}\"", await response.TextAsync(), StringComparison.Ordinal);
            await ScreenshotAsync(page, "refused-post-from-" + origin);
        }
        Assert.Equal(restartsBefore, Transitions(daemon.BadId));
    }

    [Fact]
    public async Task The_console_stays_usable_on_a_narrow_window()
    {
        Assert.SkipUnless(ChromiumFixture.Enabled, $"browser tests run with {ChromiumFixture.OptIn}=1");
        await using var context = await NewContextAsync(390, 844);
        var page = await context.NewPageAsync();
        await page.GotoAsync(daemon.Address.AbsoluteUri);
        await ScreenshotAsync(page, "narrow-signin");
        await SignInAsync(page);

        foreach (var tab in new[] { "sources", "health", "calls", "stats" })
        {
            await page.ClickAsync($"a[data-tab={tab}]");
            await Assertions.Expect(page.Locator($"[data-view={tab}]")).ToBeVisibleAsync();
            // The page itself never scrolls sideways; wide tables scroll inside their own box.
            var overflowing = await page.EvaluateAsync<string[]>(
                "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))" +
                ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))");
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"the {tab} page scrolls sideways: {string.Join(", ", overflowing.Take(8))}");
            await ScreenshotAsync(page, "narrow-" + tab, fullPage: tab == "sources");
        }
        await page.ClickAsync("a[data-tab=sources]");
        var restart = page.Locator($"article.source[data-source-id=\"{daemon.GoodId}\"] button[data-action=restart]");
        await restart.ScrollIntoViewIfNeededAsync();
        await Assertions.Expect(restart).ToBeInViewportAsync(new() { Ratio = 1f });

        await page.ClickAsync(".signout button");
        Assert.EndsWith("/signin", page.Url, StringComparison.Ordinal);
        var api = await page.GotoAsync(new Uri(daemon.Address, Sources).AbsoluteUri);
        Assert.Equal(401, api!.Status);
    }

    private Task<IBrowserContext> NewContextAsync(int width, int height) =>
        chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, TimezoneId = "UTC" });

    private async Task SignInAsync(IPage page)
    {
        if (!page.Url.EndsWith("/signin", StringComparison.Ordinal))
        {
            await page.GotoAsync(new Uri(daemon.Address, "/signin").AbsoluteUri);
        }
        await page.FillAsync("#token", daemon.Token);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(daemon.Address.AbsoluteUri);
        await page.WaitForSelectorAsync("body[data-loaded=true]", new PageWaitForSelectorOptions { Timeout = Timeout });
    }

    /// <summary>
    /// Reads the JSON, has the page load everything afresh, then reads the JSON again: what the page shows lies between
    /// the two reads (counters only grow), and everything that does not move equals both.
    /// </summary>
    private static async Task<(JsonElement Before, JsonElement After)> FreshAsync(IPage page, Func<Task<JsonElement>> read)
    {
        var before = await read();
        var started = int.Parse(await page.GetAttributeAsync("body", "data-refresh-started") ?? "0", CultureInfo.InvariantCulture);
        await page.ClickAsync("#refresh");
        // Polled from here: Playwright's WaitForFunction evaluates a string, which the console's CSP rightly forbids.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (int.Parse(await page.GetAttributeAsync("body", "data-refreshes") ?? "0", CultureInfo.InvariantCulture) < started + 1)
        {
            Assert.True(waited.ElapsedMilliseconds < Timeout, "the console did not refresh");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        return (before, await read());
    }

    /// <summary>The raw value of a field of the card; null when the card does not show that field.</summary>
    private static async Task<string?> Field(ILocator card, string name)
    {
        var field = card.Locator($"[data-field={name}]");
        return await field.CountAsync() == 0 ? null : await field.First.GetAttributeAsync("data-value");
    }

    /// <summary>A JSON value as the page puts it in <c>data-value</c>: text as is, numbers invariant, absent as "".</summary>
    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Null => "",
            _ => value.GetRawText(),
        } : "";

    private static int MonthCalls(JsonElement usage, DateOnly day) =>
        usage.GetProperty("months").EnumerateArray().Single(m => m.GetProperty("month").GetInt32() == day.Month).GetProperty("calls").GetInt32();

    private int Transitions(string id) => daemon.Runtime.Find(id)!.Status.RecentTransitions.Count(t => t.To == SourceState.Pending);

    private static List<string> WatchConsoleErrors(IPage page)
    {
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        return errors;
    }

    private static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        // From the top, so the sticky header sits where a reader expects it in a full-page picture.
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ChromiumFixture.Screenshots, name + ".png"), FullPage = fullPage });
    }
}
