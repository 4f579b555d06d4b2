using System.IO.Compression;
using System.Net;
using System.Text;
using Kb4Collector.Demo;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Demo;

public sealed class DemoReceiverTests : IDisposable
{
    private readonly TempSourceFolder _folder = new();

    [Fact]
    public async Task Appends_every_line_of_plain_and_gzipped_posts_and_keeps_the_last_sink_headers()
    {
        var file = _folder.PathOf("events.ndjson");
        await using var receiver = await DemoReceiver.StartAsync(file, TestContext.Current.CancellationToken);
        using var client = new HttpClient();

        using (var plain = new StringContent("{\"id\":\"a\"}\n{\"id\":\"b\"}\n", Encoding.UTF8, "application/x-ndjson"))
        using (var response = await client.PostAsync(receiver.Url, plain, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new ByteArrayContent(Gzip("{\"id\":\"c\"}\r\n\n{\"id\":\"d\"}")) };
        request.Content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain; charset=utf-8");
        request.Headers.TryAddWithoutValidation("X-Sumo-Name", "KnowBe4 Demo");
        request.Headers.TryAddWithoutValidation("X-Sumo-Fields", "environment=demo");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer not-recorded");
        using (var response = await client.SendAsync(request, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(4, receiver.Lines);
        Assert.Equal(2, receiver.Requests);
        Assert.Equal(["{\"id\":\"a\"}", "{\"id\":\"b\"}", "{\"id\":\"c\"}", "{\"id\":\"d\"}"], await ReadSharedAsync(file));
        Assert.Equal(
            [new("Content-Type", "text/plain; charset=utf-8"), new("Content-Encoding", "gzip"), new("X-Sumo-Name", "KnowBe4 Demo"), new("X-Sumo-Fields", "environment=demo")],
            receiver.LastHeaders);
    }

    [Fact]
    public async Task Refuses_other_methods_and_bodies_over_the_cap()
    {
        await using var receiver = await DemoReceiver.StartAsync(_folder.PathOf("events.ndjson"), TestContext.Current.CancellationToken);
        using var client = new HttpClient();

        using (var response = await client.GetAsync(receiver.Url, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }
        // Small on the wire, too big once unzipped.
        using var bomb = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new ByteArrayContent(Gzip(new string('x', DemoReceiver.MaxBodyBytes + 1))) };
        bomb.Content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        using (var response = await client.SendAsync(bomb, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        Assert.Equal(0, receiver.Lines);
        Assert.Equal(0, receiver.Requests);
    }

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        return buffer.ToArray();
    }

    private static async Task<string[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public void Dispose() => _folder.Dispose();
}
