using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Benchmarks.Pipeline;

/// <summary>The cheapest HTTP log endpoint: loopback Kestrel that reads every body to the end, counts its bytes and answers 200.</summary>
public sealed class DiscardingSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;
    private long _bytes;

    private DiscardingSink(WebApplication app)
    {
        _app = app;
        app.MapPost("/receiver", ReceiveAsync);
    }

    public Uri Url { get; private set; } = null!;

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public static async Task<DiscardingSink> StartAsync(string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 16 * 1024 * 1024);
        var app = builder.Build();
        var sink = new DiscardingSink(app);
        await app.StartAsync();
        sink.Url = new Uri(app.Urls.First().TrimEnd('/') + "/receiver");
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
            }
            Interlocked.Add(ref _bytes, total);
            Interlocked.Increment(ref _requests);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
