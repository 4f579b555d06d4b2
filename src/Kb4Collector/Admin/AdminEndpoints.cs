using Kb4Collector.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kb4Collector.Admin;

/// <summary>The local admin endpoint (DESIGN.md §8). Everything but the probes needs the bearer token.</summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app)
    {
        var token = app.Services.GetRequiredService<AdminToken>();
        var runtime = app.Services.GetRequiredService<CollectorRuntime>();

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (!path.StartsWithSegments("/healthz") && !path.StartsWithSegments("/readyz") && !token.Accepts(context.Request.Headers.Authorization))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(new AdminError(401, "unauthorized", "A bearer token is needed: see admin.token in the data directory."), AdminJsonContext.Default.AdminError);
                return;
            }
            await next(context);
        });

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => runtime.FirstLoad.IsCompletedSuccessfully
            ? Results.Text("ready\n")
            : Results.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
