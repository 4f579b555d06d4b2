using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Benchmarks.EndToEnd;

/// <summary>
/// The HTTP log endpoint of the process benchmark, run as its own process: <c>POST /receiver</c> reads each body
/// (gunzipping it when it says so) and counts its lines, one event each in the Sumo format; <c>GET /count</c> answers
/// <c>lines requests bytes</c>.
/// </summary>
public static class CountingReceiver
{
    public const string Role = "--receiver";

    private static long s_lines;
    private static long s_requests;
    private static long s_bytes;

    public static async Task<int> RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        await using var app = builder.Build();
        app.MapPost("/receiver", ReceiveAsync);
        app.MapGet("/count", () => string.Create(CultureInfo.InvariantCulture, $"{Interlocked.Read(ref s_lines)} {Interlocked.Read(ref s_requests)} {Interlocked.Read(ref s_bytes)}"));
        await app.StartAsync();
        Console.WriteLine("RECEIVER " + app.Urls.First().TrimEnd('/') + "/receiver");
        await Console.In.ReadToEndAsync(); // stdin is /dev/null or closed: wait for the kill instead
        await Task.Delay(Timeout.InfiniteTimeSpan);
        return 0;
    }

    private static async Task ReceiveAsync(HttpContext context)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var gzip = context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);
            await using var body = gzip ? new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true) : context.Request.Body;
            long lines = 0;
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
            Interlocked.Add(ref s_lines, lines);
            Interlocked.Add(ref s_bytes, total);
            Interlocked.Increment(ref s_requests);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
