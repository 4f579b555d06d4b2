using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kb4Collector.Emulator;

/// <summary>
/// <c>/__emulator/*</c>: ground truth and live fault control. No key, no quota, no faults: no real
/// client calls these. Bodies are camelCase JSON (faults use the scenario file's fault shape).
/// </summary>
internal sealed class GroundTruthEndpoints(EmulatorState state)
{
    public const string Prefix = "/__emulator";
    private const int StreamSlice = 1024;

    public void Map(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup(Prefix);
        group.MapGet("/ground-truth", StreamEventsAsync);
        group.MapGet("/calls", context => WriteJsonAsync(context, 200, WriteCalls));
        group.MapGet("/accounts", context => WriteJsonAsync(context, 200, WriteAccounts));
        group.MapGet("/faults", context => WriteJsonAsync(context, 200, WriteFaults));
        group.MapPost("/faults", AddFaultAsync);
        group.MapDelete("/faults", context =>
        {
            state.ClearFaults();
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
        group.MapDelete("/faults/{id}", context =>
        {
            context.Response.StatusCode = state.RemoveFault(context.Request.RouteValues["id"] as string ?? string.Empty) ? 204 : 404;
            return Task.CompletedTask;
        });
        group.MapFallback("{**path}", context => WriteJsonAsync(context, 404, static writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("message", "Not Found");
            writer.WriteEndObject();
        }));
    }

    /// <summary>
    /// <c>GET /__emulator/ground-truth[?account=NAME][&amp;live=true]</c>: every event that ever existed, in
    /// creation order, streamed as <c>{"scenarioStart","now","events":[{id, account, accountId,
    /// occurredDate, createdAt, deletedAt, event}]}</c> where <c>event</c> is the exact API JSON.
    /// </summary>
    private async Task StreamEventsAsync(HttpContext context)
    {
        var account = EventQuery.Value(context.Request.Query, "account");
        var liveOnly = bool.TryParse(EventQuery.Value(context.Request.Query, "live"), out var live) && live;
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json; charset=utf-8";
        var cancellationToken = context.RequestAborted;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, EmulatorJson.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("scenarioStart", EmulatorJson.FormatTimestamp(state.ScenarioStart));
        writer.WriteString("now", EmulatorJson.FormatTimestamp(state.Now));
        writer.WriteStartArray("events");
        var slice = new GroundTruthEvent[StreamSlice];
        var position = 0;
        while (true)
        {
            var copied = state.CopyEvents(position, slice, account, liveOnly, out position);
            for (var i = 0; i < copied; i++)
            {
                var item = slice[i];
                writer.WriteStartObject();
                writer.WriteString("id", item.Id);
                writer.WriteString("account", item.Account);
                writer.WriteNumber("accountId", item.AccountId);
                writer.WriteString("occurredDate", EmulatorJson.FormatTimestamp(item.OccurredDate));
                writer.WriteString("createdAt", EmulatorJson.FormatTimestamp(item.CreatedAt));
                if (item.DeletedAt is { } deleted)
                {
                    writer.WriteString("deletedAt", EmulatorJson.FormatTimestamp(deleted));
                }
                else
                {
                    writer.WriteNull("deletedAt");
                }
                writer.WritePropertyName("event");
                writer.WriteRawValue(item.Json.Span, skipInputValidation: true);
                writer.WriteEndObject();
            }
            await writer.FlushAsync(cancellationToken);
            await response.BodyWriter.FlushAsync(cancellationToken);
            if (copied < slice.Length)
            {
                break;
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    private void WriteCalls(Utf8JsonWriter writer)
    {
        var calls = state.SnapshotCalls();
        var tooMany = state.SnapshotTooManyRequests();
        writer.WriteStartObject();
        writer.WriteStartArray("keys");
        foreach (var key in calls.Values)
        {
            writer.WriteStartObject();
            writer.WriteString("account", key.Account);
            writer.WriteString("keyName", key.KeyName);
            writer.WriteNumber("requests", key.Requests);
            writer.WriteNumber("calls", key.Calls);
            writer.WriteNumber("rateLimited", key.RateLimited);
            writer.WriteNumber("quotaExceeded", key.QuotaExceeded);
            writer.WriteNumber("revoked", key.Revoked);
            writer.WriteNumber("faultResponses", key.FaultResponses);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartObject("tooManyRequests");
        writer.WriteNumber("rate", tooMany.Rate);
        writer.WriteNumber("quota", tooMany.Quota);
        writer.WriteNumber("fault", tooMany.Fault);
        writer.WriteEndObject();
        writer.WriteNumber("unauthorized", state.SnapshotUnauthorized());
        writer.WriteStartObject("faultsServed");
        foreach (var (kind, count) in state.SnapshotFaultsServed().OrderBy(pair => pair.Key))
        {
            writer.WriteNumber(kind.ToString(), count);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Accounts without secrets: a caller of this route must already know its key.</summary>
    private void WriteAccounts(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("accounts");
        foreach (var account in state.SnapshotAccounts())
        {
            writer.WriteStartObject();
            writer.WriteString("name", account.Name);
            writer.WriteNumber("accountId", account.AccountId);
            writer.WriteNumber("seats", account.Seats);
            writer.WriteStartArray("keyNames");
            foreach (var key in account.ApiKeys)
            {
                writer.WriteStringValue(key.Name);
            }
            writer.WriteEndArray();
            writer.WriteNumber("liveEvents", account.LiveEvents);
            writer.WriteNumber("quotaCallsToday", account.QuotaCallsToday);
            writer.WriteStartArray("eventTypes");
            foreach (var type in account.EventTypes)
            {
                writer.WriteStringValue(type);
            }
            writer.WriteEndArray();
            writer.WriteStartArray("users");
            foreach (var email in account.UserEmails)
            {
                writer.WriteStringValue(email);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private void WriteFaults(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("faults");
        foreach (var (id, fault) in state.Faults())
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WritePropertyName("fault");
            JsonSerializer.Serialize(writer, fault, EmulatorScenario.JsonOptions);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary><c>POST /__emulator/faults</c> with one fault in the scenario file's shape → 201 <c>{"id"}</c>.</summary>
    private async Task AddFaultAsync(HttpContext context)
    {
        var body = await EmulatorApi.ReadBodyAsync(context.Request, 64 * 1024, context.RequestAborted);
        string? error;
        string? id = null;
        try
        {
            var fault = body is null ? null : JsonSerializer.Deserialize<EmulatorFault>(body, EmulatorScenario.JsonOptions);
            error = fault is null ? "body must be one fault object" : null;
            if (fault is not null)
            {
                id = state.AddFault(fault);
            }
        }
        catch (JsonException exception)
        {
            error = $"{exception.Path ?? "$"}: {exception.Message}";
        }
        catch (EmulatorScenarioException exception)
        {
            error = exception.Message;
        }
        await WriteJsonAsync(context, id is null ? 400 : 201, writer =>
        {
            writer.WriteStartObject();
            if (id is null)
            {
                writer.WriteString("message", error);
            }
            else
            {
                writer.WriteString("id", id);
            }
            writer.WriteEndObject();
        });
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        using var response = EmulatorResponse.Write(status, write, static (writer, action) => action(writer));
        await EmulatorApi.WriteAsync(context, response, ResponseMangling.None);
    }
}
