using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kb4Collector.Benchmarks.Pipeline;

namespace Kb4Collector.Benchmarks.EndToEnd;

/// <summary>
/// <c>process</c>: the published daemon measured from outside, as its own process, against the emulator
/// (<c>kb4collector emulator</c>, its own process) and a counting receiver (a third process), beside a raw copy of the
/// same pages and the in-process pipeline, each in its own process too. Prints one table against DESIGN §12's budgets.
/// </summary>
public static class ProcessBenchmark
{
    public const string Command = "process";

    private const string RawCopyRole = "--raw-copy";
    private const string PipelineRole = "--in-process-pipeline";
    private const string BenchKey = "bench-key-0123456789";
    private const string AdminToken = "process-benchmark-admin-token-0123";
    private const int IdlePollSeconds = 2;
    public const int IdleSettleSeconds = 60;
    private const int FleetPollSeconds = 300;

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            return null;
        }
        switch (args[0])
        {
            case Command:
                var options = ProcessBenchmarkOptions.Parse(args[1..], out var error);
                if (error is not null)
                {
                    await Console.Error.WriteLineAsync($"process: {error}");
                    return 2;
                }
                return await RunAsync(options);
            case CountingReceiver.Role:
                return await CountingReceiver.RunAsync();
            case RawCopyRole or PipelineRole when args.Length == 4:
                return await CopyAsync(args[0] == RawCopyRole, new Uri(args[1]), args[2], new Uri(args[3]));
            default:
                return null;
        }
    }

    private static async Task<int> RunAsync(ProcessBenchmarkOptions options)
    {
        if (!OperatingSystem.IsLinux())
        {
            await Console.Error.WriteLineAsync("process: reads /proc, so it runs on Linux only.");
            return 2;
        }
        var binary = options.Binary ?? await PublishAsync();
        if (binary is null)
        {
            return 1;
        }
        var work = Directory.CreateTempSubdirectory("kb4-process-bench-").FullName;
        try
        {
            var report = await MeasureAsync(binary, work, options);
            Console.WriteLine();
            Console.WriteLine(report);
            return 0;
        }
        catch (InvalidOperationException problem)
        {
            await Console.Error.WriteLineAsync($"process: {problem.Message}");
            return 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The release binary as packaging/build-release.sh makes it (the publish settings live in the project).</summary>
    private static async Task<string?> PublishAsync()
    {
        var repository = RepositoryRoot();
        var output = Path.Combine(repository, "tests", "Kb4Collector.Benchmarks", "bin", "published-daemon");
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        Console.WriteLine($"Publishing the daemon ({rid}, Release) to {output} ...");
        var log = Path.Combine(Path.GetTempPath(), "kb4-process-bench-publish.log");
        using var publish = ChildProcess.Start("dotnet",
            ["publish", Path.Combine(repository, "src", "Kb4Collector", "Kb4Collector.csproj"), "-c", "Release", "-r", rid, "-o", output, "--nologo"], log);
        try
        {
            // ReadyToRun compiles every assembly: minutes on a busy 2-core machine.
            await publish.WaitForExitAsync(TimeSpan.FromMinutes(45));
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"process: dotnet publish did not finish within 45 minutes; its output is in {log}.");
            return null;
        }
        var binary = Path.Combine(output, "kb4collector");
        if (publish.ExitCode != 0 || !File.Exists(binary))
        {
            await Console.Error.WriteLineAsync($"process: dotnet publish failed:\n{publish.Tail()}");
            return null;
        }
        return binary;
    }

    private static async Task<string> MeasureAsync(string binary, string work, ProcessBenchmarkOptions options)
    {
        var fleetKeys = Enumerable.Range(0, options.Sources).Select(index => string.Create(CultureInfo.InvariantCulture, $"fleet-key-{index:D4}-0123456789")).ToList();
        Console.WriteLine($"Starting the emulators ({options.Events:N0}-event backlog; {options.Sources} keys) and the receiver ...");
        // The emulators run from a copy: processes mapping the same file share its pages, which would halve the daemon's PSS.
        var emulatorBinary = CopyBinary(binary, Path.Combine(work, "emulator"));
        using var benchApi = await StartEmulatorAsync(emulatorBinary, work, "bench", new JsonObject
        {
            ["seed"] = 1,
            ["accounts"] = new JsonArray(new JsonObject { ["name"] = "Bench", ["seats"] = 0, ["apiKeys"] = new JsonArray(BenchKey) }),
            ["backlog"] = new JsonObject { ["events"] = options.Events, ["days"] = PipelineRig.BacklogDays },
            ["limits"] = new JsonObject { ["requestsPerSecond"] = 0, ["callsPerSeatPerDay"] = 0 },
        });
        using var fleetApi = await StartEmulatorAsync(emulatorBinary, work, "fleet", new JsonObject
        {
            ["seed"] = 2,
            ["accounts"] = new JsonArray(new JsonObject { ["name"] = "Fleet", ["seats"] = 0, ["apiKeys"] = new JsonArray([.. fleetKeys.Select(key => (JsonNode)key)]) }),
            ["backlog"] = new JsonObject { ["events"] = 0 },
            ["limits"] = new JsonObject { ["requestsPerSecond"] = 0, ["callsPerSeatPerDay"] = 0 },
        });
        using var receiverProcess = ChildProcess.StartSelf([CountingReceiver.Role], Path.Combine(work, "receiver.log"));
        var receiver = new Uri(await receiverProcess.WaitForLineAsync("RECEIVER ", TimeSpan.FromSeconds(60)));

        Console.WriteLine("Raw copy and in-process pipeline, each in its own process ...");
        var raw = await RunCopyAsync(RawCopyRole, benchApi.Url, receiver, work);
        var pipeline = await RunCopyAsync(PipelineRole, benchApi.Url, receiver, work);

        Console.WriteLine($"Daemon, one source idle ({IdlePollSeconds} s polls, {options.IdleSeconds} s) ...");
        var idle = await RunIdleAsync(binary, work, options, fleetApi, fleetKeys[0], receiver);
        Console.WriteLine($"Daemon, one source draining {options.Events:N0} events ...");
        var drain = await RunDrainAsync(binary, work, options, benchApi, receiver);
        Console.WriteLine($"Daemon, {options.Sources} sources at a {FleetPollSeconds / 60}-minute interval ({options.FleetSeconds} s) ...");
        var fleet = await RunFleetAsync(binary, work, options, fleetApi, fleetKeys, receiver);

        return ProcessReport.Render(binary, options, raw, pipeline, idle, drain, fleet);
    }

    private static async Task<Emulator> StartEmulatorAsync(string binary, string work, string name, JsonObject scenario)
    {
        var file = Path.Combine(work, name + "-scenario.json");
        await File.WriteAllTextAsync(file, scenario.ToJsonString());
        var process = ChildProcess.Start(binary, ["emulator", "--urls", "http://127.0.0.1:0", "--scenario", file], Path.Combine(work, name + "-emulator.log"), workingDirectory: work);
        try
        {
            return new Emulator(process, new Uri(await process.WaitForLineAsync("Base URL:", TimeSpan.FromMinutes(3))));
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private static async Task<CopyRun> RunCopyAsync(string role, Uri api, Uri receiver, string work)
    {
        using var child = ChildProcess.StartSelf([role, api.ToString(), BenchKey, receiver.ToString()], Path.Combine(work, role.TrimStart('-') + ".log"));
        await using var sampler = new FootprintSampler(child.Id);
        var fields = (await child.WaitForLineAsync("RESULT ", TimeSpan.FromMinutes(5))).Split(' ');
        var numbers = fields.Select(field => double.Parse(field, CultureInfo.InvariantCulture)).ToArray();
        return new CopyRun((long)numbers[0], TimeSpan.FromMilliseconds(numbers[1]), TimeSpan.FromMilliseconds(numbers[2]), (long)numbers[3], Math.Max(sampler.PeakPssKb, (long)numbers[4]));
    }

    /// <summary>A child role: after listing the day pages, one raw copy or one collector drain, then its own figures.</summary>
    private static async Task<int> CopyAsync(bool raw, Uri api, string key, Uri receiver)
    {
        using var rig = new PipelineRig(api, key, receiver);
        await rig.PrepareAsync();
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var result = raw ? await rig.RawCopyAsync() : await rig.DrainAsync();
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpuBefore;
        var footprint = ProcFootprint.Read(Environment.ProcessId)!;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {result.Events} {result.Elapsed.TotalMilliseconds:0.0} {cpu.TotalMilliseconds:0.0} {footprint.PeakRssKb} {footprint.PssKb}"));
        return 0;
    }

    private static async Task<IdleRun> RunIdleAsync(string binary, string work, ProcessBenchmarkOptions options, Emulator api, string key, Uri receiver)
    {
        var folder = Path.Combine(work, "idle");
        WriteSources(Path.Combine(folder, "sources"), [Source("Idle", api.Url, key, IdlePollSeconds, "1h")]);
        var callsBefore = await api.RequestsAsync();
        using var daemon = StartDaemon(binary, folder, options, receiver, out var admin);
        await using var sampler = new FootprintSampler(daemon.Id);
        var start = await WaitForStartAsync(daemon, api, callsBefore, admin);

        // Past start-up and the runtime's tiering (hot methods are recompiled after 30 calls, i.e. the first minute of 2 s polls).
        await Task.Delay(TimeSpan.FromSeconds(IdleSettleSeconds));
        var before = Footprint(daemon);
        var calls = await api.RequestsAsync();
        var began = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds));
        var after = Footprint(daemon);
        var window = Stopwatch.GetElapsedTime(began);
        return new IdleRun(start, window, after.Cpu - before.Cpu, await api.RequestsAsync() - calls, after, sampler.PeakPssKb);
    }

    private static async Task<DrainRun> RunDrainAsync(string binary, string work, ProcessBenchmarkOptions options, Emulator api, Uri receiver)
    {
        var folder = Path.Combine(work, "drain");
        WriteSources(Path.Combine(folder, "sources"), [Source("Bench", api.Url, BenchKey, IdlePollSeconds, $"{PipelineRig.BacklogDays + 1}d")]);
        var received = await ReceivedAsync(receiver);
        var callsBefore = await api.RequestsAsync();
        using var daemon = StartDaemon(binary, folder, options, receiver, out var admin);
        await using var sampler = new FootprintSampler(daemon.Id);
        var start = await WaitForStartAsync(daemon, api, callsBefore, admin);

        var deadline = Stopwatch.GetTimestamp() + 600 * Stopwatch.Frequency;
        while (await ReceivedAsync(receiver) - received < options.Events)
        {
            if (Stopwatch.GetTimestamp() > deadline || daemon.HasExited)
            {
                throw new InvalidOperationException($"the daemon did not deliver {options.Events} events; its output:\n{daemon.Tail()}");
            }
            await Task.Delay(10);
        }
        var drained = Footprint(daemon);
        var drainTime = Stopwatch.GetElapsedTime(start.FirstCallAt, Stopwatch.GetTimestamp());
        var peakPss = sampler.PeakPssKb;
        await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds));
        var settled = Footprint(daemon);
        return new DrainRun(start, await ReceivedAsync(receiver) - received, drainTime, drained.Cpu - start.CpuAtFirstCall, drained, peakPss, settled);
    }

    private static async Task<FleetRun> RunFleetAsync(string binary, string work, ProcessBenchmarkOptions options, Emulator api, List<string> keys, Uri receiver)
    {
        var folder = Path.Combine(work, "fleet");
        WriteSources(Path.Combine(folder, "sources"), [.. keys.Select((key, index) => Source(string.Create(CultureInfo.InvariantCulture, $"Fleet {index:D4}"), api.Url, key, FleetPollSeconds, "1h"))]);
        var callsBefore = await api.RequestsAsync();
        using var daemon = StartDaemon(binary, folder, options, receiver, out var admin);
        await using var sampler = new FootprintSampler(daemon.Id);
        var start = await WaitForStartAsync(daemon, api, callsBefore, admin);

        // Every source has made its first poll: each one's first call reached the emulator.
        var deadline = Stopwatch.GetTimestamp() + 300 * Stopwatch.Frequency;
        while (await api.KeysCalledAsync() < keys.Count)
        {
            if (Stopwatch.GetTimestamp() > deadline || daemon.HasExited)
            {
                throw new InvalidOperationException($"not every fleet source polled within 5 minutes; the daemon's output:\n{daemon.Tail()}");
            }
            await Task.Delay(100);
        }
        // Each source's first run reads its lookback day by day: settled once 5 s hold fewer calls than 5 % of the sources.
        long previous;
        var current = await api.RequestsAsync();
        do
        {
            if (Stopwatch.GetTimestamp() > deadline || daemon.HasExited)
            {
                throw new InvalidOperationException($"the fleet's first runs did not settle within 5 minutes; the daemon's output:\n{daemon.Tail()}");
            }
            previous = current;
            await Task.Delay(TimeSpan.FromSeconds(5));
            current = await api.RequestsAsync();
        }
        while (current - previous >= keys.Count / 20);
        var allPolled = Stopwatch.GetElapsedTime(daemon.StartedAt);
        var startupCpu = Footprint(daemon).Cpu;
        sampler.Reset();
        var before = Footprint(daemon);
        var calls = await api.RequestsAsync();
        var began = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(options.FleetSeconds));
        var after = Footprint(daemon);
        var window = Stopwatch.GetElapsedTime(began);
        return new FleetRun(keys.Count, start, allPolled, startupCpu, window, after.Cpu - before.Cpu, await api.RequestsAsync() - calls, after, sampler.PeakPssKb);
    }

    private static ChildProcess StartDaemon(string binary, string folder, ProcessBenchmarkOptions options, Uri receiver, out Uri admin)
    {
        var port = FreePort();
        admin = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Collector__Name"] = "process-benchmark",
            ["Collector__Sink__Url"] = receiver.ToString(),
            ["Collector__AllowLoopbackBaseUrl"] = "true",
            ["Collector__KnowBe4__RequestsPerSecond"] = "1000000",
            ["Collector__Admin__Listen"] = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"),
            ["Collector__Admin__Token"] = AdminToken,
        };
        foreach (var (name, value) in options.Environment)
        {
            environment[name] = value;
        }
        List<string> arguments = ["run", "--config", Path.Combine(folder, "sources"), "--data", Path.Combine(folder, "data")];
        var settings = Path.Combine(Path.GetDirectoryName(binary)!, "config", "appsettings.json");
        if (File.Exists(settings))
        {
            arguments.AddRange(["--settings", settings]);
        }
        return ChildProcess.Start(binary, arguments, Path.Combine(folder, "daemon.log"), environment, folder);
    }

    /// <summary>Polls every 5 ms until the emulator saw the daemon's first call and its <c>/readyz</c> answered 200.</summary>
    private static async Task<StartRun> WaitForStartAsync(ChildProcess daemon, Emulator api, long callsBefore, Uri admin)
    {
        TimeSpan? firstCall = null;
        TimeSpan? ready = null;
        var firstCallAt = 0L;
        var cpuAtFirstCall = TimeSpan.Zero;
        var cpuAtReady = TimeSpan.Zero;
        var readyz = new Uri(admin, "readyz");
        while (firstCall is null || ready is null)
        {
            if (Stopwatch.GetElapsedTime(daemon.StartedAt) > TimeSpan.FromSeconds(60) || daemon.HasExited)
            {
                throw new InvalidOperationException($"the daemon did not start (first call {firstCall}, ready {ready}); its output:\n{daemon.Tail()}");
            }
            if (firstCall is null && await api.RequestsAsync() > callsBefore)
            {
                firstCallAt = Stopwatch.GetTimestamp();
                firstCall = Stopwatch.GetElapsedTime(daemon.StartedAt, firstCallAt);
                cpuAtFirstCall = Footprint(daemon).Cpu;
            }
            if (ready is null && await IsReadyAsync(readyz))
            {
                ready = Stopwatch.GetElapsedTime(daemon.StartedAt);
                cpuAtReady = Footprint(daemon).Cpu;
            }
            await Task.Delay(5);
        }
        return new StartRun(firstCall.Value, ready.Value, firstCallAt, cpuAtFirstCall, cpuAtReady);
    }

    private static async Task<bool> IsReadyAsync(Uri readyz)
    {
        try
        {
            using var response = await Http.GetAsync(readyz);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<long> ReceivedAsync(Uri receiver) =>
        long.Parse((await Http.GetStringAsync(new Uri(receiver, "/count"))).Split(' ')[0], CultureInfo.InvariantCulture);

    private static ProcFootprint Footprint(ChildProcess daemon) =>
        ProcFootprint.Read(daemon.Id) ?? throw new InvalidOperationException($"the daemon exited; its output:\n{daemon.Tail()}");

    private static JsonObject Source(string name, Uri api, string key, int pollingSeconds, string lookback) => new()
    {
        ["schemaRef"] = new JsonObject { ["type"] = "KnowBe4" },
        ["sourceType"] = "Universal",
        ["config"] = new JsonObject
        {
            ["name"] = name,
            ["category"] = "bench/knowbe4",
            ["baseURL"] = api.ToString(),
            ["apiKey"] = key,
            ["licensedUsers"] = 100_000,
            ["pollingInterval"] = pollingSeconds,
            ["initialLookback"] = lookback,
        },
    };

    /// <summary>The sources in files of at most 200 (the per-file limit).</summary>
    private static void WriteSources(string folder, IReadOnlyList<JsonObject> sources)
    {
        Directory.CreateDirectory(folder);
        foreach (var (chunk, index) in sources.Chunk(200).Select((chunk, index) => (chunk, index)))
        {
            var file = new JsonObject { ["api.version"] = "v1", ["sources"] = new JsonArray([.. chunk]) };
            File.WriteAllText(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"sources-{index}.json")), file.ToJsonString());
        }
    }

    /// <summary>Copies the binary's folder (a framework-dependent build is more than one file); returns the copy's binary.</summary>
    private static string CopyBinary(string binary, string folder)
    {
        var source = Path.GetDirectoryName(binary)!;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(folder, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        return Path.Combine(folder, Path.GetFileName(binary));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Kb4Collector.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("Kb4Collector.sln not found above the benchmark; give --binary PATH.");
    }

    /// <summary>An emulator process and what its ground-truth endpoint says about the calls it served.</summary>
    private sealed class Emulator(ChildProcess process, Uri url) : IDisposable
    {
        public Uri Url { get; } = url;

        /// <summary>Requests the emulator served on every key (no ground-truth calls).</summary>
        public async Task<long> RequestsAsync() => (await KeysAsync()).Sum(key => key.GetProperty("requests").GetInt64());

        /// <summary>Keys that made at least one request.</summary>
        public async Task<int> KeysCalledAsync() => (await KeysAsync()).Count(key => key.GetProperty("requests").GetInt64() > 0);

        public void Dispose() => process.Dispose();

        private async Task<List<JsonElement>> KeysAsync()
        {
            using var document = JsonDocument.Parse(await Http.GetStreamAsync(new Uri(Url, "/__emulator/calls")));
            return [.. document.RootElement.GetProperty("keys").EnumerateArray().Select(key => key.Clone())];
        }
    }
}

/// <summary>Start-up from outside: process start to the first KnowBe4 call and to <c>/readyz</c> 200.</summary>
public sealed record StartRun(TimeSpan FirstCall, TimeSpan Ready, long FirstCallAt, TimeSpan CpuAtFirstCall, TimeSpan CpuAtReady);

/// <summary>A raw copy or an in-process pipeline drain, as its own process reported it.</summary>
public sealed record CopyRun(long Events, TimeSpan Elapsed, TimeSpan Cpu, long PeakRssKb, long PeakPssKb);

public sealed record IdleRun(StartRun Start, TimeSpan Window, TimeSpan Cpu, long Calls, ProcFootprint Final, long PeakPssKb);

public sealed record DrainRun(StartRun Start, long Events, TimeSpan Elapsed, TimeSpan Cpu, ProcFootprint Drained, long PeakPssKb, ProcFootprint Settled);

public sealed record FleetRun(int Sources, StartRun Start, TimeSpan AllPolled, TimeSpan StartupCpu, TimeSpan Window, TimeSpan Cpu, long Calls, ProcFootprint Final, long PeakPssKb);
