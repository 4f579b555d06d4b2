using System.Net;

namespace Kb4Collector.Tests.Admin;

[Collection(AdminDaemonGroup.Name)]
public sealed class StatusPageTests(AdminDaemonFixture daemon)
{
    [Fact]
    public async Task The_page_lists_the_sources_with_state_health_and_quota_and_links_to_the_JSON()
    {
        await daemon.WaitForSteadyStateAsync();
        var (status, html, response) = await daemon.SendAsync(HttpMethod.Get, "/");
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<h1>admin-test-collector</h1>", html, StringComparison.Ordinal);
        Assert.Contains(AdminDaemonFixture.GoodName, html, StringComparison.Ordinal);
        Assert.Contains(">Collecting<", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"Healthy\">Healthy</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"Error\">Error</td>", html, StringComparison.Ordinal);
        Assert.Contains("ThirdPartyConfigError", html, StringComparison.Ordinal);
        Assert.Contains(" / 500</td>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"/api/v1/collectors/local/sources/{daemon.GoodId}\">", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/metrics\">", html, StringComparison.Ordinal);
        Assert.Contains("Authorization: Bearer", html, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.GoodKey, html, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminDaemonFixture.BadKey, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hostile_source_name_is_HTML_encoded_and_the_page_has_no_script()
    {
        var (_, html, response) = await daemon.SendAsync(HttpMethod.Get, "/");
        response.Dispose();

        Assert.Contains("Evil &lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("</script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"<[^>]*\son[a-z]+\s*=", html);
    }
}
