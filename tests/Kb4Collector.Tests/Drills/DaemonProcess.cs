using System.Diagnostics;
using System.Text;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// The built daemon as an operator runs it (<c>dotnet kb4collector.dll run --config … --data …</c>) in its own
/// process, with settings given as <c>--Collector:…=…</c> after the options. Its console output is kept.
/// </summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DaemonProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Standard output and error so far, interleaved in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static DaemonProcess Start(string workingDirectory, string sources, string data, IReadOnlyDictionary<string, string> settings)
    {
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kb4collector.dll"));
        foreach (var argument in new[] { "run", "--config", sources, "--data", data })
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in settings)
        {
            startInfo.ArgumentList.Add($"--{key}={value}");
        }
        // The machine's environment must not configure the daemon under test (a developer's Collector__Sink__Url, say).
        foreach (var name in startInfo.Environment.Keys.Where(name => name.StartsWith("Collector__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            startInfo.Environment.Remove(name);
        }
        var process = new Process { StartInfo = startInfo };
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, line) => daemon.Append(line.Data);
        process.ErrorDataReceived += (_, line) => daemon.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int processId, int signal);

    /// <summary>SIGTERM, as systemd stops it, then waits for the clean exit.</summary>
    public async Task StopAsync()
    {
        const int sigTerm = 15;
        Assert.Equal(0, SendSignal(_process.Id, sigTerm));
        Assert.True(await WaitForExitAsync(TimeSpan.FromSeconds(40)), "the daemon did not stop on SIGTERM");
    }

    /// <summary>kill -9: no shutdown code runs, nothing is flushed.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }
        _process.WaitForExit(10_000);
    }

    /// <summary>Waits for the process to exit on its own, at most <paramref name="timeout"/>; false when it still runs.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            return true;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The resident set size from /proc, in MB; null once the process is gone.</summary>
    public double? ResidentMegabytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
