using System.Net;
using System.Net.Sockets;
using Kb4Collector.Cli;
using Kb4Collector.Daemon;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Daemon;

/// <summary>What an operator sees when the daemon cannot start: one line naming the thing and the fix, a documented exit code, no stack trace.</summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kb4-startup-" + Guid.NewGuid().ToString("N"));

    public StartupFailureTests() => Directory.CreateDirectory(Path.Combine(_root, "sources"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(int ExitCode, string Error, string Log)> RunAsync(string dataDirectory, params string[] overrides)
    {
        var error = new StringWriter();
        var log = new LockedStringWriter();
        var settings = new DaemonSettings
        {
            SourcesPath = Path.Combine(_root, "sources"),
            DataDirectory = dataDirectory,
            LogOutput = log,
            Values = new Dictionary<string, string?>
            {
                ["Collector:Admin:Listen"] = "127.0.0.1:0",
                ["Collector:Sink:Url"] = "http://127.0.0.1:9/receiver",
            },
            Overrides = overrides,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        var exitCode = await RunCommand.RunAsync(settings, error, timeout.Token);
        return (exitCode, error.ToString(), log.Text);
    }

    private static void AssertOneActionableLine(string error, string log, params string[] expected)
    {
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        foreach (var text in expected)
        {
            Assert.Contains(text, line, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("   at ", error + log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABusyAdminPortNamesTheAddressAndTheSetting()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var address = $"127.0.0.1:{((IPEndPoint)squatter.LocalEndpoint).Port}";

        var (exitCode, error, log) = await RunAsync(Path.Combine(_root, "data"), $"--Collector:Admin:Listen={address}");

        Assert.Equal(ExitCodes.Failure, exitCode);
        AssertOneActionableLine(error, log, address, "already in use", "Collector:Admin:Listen");
    }

    [Fact]
    public async Task AnUnusableDataDirectoryNamesTheFolderAndTheFix()
    {
        var file = Path.Combine(_root, "not-a-folder");
        File.WriteAllText(file, "x");
        var dataDirectory = Path.Combine(file, "data");

        var (exitCode, error, log) = await RunAsync(dataDirectory);

        Assert.Equal(ExitCodes.Failure, exitCode);
        AssertOneActionableLine(error, log, dataDirectory, "cannot be used", "--data <DIR>");
    }

    [Fact]
    public async Task ALockedDatabaseNamesTheOtherProcess()
    {
        var dataDirectory = Path.Combine(_root, "data");
        using var other = DataDirectoryLock.Acquire(dataDirectory);

        var (exitCode, error, log) = await RunAsync(dataDirectory);

        Assert.Equal(ExitCodes.Failure, exitCode);
        AssertOneActionableLine(error, log, dataDirectory, "in use by another kb4collector", "one daemon or storage command per data directory");
    }

    [Fact]
    public async Task ABadSettingIsOneLinePerProblemAndExitsTwo()
    {
        var (exitCode, error, log) = await RunAsync(Path.Combine(_root, "data"), "--Collector:SourcesRescanSeconds=0");

        Assert.Equal(ExitCodes.Usage, exitCode);
        AssertOneActionableLine(error, log, "Collector:SourcesRescanSeconds");
    }
}
