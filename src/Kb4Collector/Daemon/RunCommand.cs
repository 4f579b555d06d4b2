using System.CommandLine;
using Kb4Collector.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Daemon;

/// <summary><c>kb4collector run</c>: the daemon, until Ctrl+C or SIGTERM.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "A source file or a folder of *.json source files (Collector:SourcesPath; default config/sources)" };
        var data = new Option<string?>("--data") { Description = "Data directory: checkpoint database and admin.token (Collector:DataDirectory; default data)" };
        var settings = new Option<string?>("--settings") { Description = $"Collector-wide settings file (default {DaemonSettings.DefaultSettingsFile})" };
        var shard = new Option<string?>("--shard") { Description = "i/n: collect only the sources whose API key hashes to replica i of n (Collector:Shard; i may be a pod name ending in -<ordinal>)" };
        var logFormat = new Option<string>("--log-format") { Description = "text (readable, default) or json (compact JSON lines)", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("run", "Run the collector daemon. Any setting can be given as --Collector:Sink:Url=… after the options.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Options.Add(config);
        command.Options.Add(data);
        command.Options.Add(settings);
        command.Options.Add(shard);
        command.Options.Add(logFormat);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var daemonSettings = new DaemonSettings
            {
                SourcesPath = parseResult.GetValue(config),
                DataDirectory = parseResult.GetValue(data),
                SettingsFile = parseResult.GetValue(settings),
                JsonLogs = parseResult.GetValue(logFormat) == "json",
                Overrides = [.. parseResult.UnmatchedTokens],
                Values = parseResult.GetValue(shard) is { } shardText ? new Dictionary<string, string?> { ["Collector:Shard"] = shardText } : new Dictionary<string, string?>(),
            };
            return await RunAsync(daemonSettings, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(DaemonSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = DaemonHost.Build(settings);
        }
        catch (Storage.DatabaseSchemaException newer)
        {
            await error.WriteLineAsync("error: " + newer.Message);
            return ExitCodes.Failure;
        }
        catch (DaemonConfigurationException invalid)
        {
            foreach (var problem in invalid.Problems)
            {
                await error.WriteLineAsync("error: " + problem);
            }
            return ExitCodes.Usage;
        }
        catch (Exception problem) when (problem is FileNotFoundException or InvalidDataException or FormatException)
        {
            await error.WriteLineAsync("error: " + CliText.OneLine(problem.Message));
            return ExitCodes.Usage;
        }
        catch (Exception problem) when (StartupFailure.From(problem) is { } failure)
        {
            await error.WriteLineAsync("error: " + failure.Line);
            return failure.ExitCode;
        }

        // Resolved before running: a host that fails to start is disposed by RunAsync.
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RunCommand));
        await using (app)
        {
            try
            {
                await StartAsync(app, cancellationToken);
                await app.WaitForShutdownAsync(cancellationToken);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException invalid)
            {
                foreach (var failure in invalid.Failures)
                {
                    await error.WriteLineAsync("error: " + failure);
                }
                return ExitCodes.Usage;
            }
            catch (Storage.DatabaseSchemaException newer)
            {
                await error.WriteLineAsync("error: " + newer.Message);
                return ExitCodes.Failure;
            }
            catch (Exception problem) when (StartupFailure.From(problem) is { } failure)
            {
                // The operator gets one line; the whole exception is there at debug level (Serilog:MinimumLevel:Default=Debug).
                Log.StartupFailed(logger, problem);
                await error.WriteLineAsync("error: " + failure.Line);
                return failure.ExitCode;
            }
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// Starts the host; when that fails, stops what had started before it is disposed. A background service cancelled
    /// by the disposal of a host that was never stopped is logged by the host as a fault, with its stack trace.
    /// </summary>
    private static async Task StartAsync(Microsoft.AspNetCore.Builder.WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await app.StopAsync(stopping.Token);
            }
            catch (Exception stopFailure) when (stopFailure is not OutOfMemoryException)
            {
                // The start's own failure is the one to report.
            }
            throw;
        }
    }
}
