using System.Diagnostics;
using System.Globalization;
using Kb4Collector.Emulator;

namespace Kb4Collector.Benchmarks.Pipeline;

/// <summary>
/// Quick figures outside BenchmarkDotNet. <c>--drain N</c>: emulator and endpoint in this process, a few drains and raw
/// copies of N events. <c>--memory N</c>: the emulator and the endpoint run in a child process, this process drains N
/// events once and prints its peak working set and managed heap.
/// </summary>
public static class PipelineProbe
{
    private const string ServePeers = "--serve-peers";

    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("--drain" or "--memory" or ServePeers))
        {
            return null;
        }
        var events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        return args[0] switch
        {
            "--drain" => await DrainAsync(events),
            "--memory" => await MemoryAsync(events),
            _ => await ServePeersAsync(events),
        };
    }

    private static async Task<int> DrainAsync(int events)
    {
        await using var emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = PipelineRig.Scenario(events) });
        await using var sink = await DiscardingSink.StartAsync();
        using var rig = new PipelineRig(emulator.BaseUrl, emulator.ApiKey, sink.Url);
        await rig.PrepareAsync();
        for (var round = 1; round <= 3; round++)
        {
            var raw = await rig.RawCopyAsync();
            var drain = await rig.DrainAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: collector {drain.Events} events, {drain.Calls} calls in {drain.Elapsed.TotalMilliseconds:0} ms = {drain.EventsPerSecond:0} events/s; raw copy {raw.Events} events in {raw.Elapsed.TotalMilliseconds:0} ms = {raw.EventsPerSecond:0} events/s; ratio {drain.Elapsed / raw.Elapsed:0.00}"));
        }
        return 0;
    }

    private static async Task<int> MemoryAsync(int events)
    {
        // Run as "dotnet Kb4Collector.Benchmarks.dll" or as the apphost: start the same program either way.
        var host = Environment.ProcessPath!;
        List<string> arguments = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(PipelineProbe).Assembly.Location] : [];
        arguments.AddRange([ServePeers, events.ToString(CultureInfo.InvariantCulture)]);
        using var peers = Process.Start(new ProcessStartInfo(host, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            var ready = (await peers.StandardOutput.ReadLineAsync())?.Split(' ');
            if (ready is not ["READY", var api, var key, var sinkUrl])
            {
                Console.Error.WriteLine("The peer process did not start.");
                return 1;
            }

            using var self = Process.GetCurrentProcess();
            var before = self.PeakWorkingSet64;
            using var rig = new PipelineRig(new Uri(api), key, new Uri(sinkUrl));
            await rig.PrepareAsync();
            var liveBefore = GC.GetTotalMemory(forceFullCollection: true);
            long peakHeap = 0;
            long peakCommitted = 0;
            using (new Timer(_ =>
            {
                Interlocked.Exchange(ref peakHeap, Math.Max(Interlocked.Read(ref peakHeap), GC.GetTotalMemory(forceFullCollection: false)));
                Interlocked.Exchange(ref peakCommitted, Math.Max(Interlocked.Read(ref peakCommitted), GC.GetGCMemoryInfo().TotalCommittedBytes));
            }, null, 0, 20))
            {
                var drain = await rig.DrainAsync();
                self.Refresh();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"drained {drain.Events} events ({drain.Calls} calls) in {drain.Elapsed.TotalMilliseconds:0} ms = {drain.EventsPerSecond:0} events/s"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"peak working set {Mb(self.PeakWorkingSet64)} MB (before the drain {Mb(before)} MB); managed heap at most {Mb(Interlocked.Read(ref peakHeap))} MB "
                + $"(sampled every 20 ms), GC committed at most {Mb(Interlocked.Read(ref peakCommitted))} MB; live before the drain {Mb(liveBefore)} MB, "
                + $"after it {Mb(GC.GetTotalMemory(forceFullCollection: true))} MB; allocated {Mb(GC.GetTotalAllocatedBytes())} MB in all; "
                + $"GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}"));
            if (File.Exists("/proc/self/status"))
            {
                // Where the resident memory is: the GC heap and native allocations (RssAnon), code files (RssFile), JIT code (RssShmem).
                Console.WriteLine(string.Join("; ", File.ReadAllLines("/proc/self/status")
                    .Where(line => line.StartsWith("VmHWM", StringComparison.Ordinal) || line.StartsWith("Rss", StringComparison.Ordinal))
                    .Select(line => string.Join(' ', line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))));
            }
            return 0;
        }
        finally
        {
            peers.StandardInput.Close();
            await peers.WaitForExitAsync();
        }
    }

    private static async Task<int> ServePeersAsync(int events)
    {
        await using var emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = PipelineRig.Scenario(events) });
        await using var sink = await DiscardingSink.StartAsync();
        Console.WriteLine($"READY {emulator.BaseUrl} {emulator.ApiKey} {sink.Url}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);
}
