using System.CommandLine;
using System.Globalization;
using Kb4Collector.Cli;
using LiteDB;

namespace Kb4Collector.Storage;

/// <summary>
/// <c>kb4collector storage check|repair|reset</c>: the recovery commands for a data directory whose database the daemon
/// refused (README, Storage and recovery). Each takes the data directory's lock, so none runs beside the daemon.
/// </summary>
public static class StorageCommand
{
    private static readonly string[] s_sourceCollections =
    [
        Collection.CheckpointDocument.Collection,
        Lifecycle.SourceSupervisor.StatesCollectionName,
    ];

    public static Command Create()
    {
        var command = new Command("storage", "Check, repair or reset the daemon's database (stop the daemon first).");
        command.Subcommands.Add(Verb("check", "Read the whole database and say whether the daemon can use it (exit 0 sound, 1 not).", (data, _, output) => Check(data, output)));
        command.Subcommands.Add(Verb("repair", "Rebuild a damaged database from what can still be read; the damaged file is kept beside it.", (data, _, output) => Repair(data, output)));

        var source = new Option<string?>("--source") { Description = "The id of the source whose stored progress is erased (see kb4collector sources)" };
        var all = new Option<bool>("--all") { Description = "Set the whole database aside and start over: every source collects and re-sends from its initial lookback" };
        var reset = Verb("reset", "Erase stored progress, an explicit choice to re-send: one source's (--source ID) or the whole database's (--all).", (data, parse, output) =>
            Reset(data, parse.GetValue(source), parse.GetValue(all), output));
        reset.Options.Add(source);
        reset.Options.Add(all);
        command.Subcommands.Add(reset);
        return command;
    }

    private static Command Verb(string name, string description, Func<string, ParseResult, TextWriter, int> run)
    {
        var data = new Option<string>("--data") { Description = "The daemon's data directory (Collector:DataDirectory)", DefaultValueFactory = _ => "data" };
        var verb = new Command(name, description);
        verb.Options.Add(data);
        verb.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var directory = Path.GetFullPath(parse.GetValue(data)!);
            try
            {
                using var ownership = DataDirectoryLock.Acquire(directory);
                return run(directory, parse, output);
            }
            catch (StorageUnavailableException busy)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(("error: " + busy.Message).AsMemory(), cancellationToken);
                return ExitCodes.Failure;
            }
        });
        return verb;
    }

    private static string DatabasePath(string directory) => Path.Combine(directory, CollectorDatabase.FileName);

    private static int Check(string directory, TextWriter output)
    {
        if (!File.Exists(DatabasePath(directory)) && !File.Exists(Path.Combine(directory, CollectorDatabase.MarkerFileName)))
        {
            output.WriteLine($"ok: {Configuration.Text.Escape(directory)} holds no database yet; the daemon creates one on its first start.");
            return ExitCodes.Success;
        }
        try
        {
            using var database = CollectorDatabase.Open(directory);
            var sources = database.Database.GetCollection(Collection.CheckpointDocument.Collection).Count();
            var size = new FileInfo(DatabasePath(directory)).Length;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ok: {Configuration.Text.Escape(DatabasePath(directory))} is sound ({size} bytes, stored progress of {sources} sources)."));
            return ExitCodes.Success;
        }
        catch (StorageUnavailableException problem)
        {
            output.WriteLine("not usable: " + problem.Message);
            output.WriteLine(File.Exists(DatabasePath(directory)) && new FileInfo(DatabasePath(directory)).Length > 0
                ? "next: 'kb4collector storage repair' rebuilds it from what can still be read; if that fails, 'kb4collector storage reset --all' starts over (every source re-sends)."
                : "next: restore the file from a backup, or 'kb4collector storage reset --all' to start over (every source re-sends from its initial lookback).");
            return ExitCodes.Failure;
        }
    }

    private static int Repair(string directory, TextWriter output)
    {
        var path = DatabasePath(directory);
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            output.WriteLine($"cannot repair: {Configuration.Text.Escape(path)} is missing or empty, nothing is left to rebuild from. Restore it from a backup, or 'kb4collector storage reset --all' (every source re-sends).");
            return ExitCodes.Failure;
        }
        var kept = SetAside(path, "damaged", copy: true);
        try
        {
            using (var database = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct }))
            {
                database.Rebuild();
                CollectorDatabase.ReadThrough(database);
            }
            using var reopened = CollectorDatabase.Open(directory);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            File.Copy(kept, path, overwrite: true);
            if (File.Exists(kept + "-log"))
            {
                File.Copy(kept + "-log", LogPath(path), overwrite: true);
            }
            output.WriteLine($"cannot repair: the rebuild failed ({error.GetType().Name}: {error.Message}); the file is as it was. 'kb4collector storage reset --all' starts over (every source re-sends).");
            return ExitCodes.Failure;
        }
        output.WriteLine($"repaired: {Configuration.Text.Escape(path)} was rebuilt; the damaged file is kept as {Configuration.Text.Escape(kept)}. Events whose progress was on a lost page may be sent again.");
        return ExitCodes.Success;
    }

    private static int Reset(string directory, string? sourceId, bool all, TextWriter output)
    {
        if (all == sourceId is not null)
        {
            output.WriteLine("reset needs exactly one of --source ID (one source's progress) or --all (the whole database).");
            return ExitCodes.Usage;
        }
        var path = DatabasePath(directory);
        if (all)
        {
            var kept = File.Exists(path) ? SetAside(path, "reset", copy: false) : null;
            File.Delete(Path.Combine(directory, CollectorDatabase.MarkerFileName));
            output.WriteLine("reset: the database was set aside" + (kept is null ? "" : $" as {Configuration.Text.Escape(kept)}")
                + ". On the next start every source collects from its initial lookback and RE-SENDS the events it already delivered.");
            return ExitCodes.Success;
        }

        using var database = CollectorDatabase.Open(directory);
        var removed = s_sourceCollections.Sum(name => database.Database.GetCollection(name).Delete(sourceId) ? 1 : 0)
            + database.Database.GetCollection(Collection.SeenChunkDocument.Collection).DeleteMany(Query.EQ(nameof(Collection.SeenChunkDocument.SourceId), sourceId));
        if (removed == 0)
        {
            output.WriteLine($"reset: no stored progress for source {Configuration.Text.Quote(sourceId!)}; nothing changed.");
            return ExitCodes.Failure;
        }
        output.WriteLine($"reset: the progress of source {Configuration.Text.Quote(sourceId!)} was erased. On its next start it collects from its initial lookback and RE-SENDS the events it already delivered.");
        return ExitCodes.Success;
    }

    /// <summary>Keeps the file and its LiteDB log (committed pages not yet written back) under a dated name.</summary>
    private static string SetAside(string path, string why, bool copy)
    {
        var kept = $"{path}.{why}-{TimeProvider.System.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}";
        foreach (var (from, to) in new[] { (path, kept), (LogPath(path), kept + "-log") }.Where(pair => File.Exists(pair.Item1)))
        {
            if (copy)
            {
                File.Copy(from, to);
            }
            else
            {
                File.Move(from, to);
            }
        }
        return kept;
    }

    private static string LogPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "-log" + Path.GetExtension(path));
}
