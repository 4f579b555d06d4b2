using System.CommandLine;
using System.CommandLine.Invocation;

namespace Kb4Collector.Cli;

/// <summary>Builds the <c>kb4collector</c> command tree and runs it.</summary>
public static class CommandLine
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Kb4Collector: collects KnowBe4 user events into a SIEM (Sumo Logic, Splunk HEC, NDJSON), and is a KnowBe4 User Event API client and emulator.");
        ApiCommands.AddTo(root);
        ReportingCommands.AddTo(root);
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
        root.Subcommands.Add(HelpCommand(root));
        root.Subcommands.Add(VersionCommand());
        CliHelp.Install(root);
        return root;
    }

    /// <summary><c>kb4collector help [VERB...]</c>: the same text as <c>kb4collector VERB --help</c>.</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var verb = new Argument<string[]>("verb") { Description = "The command to explain, e.g. run or events list; none for the overview.", Arity = ArgumentArity.ZeroOrMore, HelpName = "VERB" };
        var command = new Command("help", "Show help for kb4collector or one of its commands.") { verb };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var words = parseResult.GetValue(verb) ?? [];
            var target = root.Parse([.. words, "--help"]);
            if (target.Errors.Count > 0)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: no command '{string.Join(' ', words)}'. Run 'kb4collector help' for the list.");
                return ExitCodes.Usage;
            }
            return await target.InvokeAsync(parseResult.InvocationConfiguration, cancellationToken);
        });
        return command;
    }

    /// <summary><c>kb4collector version</c>: the version, as <c>--version</c> and the admin endpoint report it.</summary>
    private static Command VersionCommand()
    {
        var command = new Command("version", "Show the version of kb4collector.");
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"kb4collector {Admin.AdminVersion.Current}".AsMemory(), cancellationToken);
            return ExitCodes.Success;
        });
        return command;
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
        if (parseResult.Errors.Count > 0 && parseResult.Action is not CliHelp.ExtendedHelpAction)
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
