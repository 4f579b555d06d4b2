using System.Diagnostics;
using System.Globalization;

namespace Kb4Collector.Benchmarks.EndToEnd;

/// <summary>
/// One process's footprint read from outside it: resident memory and its peak (<c>/proc/PID/status</c>), proportional
/// set size (<c>/proc/PID/smaps_rollup</c>: shared pages split between the processes mapping them) and CPU time.
/// </summary>
public sealed record ProcFootprint(long RssKb, long PeakRssKb, long PssKb, TimeSpan Cpu)
{
    public static ProcFootprint? Read(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            var rollup = File.ReadAllLines($"/proc/{pid}/smaps_rollup");
            using var process = Process.GetProcessById(pid);
            return new ProcFootprint(Kilobytes(status, "VmRSS:"), Kilobytes(status, "VmHWM:"), Kilobytes(rollup, "Pss:"), process.TotalProcessorTime);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return null; // the process has exited
        }
    }

    private static long Kilobytes(string[] lines, string field) =>
        lines.Where(line => line.StartsWith(field, StringComparison.Ordinal))
            .Select(line => long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture))
            .FirstOrDefault();
}

/// <summary>Samples a process's footprint every 100 ms and keeps the highest resident and proportional sizes seen.</summary>
public sealed class FootprintSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakPssKb;
    private long _peakRssKb;

    public FootprintSampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(SampleAsync);
    }

    public long PeakPssKb => Interlocked.Read(ref _peakPssKb);

    public long PeakRssKb => Interlocked.Read(ref _peakRssKb);

    /// <summary>Forgets the peaks so far (e.g. those of start-up) and starts over.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _peakPssKb, 0);
        Interlocked.Exchange(ref _peakRssKb, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            if (ProcFootprint.Read(_pid) is { } now)
            {
                Interlocked.Exchange(ref _peakPssKb, Math.Max(Interlocked.Read(ref _peakPssKb), now.PssKb));
                Interlocked.Exchange(ref _peakRssKb, Math.Max(Interlocked.Read(ref _peakRssKb), now.RssKb));
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
