using System.CommandLine;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Cli;

/// <summary><c>kb4collector statuses list|get</c>: the outcome of create requests.</summary>
internal static class StatusesCommands
{
    public static Command Create()
    {
        var statuses = new Command("statuses", "List and show the statuses of event create requests");
        statuses.Subcommands.Add(List());
        statuses.Subcommands.Add(Get());
        return statuses;
    }

    private static Command List()
    {
        var command = new Command("list", "List create-request statuses");
        var processed = CliOptions.Boolean("--processed", "Only processed (true) or only pending (false) requests");
        var page = CliOptions.Integer("--page", "Page to read", 1, int.MaxValue);
        var perPage = CliOptions.Integer("--per-page", "Statuses per page", 1, EventQuery.MaxPerPage);
        command.Options.Add(processed);
        command.Options.Add(page);
        command.Options.Add(perPage);
        new ApiConnection().Attach(command, async context =>
        {
            var parse = context.ParseResult;
            var query = new StatusQuery { Page = parse.GetValue(page), PerPage = parse.GetValue(perPage), Processed = parse.GetValue(processed) };
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, await context.Client.ListStatusesJsonAsync(query, context.CancellationToken));
                return ExitCodes.Success;
            }
            var statuses = await context.Client.ListStatusesAsync(query, context.CancellationToken);
            if (statuses.Statuses.Count == 0)
            {
                await context.Output.WriteLineAsync("No statuses.");
            }
            else
            {
                var table = new TableWriter("ID", "PROCESSED (UTC)", "EVENTS", "FAILURES", "API KEY NAME");
                foreach (var status in statuses.Statuses)
                {
                    table.AddRow(status.Id, status.Processed is null ? "pending" : TableWriter.Timestamp(status.Processed),
                        TableWriter.Number(status.EventIds.Count), TableWriter.Number(status.Failures.Count), status.ApiKey);
                }
                await table.WriteToAsync(context.Output);
            }
            if (statuses.Meta is { } meta)
            {
                await EventsCommands.WritePageFooterAsync(context.Output, meta);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Get()
    {
        var command = new Command("get", "Show one create request's status and the events it created");
        var id = CliOptions.Id("Request id (printed by 'events create')");
        command.Arguments.Add(id);
        new ApiConnection().Attach(command, async context =>
        {
            var requestId = context.ParseResult.GetRequiredValue(id);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, await context.Client.GetStatusJsonAsync(requestId, context.CancellationToken));
                return ExitCodes.Success;
            }
            await WriteStatusAsync(context.Output, await context.Client.GetStatusAsync(requestId, context.CancellationToken), includeId: true);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The label width of a status block, so that a request id printed before it lines up.</summary>
    public const int LabelWidth = 15;

    /// <summary>Status as "Name  value" lines, one line per created event and per failure.</summary>
    public static Task WriteStatusAsync(TextWriter output, EventStatus status, bool includeId)
    {
        var properties = new List<(string Name, string? Value)>();
        if (includeId)
        {
            properties.Add(("Request ID", status.Id));
        }
        properties.Add(("Processed (UTC)", status.Processed is null ? "pending" : TableWriter.Timestamp(status.Processed)));
        if (status.ApiKey is not null)
        {
            properties.Add(("API key name", status.ApiKey));
        }
        properties.AddRange(status.EventIds.Select(eventId => ("Event ID", (string?)eventId)));
        properties.AddRange(status.Failures.Select(failure => ("Failure", (string?)CliText.OneLine(failure.GetRawText()))));
        return TableWriter.WritePropertiesAsync(output, properties, LabelWidth);
    }
}
