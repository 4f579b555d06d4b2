using Kb4Collector.Configuration;
using Kb4Collector.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kb4Collector.Admin;

/// <summary>
/// The local admin endpoint (DESIGN.md §8). Everything but the probes, the sign-in page and the console's files needs the
/// bearer token or a console session (<see cref="AdminAccess"/>); errors are Sumo's <c>{"status","code","message"}</c>.
/// The routes live by area: <see cref="SourceEndpoints"/>, <see cref="HealthEndpoints"/>, <see cref="AdminMetrics"/> and
/// <see cref="ConsoleEndpoints"/>.
/// </summary>
public static class AdminEndpoints
{
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var token = app.Services.GetRequiredService<AdminToken>();
        var runtime = app.Services.GetRequiredService<CollectorRuntime>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminEndpoints));
        var startedAt = runtime.Services.TimeProvider.GetUtcNow();

        // Unmatched routes and methods get Sumo's error body too; responses that wrote their own body are left alone.
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            var (code, message) = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => ("notfound", "No such route: see /api/v1/collectors/local and /api/v1/healthEvents."),
                StatusCodes.Status405MethodNotAllowed => ("method.unsupported", "This route does not take that method."),
                _ => ("error", ReasonPhrases.GetReasonPhrase(response.StatusCode)),
            };
            await response.WriteAsJsonAsync(new AdminError(response.StatusCode, code, message), AdminJsonContext.Default.AdminError);
        });

        // A storage failure met while answering is reported like one met while collecting, with Sumo's error body.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (LiteDB.LiteException error) when (!context.Response.HasStarted)
            {
                runtime.ReportStorageFailure(error);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new AdminError(503, "storage.failed", runtime.StorageProblem ?? error.Message), AdminJsonContext.Default.AdminError);
            }
        });

        var options = app.Services.GetRequiredService<IOptions<CollectorOptions>>().Value.Admin;
        var listen = ListenAddress.TryParse(options.Listen, out var address, out _) ? address : new ListenAddress("localhost", null, 0);
        var sessions = new ConsoleSessions(runtime.Services.TimeProvider);
        var access = new AdminAccess(token, sessions, AdminAccess.HostsFor(listen, options.AllowedHosts));
        app.Use(access.InvokeAsync);

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => runtime.StorageProblem is { } storage
            ? Results.Text($"storage failed: {storage}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : runtime.FirstLoad.IsCompletedSuccessfully
                ? Results.Text("ready\n")
                : Results.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable));

        SourceEndpoints.Map(app, runtime, startedAt, logger);
        ShardEndpoints.Map(app, runtime);
        HealthEndpoints.Map(app, runtime.Health);
        AdminMetrics.Map(app, new AdminMetrics(runtime, app.Services.GetRequiredService<Telemetry.RequestMetrics>()));
        ConsoleEndpoints.Map(app, token, sessions, runtime.CollectorName, logger);
    }
}
