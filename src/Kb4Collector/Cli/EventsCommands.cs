using System.CommandLine;
using System.Text;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Cli;

/// <summary><c>kb4collector events list|get|create|delete</c>.</summary>
internal static class EventsCommands
{
    public static Command Create()
    {
        var events = new Command("events", "List, show, create and delete KnowBe4 user events");
        events.Subcommands.Add(List());
        events.Subcommands.Add(Get());
        events.Subcommands.Add(CreateEvent());
        events.Subcommands.Add(Delete());
        return events;
    }

    private static Command List()
    {
        var command = new Command("list", "List events (newest first unless --order-by/--order-direction say otherwise)");
        var eventType = new Option<string?>("--event-type") { Description = "Only events of this event type (name)", HelpName = "NAME" };
        var targetUser = new Option<string?>("--target-user") { Description = "Only events of this user", HelpName = "EMAIL" };
        var externalId = new Option<string?>("--external-id") { Description = "Only events with this external id", HelpName = "ID" };
        var source = new Option<string?>("--source") { Description = "Only events from this source", HelpName = "SOURCE" };
        var occurredDate = CliOptions.Date("--occurred-date", "Only events that occurred on this UTC day");
        var riskLevel = CliOptions.Integer("--risk-level", "Only events with this risk level", EventQuery.MinRiskLevel, EventQuery.MaxRiskLevel);
        var riskDecayMode = CliOptions.Integer("--risk-decay-mode", "Only events with this risk decay mode", 0, 1);
        var riskExpireDate = CliOptions.Date("--risk-expire-date", "Only events whose risk expires on this day");
        var orderBy = CliOptions.Choice<EventOrderBy>("--order-by", "Sort key",
            [("id", EventOrderBy.Id), ("event_type", EventOrderBy.EventType), ("occurred_date", EventOrderBy.OccurredDate)]);
        var orderDirection = CliOptions.Choice<SortDirection>("--order-direction", "Sort direction",
            [("asc", SortDirection.Asc), ("desc", SortDirection.Desc)]);
        var page = CliOptions.Integer("--page", "Page to read (first page with --all)", 1, int.MaxValue);
        var perPage = CliOptions.Integer("--per-page", "Events per page", 1, EventQuery.MaxPerPage);
        var all = new Option<bool>("--all") { Description = "Follow meta.next_page and list every page" };
        var maxPages = CliOptions.Integer("--max-pages", "With --all, stop after this many pages", 1, int.MaxValue);
        foreach (var option in new Option[] { eventType, targetUser, externalId, source, occurredDate, riskLevel, riskDecayMode, riskExpireDate, orderBy, orderDirection, page, perPage, all, maxPages })
        {
            command.Options.Add(option);
        }

        new ApiConnection().Attach(command, context =>
        {
            var parse = context.ParseResult;
            var query = new EventQuery
            {
                Page = parse.GetValue(page),
                PerPage = parse.GetValue(perPage),
                EventType = parse.GetValue(eventType),
                TargetUser = parse.GetValue(targetUser),
                ExternalId = parse.GetValue(externalId),
                Source = parse.GetValue(source),
                OccurredDate = parse.GetValue(occurredDate),
                RiskLevel = parse.GetValue(riskLevel),
                RiskDecayMode = parse.GetValue(riskDecayMode),
                RiskExpireDate = parse.GetValue(riskExpireDate),
                OrderBy = parse.GetValue(orderBy),
                OrderDirection = parse.GetValue(orderDirection),
            };
            if (!parse.GetValue(all))
            {
                return ListOnePageAsync(context, query);
            }
            return context.Json
                ? ListAllJsonAsync(context, query, parse.GetValue(maxPages))
                : ListAllTableAsync(context, query, parse.GetValue(maxPages));
        });
        return command;
    }

    private static async Task<int> ListOnePageAsync(ApiCommandContext context, EventQuery query)
    {
        if (context.Json)
        {
            await JsonOutput.WriteAsync(context.Output, await context.Client.ListEventsJsonAsync(query, context.CancellationToken));
            return ExitCodes.Success;
        }
        var page = await context.Client.ListEventsAsync(query, context.CancellationToken);
        var table = EventTable();
        AddRows(table, page.Events);
        await WriteEventsAsync(context.Output, table);
        await WritePageFooterAsync(context.Output, page.Meta);
        return ExitCodes.Success;
    }

    /// <summary>Streams every event's bytes as received into one <c>{"data":[...]}</c> document, page by page.</summary>
    private static async Task<int> ListAllJsonAsync(ApiCommandContext context, EventQuery query, int? maxPages)
    {
        var paging = new PageWalk(query, maxPages);
        var written = 0;
        while (paging.Query is { } pageQuery)
        {
            // The first page is fetched before anything is printed, so a wrong key or region prints nothing on stdout.
            var page = await context.Client.ListEventsRawAsync(pageQuery, context.CancellationToken);
            if (paging.PagesRead == 0)
            {
                await context.Output.WriteAsync("{\"data\":[");
            }
            foreach (var userEvent in page.Events)
            {
                await context.Output.WriteAsync(written++ == 0 ? "\n" : ",\n");
                await context.Output.WriteAsync(Encoding.UTF8.GetString(userEvent.Json.Span));
            }
            paging.Advance(page.Meta);
        }
        await context.Output.WriteLineAsync("\n]}");
        return await paging.ReportAsync(context.Error);
    }

    private static async Task<int> ListAllTableAsync(ApiCommandContext context, EventQuery query, int? maxPages)
    {
        var table = EventTable();
        var paging = new PageWalk(query, maxPages);
        while (paging.Query is { } pageQuery)
        {
            var page = await context.Client.ListEventsAsync(pageQuery, context.CancellationToken);
            AddRows(table, page.Events);
            paging.Advance(page.Meta);
        }
        await WriteEventsAsync(context.Output, table);
        await context.Output.WriteLineAsync($"{table.RowCount} events on {paging.PagesRead} pages");
        return await paging.ReportAsync(context.Error);
    }

    public static async Task WritePageFooterAsync(TextWriter output, PageMeta meta)
    {
        if (meta.TotalPages == 0)
        {
            return;
        }
        await output.WriteLineAsync(meta.NextPage is { } next
            ? $"Page {meta.CurrentPage} of {meta.TotalPages}; next: --page {next}"
            : $"Page {meta.CurrentPage} of {meta.TotalPages}");
    }

    private static TableWriter EventTable() =>
        new("ID", "OCCURRED (UTC)", "EVENT TYPE", "USER", "RISK", "SOURCE", "EXTERNAL ID", "DESCRIPTION");

    private static void AddRows(TableWriter table, IEnumerable<UserEvent> events)
    {
        foreach (var userEvent in events)
        {
            table.AddRow(userEvent.Id, TableWriter.Timestamp(userEvent.OccurredDate), userEvent.EventType?.Name, userEvent.User?.Email,
                TableWriter.Number(userEvent.Risk?.Level), userEvent.Source, userEvent.ExternalId, userEvent.Description);
        }
    }

    private static async Task WriteEventsAsync(TextWriter output, TableWriter table)
    {
        if (table.RowCount == 0)
        {
            await output.WriteLineAsync("No events.");
            return;
        }
        await table.WriteToAsync(output);
    }

    private static Command Get()
    {
        var command = new Command("get", "Show one event");
        var id = CliOptions.Id("Event id");
        command.Arguments.Add(id);
        new ApiConnection().Attach(command, async context =>
        {
            var eventId = context.ParseResult.GetRequiredValue(id);
            if (context.Json)
            {
                await JsonOutput.WriteAsync(context.Output, await context.Client.GetEventJsonAsync(eventId, context.CancellationToken));
                return ExitCodes.Success;
            }
            var userEvent = await context.Client.GetEventAsync(eventId, context.CancellationToken);
            await TableWriter.WritePropertiesAsync(context.Output,
            [
                ("ID", userEvent.Id),
                ("Occurred (UTC)", TableWriter.Timestamp(userEvent.OccurredDate)),
                ("Event type", userEvent.EventType is { } type ? $"{type.Name} ({TableWriter.Number(type.Id)})" : null),
                ("User", userEvent.User is { } user ? $"{user.Email} ({TableWriter.Number(user.Id)}{(user.Archived == true ? ", archived" : "")})" : null),
                ("Account", TableWriter.Number(userEvent.AccountId)),
                ("Risk level", TableWriter.Number(userEvent.Risk?.Level)),
                ("Risk decay mode", TableWriter.Number(userEvent.Risk?.DecayMode)),
                ("Risk expires", userEvent.Risk?.ExpireDate),
                ("Source", userEvent.Source),
                ("External ID", userEvent.ExternalId),
                ("Description", userEvent.Description),
                ("Metadata", userEvent.Metadata?.GetRawText()),
            ]);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateEvent()
    {
        var command = new Command("create", "Create an event (asynchronous: prints the request id; --wait also prints the created event ids)");
        var targetUser = CliOptions.RequiredText("--target-user", "The user's email address", "EMAIL");
        var eventType = CliOptions.RequiredText("--event-type", "Event type name (created if it does not exist)", "NAME");
        var externalId = new Option<string?>("--external-id") { Description = "Your own id for the event", HelpName = "ID" };
        var source = new Option<string?>("--source") { Description = "Source label", HelpName = "SOURCE" };
        var description = new Option<string?>("--description") { Description = "Description", HelpName = "TEXT" };
        var occurredDate = CliOptions.Date("--occurred-date", "Day it occurred (default: now)");
        var riskLevel = CliOptions.Integer("--risk-level", "Risk level, -10 (low) to 10 (high)", EventQuery.MinRiskLevel, EventQuery.MaxRiskLevel);
        var riskDecayMode = CliOptions.Integer("--risk-decay-mode", "Risk decay mode", 0, 1);
        var riskExpireDate = CliOptions.Date("--risk-expire-date", "Day the risk expires (default: occurred date + 1 month)");
        var metadata = CliOptions.JsonObject("--metadata", "Metadata as a JSON object");
        var wait = new Option<bool>("--wait") { Description = "Poll the request's status until it lists the created events (each poll is one API call)" };
        var waitTimeout = CliOptions.Duration("--wait-timeout", "How long --wait polls", TimeSpan.FromSeconds(60));
        foreach (var option in new Option[] { targetUser, eventType, externalId, source, description, occurredDate, riskLevel, riskDecayMode, riskExpireDate, metadata, wait, waitTimeout })
        {
            command.Options.Add(option);
        }

        new ApiConnection().Attach(command, async context =>
        {
            var parse = context.ParseResult;
            var request = new CreateEventRequest(parse.GetRequiredValue(targetUser), parse.GetRequiredValue(eventType))
            {
                ExternalId = parse.GetValue(externalId),
                Source = parse.GetValue(source),
                Description = parse.GetValue(description),
                OccurredDate = parse.GetValue(occurredDate),
                RiskLevel = parse.GetValue(riskLevel),
                RiskDecayMode = parse.GetValue(riskDecayMode),
                RiskExpireDate = parse.GetValue(riskExpireDate),
                Metadata = parse.GetValue(metadata),
            };
            var waitForStatus = parse.GetValue(wait);
            if (context.Json && !waitForStatus)
            {
                await JsonOutput.WriteAsync(context.Output, await context.Client.CreateEventJsonAsync(request, context.CancellationToken));
                return ExitCodes.Success;
            }
            var requestId = await context.Client.CreateEventAsync(request, context.CancellationToken);
            if (!context.Json)
            {
                await TableWriter.WritePropertiesAsync(context.Output, [("Request ID", requestId)], StatusesCommands.LabelWidth);
            }
            return waitForStatus
                ? await WaitForStatusAsync(context, requestId, parse.GetValue(waitTimeout))
                : ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> WaitForStatusAsync(ApiCommandContext context, string requestId, TimeSpan timeout)
    {
        var waiter = new EventStatusWaiter(context.Client, TimeProvider.System);
        var result = await waiter.WaitAsync(requestId, timeout, EventStatusWaiter.DefaultPollInterval, context.CancellationToken);
        if (result is null)
        {
            await context.Error.WriteLineAsync(
                $"error: request {requestId} was still pending after {CliText.Duration(timeout)}; check later with 'kb4collector statuses get {requestId}'");
            return ExitCodes.Failure;
        }
        var status = result.Status;
        if (context.Json)
        {
            await JsonOutput.WriteAsync(context.Output, result.Json);
        }
        else
        {
            await StatusesCommands.WriteStatusAsync(context.Output, status, includeId: false);
        }
        if (status.EventIds.Count == 0 && status.Failures.Count > 0)
        {
            await context.Error.WriteLineAsync($"error: request {requestId} created no event: {CliText.OneLine(status.Failures[0].GetRawText())}");
            return ExitCodes.Failure;
        }
        return ExitCodes.Success;
    }

    private static Command Delete()
    {
        var command = new Command("delete", "Delete an event");
        var id = CliOptions.Id("Event id");
        command.Arguments.Add(id);
        new ApiConnection().Attach(command, async context =>
        {
            var eventId = context.ParseResult.GetRequiredValue(id);
            await context.Client.DeleteEventAsync(eventId, context.CancellationToken);
            if (!context.Json)
            {
                await context.Output.WriteLineAsync($"Deleted event {eventId}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
