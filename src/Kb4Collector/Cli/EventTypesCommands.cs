using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Kb4Collector.Cli;

/// <summary><c>kb4collector event-types list|get</c>.</summary>
internal static class EventTypesCommands
{
    public static Command Create()
    {
        var eventTypes = new Command("event-types", "List and show the account's event types");
        eventTypes.Subcommands.Add(List());
        eventTypes.Subcommands.Add(Get());
        return eventTypes;
    }

    private static Command List()
    {
        var command = new Command("list", "List event types");
        var name = new Option<string?>("--name") { Description = "Only event types with this name", HelpName = "NAME" };
        command.Options.Add(name);
        new ApiConnection().Attach(command, async context =>
        {
            var nameFilter = context.ParseResult.GetValue(name);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, await context.Client.ListEventTypesJsonAsync(nameFilter, context.CancellationToken));
                return ExitCodes.Success;
            }
            var list = await context.Client.ListEventTypesAsync(nameFilter, context.CancellationToken);
            if (list.EventTypes.Count == 0)
            {
                await context.Output.WriteLineAsync("No event types.");
                return ExitCodes.Success;
            }
            var table = new TableWriter("ID", "NAME", "DESCRIPTION");
            foreach (var eventType in list.EventTypes)
            {
                table.AddRow(TableWriter.Number(eventType.Id), eventType.Name, eventType.Description);
            }
            await table.WriteToAsync(context.Output);
            await context.Output.WriteLineAsync($"{list.Count} event types");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Get()
    {
        var command = new Command("get", "Show one event type");
        var id = new Argument<long>("id")
        {
            Description = "Event type id (a number)",
            CustomParser = ParseId,
        };
        command.Arguments.Add(id);
        new ApiConnection().Attach(command, async context =>
        {
            var eventTypeId = context.ParseResult.GetValue(id);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, await context.Client.GetEventTypeJsonAsync(eventTypeId, context.CancellationToken));
                return ExitCodes.Success;
            }
            var eventType = await context.Client.GetEventTypeAsync(eventTypeId, context.CancellationToken);
            await TableWriter.WritePropertiesAsync(context.Output,
            [
                ("ID", TableWriter.Number(eventType.Id)),
                ("Name", eventType.Name),
                ("Description", eventType.Description),
                ("Account", TableWriter.Number(eventType.AccountId)),
            ]);
            return ExitCodes.Success;
        });
        return command;
    }

    private static long ParseId(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        result.AddError($"Invalid event type id '{text}': expected a number.");
        return 0;
    }
}
