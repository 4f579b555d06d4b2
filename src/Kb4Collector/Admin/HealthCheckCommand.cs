using System.CommandLine;
using Kb4Collector.Cli;

namespace Kb4Collector.Admin;

/// <summary>
/// <c>kb4collector healthcheck</c>: asks the daemon's <c>/healthz</c> and exits 0 when it answers 200. The container
/// image has no curl, so its HEALTHCHECK runs this.
/// </summary>
public static class HealthCheckCommand
{
    public const string DefaultUrl = "http://127.0.0.1:7380/healthz";

    public static Command Create()
    {
        var url = new Option<Uri>("--url") { Description = "The probe to ask", DefaultValueFactory = _ => new Uri(DefaultUrl) };
        var command = new Command("healthcheck", "Exit 0 when the daemon's /healthz answers (for container health checks)");
        command.Options.Add(url);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var probe = parseResult.GetValue(url)!;
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await client.GetAsync(probe, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return ExitCodes.Success;
                }
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"unhealthy: {probe} answered {(int)response.StatusCode}");
            }
            catch (Exception problem) when (problem is HttpRequestException or TaskCanceledException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"unhealthy: {probe}: {problem.Message}");
            }
            return ExitCodes.Failure;
        });
        return command;
    }
}
