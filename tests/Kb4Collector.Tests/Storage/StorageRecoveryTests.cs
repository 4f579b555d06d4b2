using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;
using LiteDB;

namespace Kb4Collector.Tests.Storage;

/// <summary>A data directory is owned by one process, and its database never starts over on its own (issue 15, points 1 and 2).</summary>
public sealed class StorageRecoveryTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "kb4-storage-" + Guid.NewGuid().ToString("N"));

    private string DatabaseFile => Path.Combine(_folder, CollectorDatabase.FileName);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ASecondOwnerOfTheDataDirectoryIsRefusedNamingTheDirectoryAndTheHolder()
    {
        using (DataDirectoryLock.Acquire(_folder))
        {
            var refused = Assert.Throws<StorageUnavailableException>(() => DataDirectoryLock.Acquire(_folder));
            Assert.Contains(_folder, refused.Message, StringComparison.Ordinal);
            Assert.Contains($"pid {Environment.ProcessId}", refused.Message, StringComparison.Ordinal);
        }
        using var again = DataDirectoryLock.Acquire(_folder);
    }

    [Fact]
    public async Task ASecondRunOnTheSameDataDirectoryExitsAtOnceWithOneLine()
    {
        using var owner = DataDirectoryLock.Acquire(_folder);

        var result = await CliRunner.RunAsync("run", "--data", _folder, "--config", _folder, "--Collector:Sink:Url=http://127.0.0.1:9/ingest", "--Collector:Admin:Listen=127.0.0.1:0");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(_folder, line, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyDatabaseOnADirectoryThatHasRunIsRefusedNotStartedOver()
    {
        CreateUsedDatabase();
        File.WriteAllBytes(DatabaseFile, []);

        var refused = Assert.Throws<StorageUnavailableException>(() => CollectorDatabase.Open(_folder));

        Assert.Contains("empty", refused.Message, StringComparison.Ordinal);
        Assert.Contains("kb4collector storage check", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(DatabaseFile).Length);
    }

    [Fact]
    public void AMissingDatabaseOnADirectoryThatHasRunIsRefused()
    {
        CreateUsedDatabase();
        File.Delete(DatabaseFile);

        var refused = Assert.Throws<StorageUnavailableException>(() => CollectorDatabase.Open(_folder));

        Assert.Contains("missing", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabaseFile));
    }

    [Fact]
    public void ADatabaseWithRandomBytesInTheMiddleIsRefusedAtOpen()
    {
        CreateUsedDatabase();
        Corrupt(DatabaseFile);

        var refused = Assert.Throws<StorageUnavailableException>(() => CollectorDatabase.Open(_folder));

        Assert.Contains("damaged", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDatabaseIsReadableByItsOwnerOnly()
    {
        using (CollectorDatabase.Open(_folder))
        {
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabaseFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
        }
    }

    [Fact]
    public async Task CheckSaysWhatIsWrongAndResetAllIsAnExplicitChoiceThatSaysItReSends()
    {
        CreateUsedDatabase();
        File.WriteAllBytes(DatabaseFile, []);

        var check = await CliRunner.RunAsync("storage", "check", "--data", _folder);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("empty", check.Output, StringComparison.Ordinal);
        Assert.Contains("storage reset --all", check.Output, StringComparison.Ordinal);

        var reset = await CliRunner.RunAsync("storage", "reset", "--all", "--data", _folder);
        Assert.Equal(0, reset.ExitCode);
        Assert.Contains("RE-SENDS", reset.Output, StringComparison.Ordinal);
        using var fresh = CollectorDatabase.Open(_folder);
        Assert.Equal(0, fresh.Database.GetCollection("checkpoints").Count());
    }

    [Fact]
    public async Task ResetOfOneSourceErasesItsProgressOnlyAndSaysItReSends()
    {
        CreateUsedDatabase();

        var reset = await CliRunner.RunAsync("storage", "reset", "--source", "source-1", "--data", _folder);

        Assert.Equal(0, reset.ExitCode);
        Assert.Contains("RE-SENDS", reset.Output, StringComparison.Ordinal);
        using var database = CollectorDatabase.Open(_folder);
        Assert.Null(database.Database.GetCollection("checkpoints").FindById("source-1"));
        Assert.NotNull(database.Database.GetCollection("checkpoints").FindById("source-2"));
    }

    [Fact]
    public async Task RepairRebuildsASoundFileAndKeepsTheOriginal()
    {
        CreateUsedDatabase();

        var repair = await CliRunner.RunAsync("storage", "repair", "--data", _folder);

        Assert.Equal(0, repair.ExitCode);
        Assert.Contains(Directory.GetFiles(_folder), file => file.Contains(".damaged-", StringComparison.Ordinal));
        using var database = CollectorDatabase.Open(_folder);
        Assert.NotNull(database.Database.GetCollection("checkpoints").FindById("source-2"));
    }

    [Fact]
    public async Task StorageCommandsRefuseToRunBesideTheDaemon()
    {
        CreateUsedDatabase();
        using var owner = DataDirectoryLock.Acquire(_folder);

        var check = await CliRunner.RunAsync("storage", "check", "--data", _folder);

        Assert.Equal(1, check.ExitCode);
        Assert.Contains("in use", check.Error, StringComparison.Ordinal);
    }

    /// <summary>A database that has run: the marker, two sources' checkpoints and enough documents to span many pages.</summary>
    private void CreateUsedDatabase()
    {
        using var database = CollectorDatabase.Open(_folder);
        var checkpoints = database.Database.GetCollection("checkpoints");
        checkpoints.Insert(new BsonDocument { ["_id"] = "source-1", ["EventsDelivered"] = 109 });
        checkpoints.Insert(new BsonDocument { ["_id"] = "source-2", ["EventsDelivered"] = 7 });
        var seen = database.Database.GetCollection("seen_ids");
        for (var i = 0; i < 400; i++)
        {
            seen.Insert(new BsonDocument { ["SourceId"] = "source-1", ["Keys"] = new BsonValue(new byte[512]) });
        }
        database.Database.Checkpoint();
    }

    private static void Corrupt(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var random = new Random(15);
        for (var page = 1; page < bytes.Length / 8192; page++)
        {
            random.NextBytes(bytes.AsSpan(page * 8192, 64));
        }
        File.WriteAllBytes(file, bytes);
    }
}
