using System.CommandLine;

namespace Kb4Collector.Cli;

/// <summary>Builds the <c>kb4collector</c> command tree and runs it.</summary>
public static class CommandLine
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Kb4Collector: KnowBe4 User Event API collector, command-line client and emulator.");
        ApiCommands.AddTo(root);
        root.Subcommands.Add(Configuration.ValidateCommand.Create());
        root.Subcommands.Add(Emulator.EmulatorCommand.Create());
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var root = CreateRoot();
        var parseResult = root.Parse(args);
        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        if (parseResult.Errors.Count > 0)
        {
            foreach (var parseError in parseResult.Errors)
            {
                await configuration.Error.WriteLineAsync(parseError.Message);
            }
            await configuration.Error.WriteLineAsync("Run 'kb4collector --help' for usage.");
            return ExitCodes.Usage;
        }
        return await parseResult.InvokeAsync(configuration, cancellationToken);
    }
}
