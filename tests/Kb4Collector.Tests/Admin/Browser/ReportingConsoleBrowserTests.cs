using System.Globalization;
using System.Text.Json;
using Kb4Collector.Emulator;
using Kb4Collector.Health;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Reporting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kb4Collector.Tests.Admin.Browser;

/// <summary>
/// A "KnowBe4 KMSAT" source in the console, in real Chromium: each Reporting data type is listed under its source with
/// its own health and state as the admin JSON gives them. KnowBe4 refuses the phishing endpoints (429), so phishingTests
/// is parked with a Warning while the other two collect.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ReportingConsoleBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private const float Timeout = 20_000;

    [Fact]
    public async Task The_console_lists_each_data_type_of_a_KMSAT_source_with_its_own_health_and_state()
    {
        Assert.SkipUnless(ChromiumFixture.Enabled, $"browser tests run with {ChromiumFixture.OptIn}=1");
        await using var harness = await DaemonHarness.StartAsync(backlog: 40, reporting: EmulatorReporting.LimitsOff);
        harness.Emulator.AddFault(new EmulatorFault { Kind = EmulatorFaultKind.RateLimited, Paths = ["/v1/phishing/"], From = TimeSpan.Zero, To = TimeSpan.FromHours(1) });
        KmsatDaemonTests.WriteKmsat(harness, "kmsat.json", "KMSAT");
        await harness.StartDaemonAsync();
        await Waits.UntilAsync(
            () => harness.Source("KMSAT")?.DataTypes is { Count: 3 } types
                && types.Where(type => type.DataType != "phishingTests").All(type => type.Status.LastSuccessAt is not null)
                && harness.Runtime.Health.List(10, sourceId: types.Single(type => type.DataType == "phishingTests").Id, unresolvedOnly: true).Count > 0,
            "training and risk scores collected, phishing parked with a health event", TimeSpan.FromSeconds(60));
        var sourceId = harness.Source("KMSAT")!.Definition.Id;

        var address = harness.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(address + "/signin");
        await page.FillAsync("#token", harness.App.Services.GetRequiredService<Kb4Collector.Admin.AdminToken>().Value);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForSelectorAsync("body[data-loaded=true]", new PageWaitForSelectorOptions { Timeout = Timeout });
        await page.ClickAsync("#refresh");
        await page.WaitForFunctionAsync("() => Number(document.body.dataset.refreshes) >= 2", null, new PageWaitForFunctionOptions { Timeout = Timeout });

        using var admin = harness.AdminClient();
        using var json = JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/collectors/local/sources/{sourceId}", TestContext.Current.CancellationToken));
        var types = json.RootElement.GetProperty("source").GetProperty("dataTypes").EnumerateArray().ToList();
        Assert.Equal(["phishingTests", "trainingEnrollments", "userRiskScores"], types.Select(type => type.GetProperty("dataType").GetString()));
        var rows = page.Locator($"article.source[data-source-id=\"{sourceId}\"] tr[data-data-type]");
        Assert.Equal(3, await rows.CountAsync());
        foreach (var type in types)
        {
            var row = page.Locator($"article.source[data-source-id=\"{sourceId}\"] tr[data-data-type-id=\"{type.GetProperty("id").GetString()}\"]");
            Assert.Equal(type.GetProperty("dataType").GetString(), await row.Locator("[data-field=dataType]").TextContentAsync());
            Assert.Equal(type.GetProperty("health").GetString(), await row.Locator("[data-field=health]").GetAttributeAsync("data-value"));
            Assert.Equal(type.GetProperty("state").GetProperty("state").GetString(), await row.Locator("[data-field=state]").GetAttributeAsync("data-value"));
            Assert.Equal(type.GetProperty("checkpoint").GetProperty("created").GetInt64().ToString(CultureInfo.InvariantCulture),
                await row.Locator("[data-field=created]").GetAttributeAsync("data-value"));
            Assert.Equal(type.GetProperty("pollInterval").GetString(), await row.Locator("[data-field=pollInterval]").TextContentAsync());
        }
        // Each its own health: the parked one warns, the others are healthy.
        Assert.Equal(HealthSeverity.Warning.ToString(), await page.Locator($"article.source[data-source-id=\"{sourceId}\"] tr[data-data-type=phishingTests]").GetAttributeAsync("data-health"));
        Assert.Equal("Healthy", await page.Locator($"article.source[data-source-id=\"{sourceId}\"] tr[data-data-type=trainingEnrollments]").GetAttributeAsync("data-health"));
        Assert.Equal("Healthy", await page.Locator($"article.source[data-source-id=\"{sourceId}\"] tr[data-data-type=userRiskScores]").GetAttributeAsync("data-health"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ChromiumFixture.Screenshots, "kmsat-data-types.png"), FullPage = true });
    }
}
