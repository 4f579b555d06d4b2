using System.CommandLine;

namespace Kb4Collector.Cli;

/// <summary>The eight User Event API actions as commands: events, event-types, statuses.</summary>
internal static class ApiCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(EventsCommands.Create());
        root.Subcommands.Add(EventTypesCommands.Create());
        root.Subcommands.Add(StatusesCommands.Create());
    }
}
