using System.CommandLine;
using Kb4Collector.Cli;

namespace Kb4Collector.Demo;

/// <summary><c>kb4collector demo</c>: the emulator, a local receiver and the daemon in one process, with live progress and a checked summary.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var duration = CliOptions.Duration("--duration", "How long to collect before the summary (e.g. 20s, 2m)", DemoOptions.DefaultDuration);
        var follow = new Option<bool>("--follow") { Description = "Run until Ctrl+C (the admin endpoint stays up to look around)" };
        var outputDirectory = new Option<string>("--output")
        {
            Description = "Folder for the source file, the data directory, events.ndjson and daemon.log",
            DefaultValueFactory = _ => DemoOptions.DefaultOutputDirectory,
            HelpName = "DIR",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep the data directory of the previous run (admin token, call history, health events)" };

        var command = new Command("demo", "Run the collector against an emulated KnowBe4 account and a local HTTP receiver, and check what arrived.");
        command.Options.Add(duration);
        command.Options.Add(follow);
        command.Options.Add(outputDirectory);
        command.Options.Add(keep);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var options = new DemoOptions
            {
                Duration = parseResult.GetValue(duration),
                Follow = parseResult.GetValue(follow),
                OutputDirectory = parseResult.GetValue(outputDirectory) ?? DemoOptions.DefaultOutputDirectory,
                Keep = parseResult.GetValue(keep),
                RedrawProgress = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected,
            };
            return DemoRunner.RunAsync(options, output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }
}
