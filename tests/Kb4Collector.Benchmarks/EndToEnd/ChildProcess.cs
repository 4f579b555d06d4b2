using System.Diagnostics;

namespace Kb4Collector.Benchmarks.EndToEnd;

/// <summary>
/// A program started as its own process, its output going to a file (never a pipe this process must drain). Started
/// through <c>sh -c 'exec …'</c>, so the id is the program's own once it runs.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, string logFile, long startedAt)
    {
        _process = process;
        LogFile = logFile;
        StartedAt = startedAt;
    }

    public int Id => _process.Id;

    public string LogFile { get; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> just before the process was started.</summary>
    public long StartedAt { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(string program, IEnumerable<string> arguments, string logFile, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >\"$KB4_BENCH_LOG\" 2>&1");
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["KB4_BENCH_LOG"] = logFile;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var startedAt = Stopwatch.GetTimestamp();
        return new ChildProcess(Process.Start(start)!, logFile, startedAt);
    }

    /// <summary>Starts this benchmark program again with <paramref name="arguments"/> (a child role).</summary>
    public static ChildProcess StartSelf(IEnumerable<string> arguments, string logFile)
    {
        // Run as "dotnet Kb4Collector.Benchmarks.dll" or as the apphost: start the same program either way.
        var host = Environment.ProcessPath!;
        List<string> all = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(ChildProcess).Assembly.Location] : [];
        all.AddRange(arguments);
        return Start(host, all, logFile);
    }

    /// <summary>The text after <paramref name="prefix"/> on the first log line that starts with it, once it is written.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (File.Exists(LogFile))
            {
                using var reader = new StreamReader(new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line[prefix.Length..].Trim();
                    }
                }
            }
            if (_process.HasExited)
            {
                break;
            }
            await Task.Delay(20);
        }
        throw new InvalidOperationException($"{Path.GetFileName(LogFile)}: no line starting with \"{prefix}\" (exited: {_process.HasExited}); its output:\n{Tail()}");
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
    }

    /// <summary>The last lines of the output, for an error message.</summary>
    public string Tail() => File.Exists(LogFile)
        ? string.Join('\n', File.ReadLines(LogFile).TakeLast(20))
        : "(no output)";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}
