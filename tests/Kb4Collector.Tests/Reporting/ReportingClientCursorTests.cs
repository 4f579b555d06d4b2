using Kb4Collector.Reporting;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Kb4Collector.Tests.Reporting;

/// <summary>The Reporting client's cursor walk tolerates the answer shapes: an object with a next cursor, or a bare array (no cursors: page numbers).</summary>
public sealed class ReportingClientCursorTests : IDisposable
{
    private const string Path = "/v1/training/enrollments";

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private ReportingClient Client() => new(_http, new Uri(_server.Url! + "/"), "reporting-key");

    private void Answer(string param, string value, string body) =>
        _server.Given(Request.Create().WithPath(Path).WithParam(param, value).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body));

    private async Task<List<string>> ReadAllAsync()
    {
        var ids = new List<string>();
        await foreach (var page in Client().ListAllAsync(Path, "GET " + Path, null, cursor: true, TestContext.Current.CancellationToken))
        {
            ids.AddRange(page.Select(record => record.Text("enrollment_id")!));
        }
        return ids;
    }

    [Fact]
    public async Task ANextCursorUnderMetaAndItemsInsteadOfDataAreFollowedToTheLastPage()
    {
        Answer("cursor", "true", """{"items":[{"enrollment_id":1},{"enrollment_id":2}],"meta":{"next_cursor":"c2"}}""");
        Answer("cursor", "c2", """{"items":[{"enrollment_id":3}],"meta":{"next_cursor":null}}""");

        Assert.Equal(["1", "2", "3"], await ReadAllAsync());
        Assert.DoesNotContain(_server.LogEntries, entry => entry.RequestMessage.Query?.ContainsKey("page") == true);
    }

    [Fact]
    public async Task ABareArrayAnswerToACursorIsPageOneAndTheWalkGoesOnByPageNumbers()
    {
        Answer("cursor", "true", """[{"enrollment_id":1},{"enrollment_id":2}]""");
        Answer("page", "2", """[{"enrollment_id":3}]""");
        Answer("page", "3", "[]");

        Assert.Equal(["1", "2", "3"], await ReadAllAsync());
        Assert.Equal(3, _server.LogEntries.Count);
    }

    [Fact]
    public async Task AnObjectWithoutARecordArrayIsMalformed()
    {
        Answer("cursor", "true", """{"next_cursor":"x"}""");

        var failure = await Assert.ThrowsAsync<Kb4Collector.KnowBe4.KnowBe4ApiException>(ReadAllAsync);
        Assert.Equal(Kb4Collector.KnowBe4.KnowBe4FailureKind.MalformedBody, failure.Kind);
        Assert.Contains("GET /v1/training/enrollments", failure.Message, StringComparison.Ordinal);
    }
}
