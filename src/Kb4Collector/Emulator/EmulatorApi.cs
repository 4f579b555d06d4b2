using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kb4Collector.Emulator;

internal enum ApiRoute
{
    ListEvents,
    GetEvent,
    CreateEvent,
    DeleteEvent,
    ListEventTypes,
    GetEventType,
    ListStatuses,
    GetStatus,
    Unknown,
}

/// <summary>The eight User Event API endpoints: each request passes the gate (auth, limits, faults), then its handler, then the writer.</summary>
internal sealed class EmulatorApi(EmulatorState state, CancellationToken stopping)
{
    private static readonly byte[] PayloadTooLargeBody = EmulatorJson.Message("Request Entity Too Large");

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/events", context => ServeAsync(context, ApiRoute.ListEvents));
        endpoints.MapPost("/events", context => ServeAsync(context, ApiRoute.CreateEvent));
        endpoints.MapGet("/events/{id}", context => ServeAsync(context, ApiRoute.GetEvent));
        endpoints.MapDelete("/events/{id}", context => ServeAsync(context, ApiRoute.DeleteEvent));
        endpoints.MapGet("/event_types", context => ServeAsync(context, ApiRoute.ListEventTypes));
        endpoints.MapGet("/event_types/{id}", context => ServeAsync(context, ApiRoute.GetEventType));
        endpoints.MapGet("/statuses", context => ServeAsync(context, ApiRoute.ListStatuses));
        endpoints.MapGet("/statuses/{id}", context => ServeAsync(context, ApiRoute.GetStatus));
        endpoints.MapFallback("{**path}", context => ServeAsync(context, ApiRoute.Unknown));
    }

    public async Task ServeAsync(HttpContext context, ApiRoute route)
    {
        var admission = state.Admit(context.Request.Path.Value ?? "/", context.Request.Headers.Authorization, state.Now);
        if (!await PassAdmissionAsync(context, admission, state.TimeProvider, stopping))
        {
            return;
        }
        using var response = await HandleAsync(context, route, admission.Key!);
        await WriteAsync(context, response, admission.Mangling);
    }

    private async Task<EmulatorResponse> HandleAsync(HttpContext context, ApiRoute route, ApiKeyState key)
    {
        var account = key.Account;
        var query = context.Request.Query;
        return route switch
        {
            ApiRoute.ListEvents => state.ListEvents(account, query),
            ApiRoute.GetEvent => state.GetEvent(account, RouteId(context)),
            ApiRoute.DeleteEvent => state.DeleteEvent(account, RouteId(context), state.Now),
            ApiRoute.CreateEvent => await CreateAsync(context, key),
            ApiRoute.ListEventTypes => state.ListEventTypes(account, query),
            ApiRoute.GetEventType => state.GetEventType(account, RouteId(context)),
            ApiRoute.ListStatuses => state.ListStatuses(account, query),
            ApiRoute.GetStatus => state.GetStatus(account, RouteId(context)),
            _ => EmulatorState.NotFound(),
        };
    }

    private async Task<EmulatorResponse> CreateAsync(HttpContext context, ApiKeyState key)
    {
        var body = await ReadBodyAsync(context.Request, CreateEventParser.MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            return EmulatorResponse.Json(413, PayloadTooLargeBody);
        }
        return CreateEventParser.TryParse(body, out var request, out var error)
            ? state.SubmitCreate(key, request!, state.Now)
            : EmulatorState.BadRequest(error);
    }

    private static string RouteId(HttpContext context) => context.Request.RouteValues["id"] as string ?? string.Empty;

    /// <summary>Reads a request body up to <paramref name="limit"/> bytes; null when it is larger.</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Answers a rejected request (its 401, 429 or fault) or waits out its admission delay. False when the request is
    /// answered or gone, so the caller serves it only on true.
    /// </summary>
    internal static async Task<bool> PassAdmissionAsync(HttpContext context, Admission admission, TimeProvider time, CancellationToken stopping)
    {
        if (admission.Rejection is { } rejection)
        {
            using (rejection)
            {
                await WriteAsync(context, rejection, ResponseMangling.None);
            }
            return false;
        }
        if (admission.Delay > TimeSpan.Zero)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            try
            {
                await Task.Delay(admission.Delay, time, linked.Token);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                context.Abort();
                return false;
            }
        }
        return true;
    }

    internal static async Task WriteAsync(HttpContext context, EmulatorResponse response, ResponseMangling mangling)
    {
        var http = context.Response;
        http.StatusCode = response.Status;
        if (response.RetryAfter is { } retryAfter)
        {
            http.Headers.RetryAfter = retryAfter;
        }
        if (response.Body is null)
        {
            return;
        }
        http.ContentType = "application/json; charset=utf-8";
        var content = response.Content;
        var cancellationToken = context.RequestAborted;
        switch (mangling)
        {
            case ResponseMangling.Malformed:
                var malformed = content[..(content.Length / 2)];
                http.ContentLength = malformed.Length;
                await http.Body.WriteAsync(malformed, cancellationToken);
                break;
            case ResponseMangling.Truncated:
                // Kestrel ends a response shorter than its Content-Length by closing the connection after the bytes sent.
                http.ContentLength = content.Length;
                await http.Body.WriteAsync(content[..(content.Length / 2)], cancellationToken);
                break;
            default:
                http.ContentLength = content.Length;
                await http.Body.WriteAsync(content, cancellationToken);
                break;
        }
    }
}
