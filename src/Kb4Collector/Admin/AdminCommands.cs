using System.CommandLine;
using System.Globalization;
using Kb4Collector.Cli;
using Kb4Collector.Health;

namespace Kb4Collector.Admin;

/// <summary>
/// <c>kb4collector sources list|get ID|restart ID</c> and <c>kb4collector health [--all]</c>: the running daemon, through
/// its admin endpoint. The token comes from <c>--token</c> or from <c>admin.token</c> in <c>--data</c> (default <c>data</c>).
/// </summary>
public static class AdminCommands
{
    public const string DefaultDataDirectory = "data";

    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var sources = new Command("sources", "Show and restart the running daemon's sources (through its admin endpoint)");
        sources.Subcommands.Add(ListSources());
        sources.Subcommands.Add(GetSource());
        sources.Subcommands.Add(RestartSource());
        root.Subcommands.Add(sources);
        root.Subcommands.Add(Health());
    }

    private static Command ListSources()
    {
        var command = new Command("list", "List the sources with their state, health and today's quota");
        new AdminConnection().Attach(command, async context =>
        {
            var body = await context.Client.GetAsync("api/v1/collectors/local/sources", context.CancellationToken);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, body);
                return ExitCodes.Success;
            }
            var sources = AdminClient.Read(body, AdminJsonContext.Default.SourcesResponse).Sources;
            if (sources.Count == 0)
            {
                await context.Output.WriteLineAsync("No sources run.");
                return ExitCodes.Success;
            }
            var table = new TableWriter("ID", "NAME", "STATE", "HEALTH", "LAST SUCCESS (UTC)", "EVENTS", "CALLS TODAY", "DEAD LETTERS");
            foreach (var source in sources)
            {
                table.AddRow(
                    source.Id,
                    source.Name,
                    source.State.State.ToString(),
                    source.Health,
                    TableWriter.Timestamp(source.State.LastSuccessAt),
                    CliText.Number(source.EventsDelivered),
                    string.Create(CultureInfo.InvariantCulture, $"{CliText.Number(source.Quota.Used)}/{CliText.Number(source.Quota.Budget)}"),
                    TableWriter.Number(source.DeadLetters));
            }
            await table.WriteToAsync(context.Output);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command GetSource()
    {
        var command = new Command("get", "Show one source: settings (key masked), state, failure streak, checkpoint and quota");
        var id = CliOptions.Id("Source id (from 'sources list')");
        command.Arguments.Add(id);
        new AdminConnection().Attach(command, async context =>
        {
            var body = await context.Client.GetAsync(SourcePath(context.ParseResult.GetRequiredValue(id)), context.CancellationToken);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, body);
                return ExitCodes.Success;
            }
            await TableWriter.WritePropertiesAsync(context.Output, Properties(AdminClient.Read(body, AdminJsonContext.Default.SourceResponse).Source));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RestartSource()
    {
        var command = new Command("restart", "Restart a source: it clears its failure streak and walks up again from Pending");
        var id = CliOptions.Id("Source id (from 'sources list')");
        command.Arguments.Add(id);
        new AdminConnection().Attach(command, async context =>
        {
            var body = await context.Client.PostAsync(SourcePath(context.ParseResult.GetRequiredValue(id)) + "/action/restart", context.CancellationToken);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, body);
                return ExitCodes.Success;
            }
            var restart = AdminClient.Read(body, AdminJsonContext.Default.RestartResponse);
            await context.Output.WriteLineAsync($"Restart of source \"{CliText.OneLine(restart.Name)}\" ({restart.Id}) requested; follow it with 'kb4collector sources get {restart.Id}'.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Health()
    {
        var command = new Command("health", "List the daemon's unresolved health events (Sumo's Health-Change events)");
        var all = new Option<bool>("--all") { Description = "Resolved events too (unresolved first, newest first)" };
        var source = new Option<string?>("--source") { Description = "Only this source's events (source id)", HelpName = "ID" };
        var limit = CliOptions.Integer("--limit", "At most this many events [default: 100]", 1, SourceEndpoints.MaxLimit);
        command.Options.Add(all);
        command.Options.Add(source);
        command.Options.Add(limit);
        new AdminConnection().Attach(command, async context =>
        {
            var parse = context.ParseResult;
            var query = new List<string>();
            if (!parse.GetValue(all))
            {
                query.Add("unresolved=true");
            }
            if (parse.GetValue(source) is { Length: > 0 } sourceId)
            {
                query.Add("sourceId=" + Uri.EscapeDataString(sourceId));
            }
            if (parse.GetValue(limit) is { } count)
            {
                query.Add(string.Create(CultureInfo.InvariantCulture, $"limit={count}"));
            }
            var body = await context.Client.GetAsync("api/v1/healthEvents" + (query.Count == 0 ? "" : "?" + string.Join('&', query)), context.CancellationToken);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, body);
                return ExitCodes.Success;
            }
            var events = AdminClient.Read(body, AdminJsonContext.Default.HealthEventsResponse).Data;
            if (events.Count == 0)
            {
                await context.Output.WriteLineAsync(parse.GetValue(all) ? "No health events." : "No unresolved health events.");
                return ExitCodes.Success;
            }
            await HealthTable(events).WriteToAsync(context.Output);
            return ExitCodes.Success;
        });
        return command;
    }

    private static string SourcePath(string id) => "api/v1/collectors/local/sources/" + Uri.EscapeDataString(id);

    private static List<(string Name, string? Value)> Properties(SourceJson source)
    {
        var state = source.State;
        var quota = source.Quota;
        var config = source.Config;
        return
        [
            ("ID", source.Id),
            ("Name", source.Name),
            ("State", state.State.ToString()),
            ("Health", source.Health),
            ("Error class", state.ErrorClass?.ToString()),
            ("Last reason", state.LastReason is null ? null : CliText.OneLine(state.LastReason)),
            ("First failure (UTC)", Time(state.FirstFailureAt)),
            ("Retry window ends (UTC)", Time(state.RetryWindowEndsAt)),
            ("Retries", state.RetriesStopped ? $"{Number(state.RetryCount)}, stopped until a restart or a config change" : Number(state.RetryCount)),
            ("Next attempt (UTC)", Time(state.NextAttemptAt)),
            ("Last poll (UTC)", Time(state.LastPollAt)),
            ("Last success (UTC)", Time(state.LastSuccessAt)),
            ("Events delivered", Number(source.EventsDelivered)),
            ("Checkpoint days", source.Checkpoint is { Days.Count: > 0 } checkpoint
                ? string.Join(", ", checkpoint.Days.Select(day => day.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " (" + (day.VerifiedTotal is { } total ? Number(total) : "unverified") + ")"))
                : null),
            ("KnowBe4 calls today", string.Create(CultureInfo.InvariantCulture, $"{CliText.Number(quota.Used)} of {CliText.Number(quota.Budget)} ({CliText.Number(quota.RemainingScheduled)} left for polling, {CliText.Number(quota.RemainingManual)} in all)")),
            ("Dead letters", Number(source.DeadLetters)),
            ("Base URL", config.BaseUrl),
            ("API key", $"{config.ApiKey} (fingerprint {quota.KeyFingerprint})"),
            ("Polling interval", CliText.Duration(TimeSpan.FromSeconds(config.PollingInterval))),
            ("Category", config.Category),
            ("Source file", source.SourceFile),
        ];
    }

    private static TableWriter HealthTable(IReadOnlyList<HealthEvent> events)
    {
        var table = new TableWriter("SINCE (UTC)", "LAST SEEN (UTC)", "SEVERITY", "STATUS", "EVENT", "SOURCE", "COUNT", "DESCRIPTION");
        foreach (var healthEvent in events)
        {
            table.AddRow(
                TableWriter.Timestamp(healthEvent.EventTime),
                TableWriter.Timestamp(healthEvent.LastSeenAt),
                healthEvent.SeverityLevel.ToString(),
                healthEvent.Resolved ? "resolved" : "open",
                healthEvent.EventName,
                healthEvent.ResourceIdentity.Name,
                TableWriter.Number(healthEvent.Count),
                healthEvent.Details.Description);
        }
        return table;
    }

    private static string? Time(DateTimeOffset? value) => value is null ? null : TableWriter.Timestamp(value);

    private static string Number(long value) => CliText.Number(value);
}

/// <summary>The options every admin verb shares (<c>--admin</c>, <c>--data</c>, <c>--token</c>, <c>--json</c>), and the plumbing around it.</summary>
internal sealed class AdminConnection
{
    private readonly Option<Uri?> _admin = CliOptions.Url("--admin", $"Address of the daemon's admin endpoint [default: {AdminClient.DefaultAddress.GetLeftPart(UriPartial.Authority)}]");

    private readonly Option<string> _data = new("--data")
    {
        Description = $"The daemon's data directory, where it keeps {AdminToken.FileName}",
        HelpName = "DIR",
        DefaultValueFactory = _ => AdminCommands.DefaultDataDirectory,
    };

    private readonly Option<string?> _token = new("--token")
    {
        Description = $"Admin token instead of the one in {AdminToken.FileName} (visible in the process list: prefer --data)",
        HelpName = "TOKEN",
    };

    private readonly Option<bool> _json = new("--json") { Description = "Print the admin endpoint's JSON instead of a table" };

    public void Attach(Command command, Func<AdminCommandContext, Task<int>> body)
    {
        command.Options.Add(_admin);
        command.Options.Add(_data);
        command.Options.Add(_token);
        command.Options.Add(_json);
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, body, cancellationToken));
    }

    private async Task<int> RunAsync(ParseResult parseResult, Func<AdminCommandContext, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var dataDirectory = parseResult.GetValue(_data) ?? AdminCommands.DefaultDataDirectory;
        string? token;
        try
        {
            token = AdminToken.Find(parseResult.GetValue(_token)?.Trim(), dataDirectory);
        }
        catch (Exception unreadable) when (unreadable is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: cannot read {Path.Combine(dataDirectory, AdminToken.FileName)} ({unreadable.Message}); run as the daemon's user or pass --token.");
            return ExitCodes.Usage;
        }
        if (string.IsNullOrEmpty(token))
        {
            await error.WriteLineAsync($"error: no admin token: {Path.Combine(dataDirectory, AdminToken.FileName)} does not exist. Pass --data DIR (the daemon's data directory) or --token TOKEN.");
            return ExitCodes.Usage;
        }

        var address = parseResult.GetValue(_admin) ?? AdminClient.DefaultAddress;
        if (address.Scheme == Uri.UriSchemeHttp && !address.IsLoopback)
        {
            await error.WriteLineAsync($"warning: {address.Host} is reached over plain http; the admin token travels unencrypted.");
        }
        using var client = new AdminClient(address, token);
        try
        {
            return await body(new AdminCommandContext(client, parseResult, output, parseResult.GetValue(_json), cancellationToken));
        }
        catch (AdminClientException failure)
        {
            await error.WriteLineAsync("error: " + failure.Message);
            return ExitCodes.Failure;
        }
    }
}

/// <summary>What an admin verb needs: the client, its parsed values and where to write.</summary>
internal sealed record AdminCommandContext(AdminClient Client, ParseResult ParseResult, TextWriter Output, bool Json, CancellationToken CancellationToken);
