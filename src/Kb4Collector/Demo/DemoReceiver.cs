using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Demo;

/// <summary>
/// The demo's HTTP log endpoint: a minimal Kestrel app on loopback that accepts POSTed NDJSON (gzip or not),
/// appends every line to a file and answers 200, as a Sumo Logic HTTP source would. It counts the lines and keeps
/// the headers of the last request, so the demo can show what a real endpoint would have received.
/// </summary>
public sealed class DemoReceiver : IAsyncDisposable
{
    /// <summary>Far above the sink's 1 MB batches; a bigger body is refused with 413.</summary>
    public const int MaxBodyBytes = 8 * 1024 * 1024;

    /// <summary>The headers kept from the last request (the sink's metadata; never an Authorization header).</summary>
    public static readonly IReadOnlyList<string> RecordedHeaders =
        ["Content-Type", "Content-Encoding", "X-Sumo-Name", "X-Sumo-Category", "X-Sumo-Host", "X-Sumo-Fields", "X-Sumo-Client"];

    private readonly WebApplication _app;
    private readonly FileStream _file;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private IReadOnlyList<KeyValuePair<string, string>> _lastHeaders = [];
    private long _lines;
    private long _requests;
    private int _disposed;

    private DemoReceiver(WebApplication app, FileStream file)
    {
        _app = app;
        _file = file;
    }

    /// <summary>Where the sink posts, e.g. <c>http://127.0.0.1:41234/receiver</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The file the events are appended to.</summary>
    public string EventsFile => _file.Name;

    /// <summary>Lines written to <see cref="EventsFile"/> so far.</summary>
    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>POST requests accepted so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>The <see cref="RecordedHeaders"/> the last accepted request carried, in that order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> LastHeaders => Volatile.Read(ref _lastHeaders);

    /// <summary>Starts listening on 127.0.0.1 (a free port) and creates (or truncates) <paramref name="eventsFile"/>.</summary>
    public static async Task<DemoReceiver> StartAsync(string eventsFile, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventsFile);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DemoReceiver).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
        });

        var app = builder.Build();
        var file = new FileStream(eventsFile, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024, useAsync: true);
        var receiver = new DemoReceiver(app, file);
        app.Run(receiver.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
        receiver.Url = new Uri(app.Urls.First().TrimEnd('/') + "/receiver");
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "POST";
            return;
        }

        var body = await ReadBodyAsync(request, context.RequestAborted);
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var lines = await AppendLinesAsync(body.Value, context.RequestAborted);
        Interlocked.Add(ref _lines, lines);
        Interlocked.Increment(ref _requests);
        Volatile.Write(ref _lastHeaders, Recorded(request.Headers));
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>The body, gunzipped when it says so; null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var gzip = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        await using var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Writes every non-empty line of <paramref name="body"/>, each ending in a newline; returns how many.</summary>
    private async Task<int> AppendLinesAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var count = 0;
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var rest = body;
            while (!rest.IsEmpty)
            {
                var end = rest.Span.IndexOf((byte)'\n');
                var line = end < 0 ? rest : rest[..end];
                rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
                if (line.Span.Length > 0 && line.Span[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }
                if (line.IsEmpty)
                {
                    continue;
                }
                await _file.WriteAsync(line, CancellationToken.None);
                _file.WriteByte((byte)'\n');
                count++;
            }
            // Flushed before the 200: what the sink was told is accepted is on disk for the summary to read.
            await _file.FlushAsync(CancellationToken.None);
        }
        finally
        {
            _writeGate.Release();
        }
        return count;
    }

    private static List<KeyValuePair<string, string>> Recorded(IHeaderDictionary headers)
    {
        var recorded = new List<KeyValuePair<string, string>>(RecordedHeaders.Count);
        foreach (var name in RecordedHeaders)
        {
            if (headers.TryGetValue(name, out var value) && value.Count > 0)
            {
                recorded.Add(new(name, value.ToString()));
            }
        }
        return recorded;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
            await _file.DisposeAsync();
            _writeGate.Dispose();
        }
    }

    /// <summary>The receiver lives inside the demo: it must not take over Ctrl+C or SIGTERM.</summary>
    private sealed class EmbeddedHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
