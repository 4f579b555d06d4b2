using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Tests.Support;

/// <summary>An HTTP log endpoint on 127.0.0.1 that records every NDJSON line it accepts, and can refuse or stall on demand.</summary>
internal sealed class RecordingSinkServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _lines = new();

    private RecordingSinkServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>While set, every request gets this status and nothing is recorded.</summary>
    public int? RefuseWith { get; set; }

    /// <summary>How long each request waits before it is read.</summary>
    public TimeSpan Delay { get; set; }

    public int Requests;

    /// <summary>The most lines one accepted request carried.</summary>
    public int LargestBatch;

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<string> Ids => [.. _lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!)];

    public static async Task<RecordingSinkServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new RecordingSinkServer(app);
        app.MapPost("/{**path}", (Func<HttpContext, Task<IResult>>)server.ReceiveAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address + "/receiver/v1/http/test-code");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        Interlocked.Increment(ref Requests);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }
        if (RefuseWith is { } status)
        {
            return Results.StatusCode(status);
        }
        Stream body = context.Request.Body;
        if (context.Request.Headers.ContentEncoding == "gzip")
        {
            body = new GZipStream(body, CompressionMode.Decompress);
        }
        using var reader = new StreamReader(body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines)
        {
            _lines.Enqueue(line);
        }
        var largest = Volatile.Read(ref LargestBatch);
        while (lines.Length > largest && Interlocked.CompareExchange(ref LargestBatch, lines.Length, largest) != largest)
        {
            largest = Volatile.Read(ref LargestBatch);
        }
        return Results.Ok();
    }
}
