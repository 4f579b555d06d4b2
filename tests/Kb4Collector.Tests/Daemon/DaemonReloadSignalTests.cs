using System.Diagnostics;
using System.Runtime.InteropServices;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Daemon;

/// <summary>
/// systemctl reload sends SIGHUP (the unit's ExecReload). A real <c>kb4collector run</c> process gets it, so the
/// signal does not reach the other daemons of this test process.
/// </summary>
public sealed class DaemonReloadSignalTests
{
    private const int SigHup = 1;
    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int processId, int signal);

    [Fact]
    public async Task SighupReadsTheSourceFilesAgainAndTheDaemonKeepsRunningUntilSigterm()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "POSIX signals are sent through libc on Linux");
        using var folder = new TempSourceFolder();
        Directory.CreateDirectory(folder.PathOf("sources"));
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "kb4collector.dll"), "run", "--config", folder.PathOf("sources"), "--data", folder.PathOf("data"),
            "--settings", EmulatorTestHelpers.RepositoryFile("config/appsettings.json"),
            "--Collector:Sink:Url=http://127.0.0.1:9/receiver", "--Collector:Admin:Listen=127.0.0.1:0",
        })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await UntilLineAsync(process, "Sources reloaded", timeout.Token);

            Assert.Equal(0, SendSignal(process.Id, SigHup));
            await UntilLineAsync(process, "SIGHUP: reading the source files again", timeout.Token);
            await UntilLineAsync(process, "Requested", timeout.Token); // the watcher's "Sources reloaded (Requested)"
            Assert.False(process.HasExited);

            Assert.Equal(0, SendSignal(process.Id, SigTerm));
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task UntilLineAsync(Process process, string text, CancellationToken cancellationToken)
    {
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return;
            }
        }
        Assert.Fail($"the daemon exited before it logged \"{text}\": {await process.StandardError.ReadToEndAsync(cancellationToken)}");
    }
}
