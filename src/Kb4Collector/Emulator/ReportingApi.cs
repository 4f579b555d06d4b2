using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Kb4Collector.Emulator;

/// <summary>The Reporting API (<c>GET /v1/...</c>, bare JSON arrays): each request passes the Reporting gate (its own keys and limits), then its handler.</summary>
internal sealed class ReportingApi(EmulatorState state, CancellationToken stopping)
{
    public const string Prefix = "/v1";

    public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapGet(Prefix + "/{**path}", ServeAsync);

    private async Task ServeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var admission = state.AdmitReporting(path, context.Request.Headers.Authorization, state.Now);
        if (!await EmulatorApi.PassAdmissionAsync(context, admission, state.TimeProvider, stopping))
        {
            return;
        }
        var route = (context.Request.RouteValues["path"] as string ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        context.Response.Headers["X-Request-Id"] = Guid.NewGuid().ToString();
        using var response = state.ServeReporting(admission.Key!.Account, route, context.Request.Query, state.Now);
        await EmulatorApi.WriteAsync(context, response, ResponseMangling.None);
    }
}
