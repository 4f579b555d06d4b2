using System.Net;
using System.Text.Json;
using Kb4Collector.Admin;
using Kb4Collector.Configuration;

namespace Kb4Collector.Tests.Admin;

[Collection(AdminDaemonGroup.Name)]
public sealed class AdminAuthTests(AdminDaemonFixture daemon)
{
    private static readonly string Good = SourceDefinition.IdFor(AdminDaemonFixture.GoodName);

    public static TheoryData<string, string> ProtectedRoutes() => new()
    {
        { "GET", "/metrics" },
        { "GET", "/api/v1/collectors/local" },
        { "GET", "/api/v1/collectors/local/sources" },
        { "GET", $"/api/v1/collectors/local/sources/{Good}" },
        { "GET", $"/api/v1/collectors/local/sources/{Good}?download=true" },
        { "POST", $"/api/v1/collectors/local/sources/{Good}/action/restart" },
        { "GET", $"/api/v1/collectors/local/sources/{Good}/calls" },
        { "GET", $"/api/v1/collectors/local/sources/{Good}/usage" },
        { "GET", $"/api/v1/collectors/local/sources/{Good}/deadLetters" },
        { "POST", $"/api/v1/collectors/local/sources/{Good}/deadLetters/action/replay" },
        { "GET", "/api/v1/healthEvents" },
        { "GET", "/api/v1/no-such-route" },
    };

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task A_request_without_the_token_gets_401_in_Sumo_shape(string method, string path)
    {
        var (status, body, response) = await daemon.SendAsync(new HttpMethod(method), path, token: "");
        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            AssertUnauthorizedBody(body);
        }
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task A_wrong_token_gets_401(string method, string path)
    {
        foreach (var wrong in new[] { "not-the-admin-token-at-all", daemon.Token + "x", daemon.Token[..^1] })
        {
            var (status, body, response) = await daemon.SendAsync(new HttpMethod(method), path, wrong);
            response.Dispose();
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            AssertUnauthorizedBody(body);
        }
    }

    [Fact]
    public async Task The_right_token_in_another_scheme_is_refused()
    {
        using var client = daemon.Client(token: "");
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", daemon.Token);
        using var response = await client.GetAsync("/api/v1/collectors/local", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_probes_need_no_token()
    {
        var (healthz, healthzBody, first) = await daemon.SendAsync(HttpMethod.Get, "/healthz", token: "");
        var (readyz, readyzBody, second) = await daemon.SendAsync(HttpMethod.Get, "/readyz", token: "");
        first.Dispose();
        second.Dispose();
        Assert.Equal(HttpStatusCode.OK, healthz);
        Assert.Equal("ok\n", healthzBody);
        Assert.Equal(HttpStatusCode.OK, readyz);
        Assert.Equal("ready\n", readyzBody);
    }

    [Fact]
    public void The_generated_token_file_is_readable_by_its_owner_only()
    {
        Assert.True(daemon.Token.Length >= 32);
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(Path.Combine(daemon.DataDirectory, AdminToken.FileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task With_the_token_an_unknown_route_is_404_and_a_wrong_method_405_in_Sumo_shape()
    {
        var (notFound, notFoundBody, first) = await daemon.SendAsync(HttpMethod.Get, "/api/v1/no-such-route");
        var (notAllowed, notAllowedBody, second) = await daemon.SendAsync(HttpMethod.Delete, $"/api/v1/collectors/local/sources/{Good}");
        first.Dispose();
        second.Dispose();

        Assert.Equal(HttpStatusCode.NotFound, notFound);
        using var notFoundJson = JsonDocument.Parse(notFoundBody);
        Assert.Equal(404, notFoundJson.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("notfound", notFoundJson.RootElement.GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.MethodNotAllowed, notAllowed);
        using var notAllowedJson = JsonDocument.Parse(notAllowedBody);
        Assert.Equal(405, notAllowedJson.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("method.unsupported", notAllowedJson.RootElement.GetProperty("code").GetString());
    }

    private static void AssertUnauthorizedBody(string body)
    {
        using var json = JsonDocument.Parse(body);
        Assert.Equal(["status", "code", "message"], json.RootElement.EnumerateObject().Select(property => property.Name));
        Assert.Equal(401, json.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("unauthorized", json.RootElement.GetProperty("code").GetString());
        Assert.Contains(AdminToken.FileName, json.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
