using System.CommandLine;
using System.CommandLine.Invocation;

namespace Kb4Collector.Cli;

/// <summary>Builds the <c>kb4collector</c> command tree and runs it.</summary>
public static class CommandLine
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Kb4Collector: KnowBe4 User Event API collector, command-line client and emulator.");
        ApiCommands.AddTo(root);
        root.Subcommands.Add(Configuration.ValidateCommand.Create());
        root.Subcommands.Add(Configuration.SourceTestCommand.Create());
        root.Subcommands.Add(Emulator.EmulatorCommand.Create());
        root.Subcommands.Add(Daemon.RunCommand.Create());
        Admin.AdminCommands.AddTo(root);
        root.Subcommands.Add(Demo.DemoCommand.Create());
        root.Subcommands.Add(Storage.StorageCommand.Create());
        root.Subcommands.Add(Sharding.CheckpointCommand.Create());
        root.Subcommands.Add(Admin.HealthCheckCommand.Create());
        foreach (var version in root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion();
        }
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
            // The daemon needs its graceful stop (up to 20 s) after Ctrl+C; System.CommandLine's default gives 2 s.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
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

    /// <summary><c>--version</c>: the version, the commit and the build date on one line.</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Admin.AdminVersion.Describe());
            return ExitCodes.Success;
        }
    }
}
