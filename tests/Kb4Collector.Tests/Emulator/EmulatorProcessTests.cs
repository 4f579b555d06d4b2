using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Emulator;

/// <summary>The emulator verb as a user runs it: a real process stopped with Ctrl+C (SIGINT).</summary>
public sealed class EmulatorProcessTests
{
    private const int SigInt = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int processId, int signal);

    [Fact]
    public async Task CtrlCStopsTheEmulatorProcessCleanly()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "POSIX signals are sent through libc on Linux");
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "kb4collector.dll"), "emulator", "--urls", "http://127.0.0.1:0", "--backlog", "3", "--rps", "0" })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var banner = new List<string>();
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                banner.Add(line);
                if (line == "Press Ctrl+C to stop.")
                {
                    break;
                }
            }
            var baseUrl = banner.Single(line => line.StartsWith("Base URL: ", StringComparison.Ordinal))["Base URL: ".Length..];
            var key = banner.Single(line => line.StartsWith("API key: ", StringComparison.Ordinal))["API key: ".Length..];
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            var (status, body) = await client.GetJsonAsync("events");

            Assert.Equal(0, SendSignal(process.Id, SigInt));
            var rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(3, body.Meta().GetProperty("count").GetInt32());
            Assert.Contains("Stopping the emulator.", rest, StringComparison.Ordinal);
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
}
