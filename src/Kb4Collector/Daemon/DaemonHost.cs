using Kb4Collector.Admin;
using Kb4Collector.Collection;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.Health;
using Kb4Collector.Quota;
using Kb4Collector.Storage;
using Kb4Collector.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace Kb4Collector.Daemon;

/// <summary>Composes the daemon: settings, logging, storage, the sources' runtime and the admin endpoint.</summary>
public static class DaemonHost
{
    public static WebApplication Build(DaemonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
            EnvironmentName = Environments.Production,
        });

        var configuration = builder.Configuration;
        configuration.Sources.Clear();
        configuration.AddJsonFile(Path.GetFullPath(settings.SettingsFile ?? DaemonSettings.DefaultSettingsFile), optional: settings.SettingsFile is null, reloadOnChange: false);
        configuration.AddEnvironmentVariables();
        var flags = new Dictionary<string, string?>(settings.Values);
        if (settings.SourcesPath is not null)
        {
            flags["Collector:SourcesPath"] = settings.SourcesPath;
        }
        if (settings.DataDirectory is not null)
        {
            flags["Collector:DataDirectory"] = settings.DataDirectory;
        }
        configuration.AddInMemoryCollection(flags);
        configuration.AddCommandLine([.. settings.Overrides]);

        var options = configuration.GetSection(CollectorOptions.SectionName).Get<CollectorOptions>() ?? new CollectorOptions();
        var problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new DaemonConfigurationException(problems);
        }
        var listen = ListenAddress.TryParse(options.Admin.Listen, out var address, out _) ? address : throw new DaemonConfigurationException(["Collector:Admin:Listen is not host:port."]);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        EnsureDataDirectory(dataDirectory);
        var ownership = DataDirectoryLock.Acquire(dataDirectory);
        try
        {
            return Build(builder, settings, options, listen, dataDirectory, ownership);
        }
        catch
        {
            ownership.Dispose();
            throw;
        }
    }

    private static WebApplication Build(WebApplicationBuilder builder, DaemonSettings settings, CollectorOptions options, ListenAddress listen, string dataDirectory, DataDirectoryLock ownership)
    {
        var configuration = builder.Configuration;

        builder.Services.AddSerilog((services, logger) =>
        {
            // Request lines carry query strings (?access_token=...): never logged, whatever the settings file says.
            logger.ReadFrom.Configuration(configuration).Enrich.FromLogContext().Enrich.With(new ControlCharacterEscaper())
                .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", Serilog.Events.LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.AspNetCore.Routing", Serilog.Events.LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http.HttpClient", Serilog.Events.LogEventLevel.Warning);
            // A start-up failure an operator can fix is reported as one line by `run`; the host's own stack-trace report of it is dropped (RunCommand logs it at Debug).
            logger.Filter.ByExcluding(logEvent => logEvent.Level > Serilog.Events.LogEventLevel.Debug && logEvent.Exception is { } exception && StartupFailure.From(exception) is not null);
            var output = settings.LogOutput;
            if (settings.JsonLogs)
            {
                if (output is null)
                {
                    logger.WriteTo.Console(new CompactJsonFormatter());
                }
                else
                {
                    logger.WriteTo.Sink(new TextWriterLogSink(new CompactJsonFormatter(), output));
                }
            }
            else if (output is null)
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                logger.WriteTo.Sink(new TextWriterLogSink(new MessageTemplateTextFormatter("[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}", System.Globalization.CultureInfo.InvariantCulture), output));
            }
        }, preserveStaticLogger: true); // each host logs through its own logger, never the process-wide static one another host (a test, the demo) may have replaced
        builder.Host.UseSystemd();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (listen.Address is { } ip)
            {
                kestrel.Listen(ip, listen.Port);
            }
            else
            {
                kestrel.ListenLocalhost(listen.Port);
            }
        });

        builder.Services.AddOptions<CollectorOptions>().Bind(configuration.GetSection(CollectorOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        // Registered by factory so the container disposes it (releasing the lock) when the app is disposed.
        builder.Services.AddSingleton(_ => ownership);
        AddCollector(builder.Services, settings, options, dataDirectory);

        var app = builder.Build();
        app.Services.GetRequiredService<DataDirectoryLock>();
        if (app.Services.GetRequiredService<AdminToken>().Warning is { } loose)
        {
            Log.TokenFileTightened(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaemonHost)), loose);
        }
        if (!listen.IsLoopback)
        {
            Log.AdminExposed(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaemonHost)), listen.ToString());
        }
        AdminEndpoints.Map(app);
        return app;
    }

    /// <summary>Creates the data directory up front, so a folder that cannot be made (a file in the way, no permission) is one clear line.</summary>
    private static void EnsureDataDirectory(string dataDirectory)
    {
        try
        {
            CollectorDatabase.CreateDataDirectory(dataDirectory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new DataDirectoryUnusableException(dataDirectory, exception);
        }
    }

    private static void AddCollector(IServiceCollection services, DaemonSettings settings, CollectorOptions options, string dataDirectory)
    {
        var time = settings.TimeProvider;
        services.AddSingleton(time);
        services.AddSingleton(_ => OpenDatabase(dataDirectory));
        services.AddSingleton(_ => AdminToken.Resolve(options.Admin.Token, dataDirectory));
        services.AddSingleton(sp => new HealthEventStore(sp.GetRequiredService<CollectorDatabase>()));
        services.AddSingleton(sp => new CallLedger(sp.GetRequiredService<CollectorDatabase>(), time));
        services.AddSingleton(sp => new NotBeforeStore(sp.GetRequiredService<CollectorDatabase>(), time));
        services.AddSingleton(_ => new ApiKeyRateLimiters(time, options.KnowBe4.RequestsPerSecond));
        services.AddSingleton<RequestMetrics>();
        services.AddSingleton(sp => new HttpLogSink(
            CreateSinkClient(),
            SinkOptionsFrom(options.Sink),
            time,
            sp.GetRequiredService<CollectorDatabase>(),
            sp.GetRequiredService<ILogger<HttpLogSink>>(),
            sp.GetRequiredService<RequestMetrics>()));
        services.AddSingleton(sp => new CollectionServices(
            sp.GetRequiredService<CollectorDatabase>(),
            sp.GetRequiredService<HttpLogSink>(),
            sp.GetRequiredService<ApiKeyRateLimiters>(),
            sp.GetRequiredService<CallLedger>(),
            sp.GetRequiredService<NotBeforeStore>(),
            new KnowBe4MetricsHandler(sp.GetRequiredService<RequestMetrics>(), time) { InnerHandler = CreateKnowBe4Handler() },
            time,
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(_ => new SourceConfigLoader(new SourceConfigLoaderOptions
        {
            AllowAnyBaseUrl = options.AllowAnyBaseUrl,
            AllowLoopbackBaseUrl = options.AllowLoopbackBaseUrl,
            KnowBe4RequestsPerSecond = options.KnowBe4.RequestsPerSecond,
            EnvironmentPrefixes = options.KeyEnvironmentPrefixes,
            KeyFileDirectories = options.KeyFileDirectories,
            KnowBe4HostOverride = settings.KnowBe4HostOverride,
        }));
        services.AddSingleton<SourceRegistry>();
        services.AddSingleton(sp => new SourceWatcher(
            options.SourcesPath,
            sp.GetRequiredService<SourceConfigLoader>(),
            sp.GetRequiredService<SourceRegistry>(),
            time,
            sp.GetRequiredService<ILogger<SourceWatcher>>(),
            new SourceWatcherOptions { RescanInterval = TimeSpan.FromSeconds(options.SourcesRescanSeconds) }));
        services.AddSingleton<CollectorRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<CollectorRuntime>());
        services.AddSingleton(sp => new RetentionService(
            sp.GetRequiredService<CollectorDatabase>(),
            sp.GetRequiredService<CallLedger>(),
            sp.GetRequiredService<HealthEventStore>(),
            sp.GetRequiredService<HttpLogSink>().DeadLetters,
            time,
            sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<ILogger<RetentionService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
    }

    /// <summary>
    /// The sink's client. Redirects are not followed: a 3xx would carry the events and the sink token (X-Sumo-Token,
    /// the HEC header) to wherever Location points; it is reported as a failure naming the Location instead.
    /// </summary>
    internal static HttpClient CreateSinkClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The connection pool of every source's KnowBe4 client; redirects are not followed (a 3xx is a configuration error).</summary>
    internal static SocketsHttpHandler CreateKnowBe4Handler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        AllowAutoRedirect = false,
    };

    /// <summary>
    /// The data directory's database, or an empty stand-in carrying the reason it cannot be used: the daemon stays up
    /// to report it (log, health events, <c>/readyz</c> 503) and no source collects.
    /// </summary>
    private static CollectorDatabase OpenDatabase(string dataDirectory)
    {
        try
        {
            return CollectorDatabase.Open(dataDirectory);
        }
        catch (StorageUnavailableException problem)
        {
            return CollectorDatabase.Unavailable(problem.Message);
        }
    }

    private static List<string> Validate(CollectorOptions options)
    {
        var problems = new List<string>();
        var result = new CollectorOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            problems.AddRange(result.Failures);
        }
        if (string.IsNullOrWhiteSpace(options.Sink.Url))
        {
            problems.Add("Collector:Sink:Url is not set: give the HTTP log endpoint the events go to (for example Collector__Sink__Url=https://… in the environment).");
        }
        else if (problems.Count == 0)
        {
            problems.AddRange(SinkOptionsFrom(options.Sink).Validate().Select(error => $"Collector:Sink:{error.Field}: {error.Reason}"));
        }
        return problems;
    }

    private static SinkOptions SinkOptionsFrom(SinkOptionsSection sink) => new()
    {
        Url = new Uri(sink.Url!, UriKind.Absolute),
        Format = sink.Format.Trim().ToLowerInvariant() switch
        {
            SinkOptionsSection.SplunkHecFormat => SinkFormat.SplunkHec,
            SinkOptionsSection.NdjsonFormat => SinkFormat.Ndjson,
            _ => SinkFormat.Sumo,
        },
        Token = string.IsNullOrEmpty(sink.Token) ? null : sink.Token,
        Gzip = sink.Compress,
    };
}
