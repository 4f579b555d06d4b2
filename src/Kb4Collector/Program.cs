return await Kb4Collector.Cli.CommandLine.InvokeAsync(args);
