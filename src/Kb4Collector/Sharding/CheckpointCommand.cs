using System.CommandLine;
using Kb4Collector.Cli;
using Kb4Collector.Configuration;
using Kb4Collector.Storage;

namespace Kb4Collector.Sharding;

/// <summary>
/// <c>kb4collector checkpoint export|import</c>: carries sources' checkpoints, seen ids, states and their keys' ledgers
/// from the replica that owned them to the one that owns them after the replica count changed. Both run while the
/// daemon is stopped: the database file is opened exclusively.
/// </summary>
public static class CheckpointCommand
{
    public static Command Create()
    {
        var command = new Command("checkpoint", "Move sources' state between data directories when the shard count changes.");
        command.Subcommands.Add(CreateExport());
        command.Subcommands.Add(CreateImport());
        return command;
    }

    private static Command CreateExport()
    {
        var data = DataOption();
        var config = new Option<string>("--config") { Description = "The sources (file or folder), to know each source's key", DefaultValueFactory = _ => "config/sources" };
        var output = new Option<string>("--out") { Description = "The bundle file to write", Required = true };
        var shard = ShardOption("Export only the sources this replica owns now (i/n, as it runs)");
        var only = new Option<string[]>("--source") { Description = "Export only this source (name or id); repeat for several", AllowMultipleArgumentsPerToken = false };
        var command = new Command("export", "Write the state of sources in the data directory to a bundle file.");
        command.Options.Add(data);
        command.Options.Add(config);
        command.Options.Add(output);
        command.Options.Add(shard);
        command.Options.Add(only);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (stdout, stderr) = (parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
            if (await ReadShardAsync(parseResult, shard) is not { } assignment)
            {
                return ExitCodes.Usage;
            }
            var loaded = new SourceConfigLoader(new SourceConfigLoaderOptions { AllowAnyBaseUrl = true }).Load(parseResult.GetValue(config)!);
            foreach (var problem in loaded.Problems.Where(problem => problem.IsError))
            {
                await stderr.WriteLineAsync($"warning: {problem.File}: {problem.Message} (that source is not exported)");
            }
            var wanted = parseResult.GetValue(only) ?? [];
            var sources = loaded.Sources
                .Where(source => assignment.Owns(source.ApiKeyFingerprint))
                .Where(source => wanted.Length == 0 || wanted.Any(name => string.Equals(name, source.Name, StringComparison.OrdinalIgnoreCase) || name == source.Id))
                .Select(source => new BundleSource(source.Id, source.Name, source.ApiKeyFingerprint))
                .ToList();
            var missing = wanted.Where(name => !sources.Any(source => string.Equals(name, source.Name, StringComparison.OrdinalIgnoreCase) || name == source.Id)).ToList();
            if (missing.Count > 0)
            {
                await stderr.WriteLineAsync($"error: --source {string.Join(", ", missing)}: no such source in {parseResult.GetValue(config)}{(assignment.IsSharded ? $" owned by shard {assignment}" : "")}");
                return ExitCodes.Usage;
            }
            return await WithDatabaseAsync(parseResult.GetValue(data)!, stderr, async database =>
            {
                var bundle = CheckpointBundle.Export(database, sources, TimeProvider.System.GetUtcNow());
                CheckpointBundle.Write(bundle, parseResult.GetValue(output)!);
                await stdout.WriteLineAsync($"exported {sources.Count} sources to {parseResult.GetValue(output)}");
                return ExitCodes.Success;
            });
        });
        return command;
    }

    private static Command CreateImport()
    {
        var data = DataOption();
        var input = new Argument<string>("bundle") { Description = "A bundle written by 'checkpoint export'" };
        var shard = ShardOption("Import only the sources this replica owns from now on (i/n, as it will run)");
        var command = new Command("import", "Replace the state of the bundle's sources in the data directory with the bundle's.");
        command.Arguments.Add(input);
        command.Options.Add(data);
        command.Options.Add(shard);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (stdout, stderr) = (parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
            if (await ReadShardAsync(parseResult, shard) is not { } assignment)
            {
                return ExitCodes.Usage;
            }
            var path = parseResult.GetValue(input)!;
            LiteDB.BsonDocument bundle;
            try
            {
                bundle = CheckpointBundle.Read(path);
            }
            catch (Exception problem) when (problem is CheckpointBundleException or IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync("error: " + problem.Message);
                return ExitCodes.Failure;
            }
            return await WithDatabaseAsync(parseResult.GetValue(data)!, stderr, async database =>
            {
                var result = CheckpointBundle.Import(database, bundle, path, assignment);
                foreach (var source in result.Imported)
                {
                    await stdout.WriteLineAsync($"imported \"{source.Name}\" ({source.Id})");
                }
                foreach (var source in result.Skipped)
                {
                    await stdout.WriteLineAsync($"skipped \"{source.Name}\" ({source.Id}): shard {ShardAssignment.OwnerOf(source.KeyFingerprint, assignment.Count)}/{assignment.Count} owns it");
                }
                await stdout.WriteLineAsync($"{result.Imported.Count} sources imported ({result.Documents} documents), {result.Skipped.Count} left to other replicas");
                return ExitCodes.Success;
            });
        });
        return command;
    }

    private static Option<string> DataOption() =>
        new("--data") { Description = "The data directory holding kb4collector.db (stop the daemon first)", DefaultValueFactory = _ => "data" };

    private static Option<string?> ShardOption(string description) => new("--shard") { Description = description };

    private static async Task<ShardAssignment?> ReadShardAsync(ParseResult parseResult, Option<string?> shard)
    {
        if (ShardAssignment.TryParse(parseResult.GetValue(shard), out var assignment, out var error))
        {
            return assignment;
        }
        await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: --shard {error}");
        return null;
    }

    private static async Task<int> WithDatabaseAsync(string dataDirectory, TextWriter error, Func<CollectorDatabase, Task<int>> work)
    {
        CollectorDatabase database;
        try
        {
            database = CollectorDatabase.Open(dataDirectory);
        }
        catch (DatabaseSchemaException newer)
        {
            await error.WriteLineAsync("error: " + newer.Message);
            return ExitCodes.Failure;
        }
        catch (IOException locked)
        {
            await error.WriteLineAsync($"error: {Path.Combine(dataDirectory, CollectorDatabase.FileName)} cannot be opened ({locked.Message}); stop the kb4collector that uses it first");
            return ExitCodes.Failure;
        }
        using (database)
        {
            return await work(database);
        }
    }
}
