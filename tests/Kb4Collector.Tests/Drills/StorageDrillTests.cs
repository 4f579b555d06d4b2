using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kb4Collector.Emulator;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Daemon;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// Storage drill, with the built daemon in its own process: a truncated or corrupted LiteDB file, a read-only data
/// directory and a full disk (a small tmpfs). Each time: a clear message, the documented recovery (README, Storage
/// and recovery) works, and the daemon never starts over silently: nothing is re-sent wholesale, nothing skipped.
/// The read-only and full-disk cases mount a tmpfs and are skipped, saying why, where mounting is not allowed.
/// </summary>
[Trait("Category", "Drill")]
public sealed class StorageDrillTests : IAsyncLifetime
{
    private const string Key = "storage-drill-key-3b9a";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kb4-drill-storage-" + Guid.NewGuid().ToString("N"));
    private KnowBe4Emulator? _emulator;
    private RecordingSinkServer? _sink;
    private string? _mount;

    private string Sources => Path.Combine(_root, "sources");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    private async Task StartWorldAsync(int backlog = 2_000)
    {
        Directory.CreateDirectory(Sources);
        _emulator = await DrillSources.StartEmulatorAsync(Key, backlog, days: 2, arrivalsPerMinute: 120, seed: 1403);
        _sink = await RecordingSinkServer.StartAsync();
        File.WriteAllText(Path.Combine(Sources, "acme.json"), DrillSources.Json("Acme", _emulator!.BaseUrl, Key));
    }

    public async ValueTask DisposeAsync()
    {
        if (_mount is not null)
        {
            Shell("umount", "-l", _mount);
        }
        if (_sink is not null)
        {
            await _sink!.DisposeAsync();
        }
        if (_emulator is not null)
        {
            await _emulator!.DisposeAsync();
        }
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory(Explicit = true)]
    [InlineData("truncated")]
    [InlineData("corrupted")]
    public async Task ADamagedDatabaseStopsCollectionSaysWhyAndRepairResumesWithoutStartingOver(string damage)
    {
        await StartWorldAsync();
        var data = Path.Combine(_root, "data");
        // A clean stop writes LiteDB's log into the file: the damage then hits the data itself, not pages the log still holds.
        await CollectEverythingThenKillAsync(data, graceful: true);
        var database = Path.Combine(data, CollectorDatabase.FileName);
        Damage(database, damage);
        var damaged = File.ReadAllBytes(database);
        var deliveredBefore = _sink!.Ids.Count;

        using (var daemon = Start(data, out var admin))
        {
            var readiness = await UntilReadyzAsync(admin, HttpStatusCode.ServiceUnavailable, "storage failed");
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            Assert.False(daemon.HasExited, "the daemon exited instead of staying up to report the damage");
            Assert.Contains("No source collects: the database", daemon.Output, StringComparison.Ordinal);
            Assert.Contains("kb4collector storage check", readiness, StringComparison.Ordinal);
            Assert.Equal(deliveredBefore, _sink!.Ids.Count);
            // Not started over: the damaged file is still there (LiteDB may trim a torn last page when it opens it).
            Assert.InRange(new FileInfo(database).Length, damaged.Length - 8_192, damaged.Length);
            DrillReport.Write($"{damage}: /readyz {readiness.Trim()}");
        }

        var check = await CliRunner.RunAsync("storage", "check", "--data", data);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("storage repair", check.Output + check.Error, StringComparison.Ordinal);
        var repair = await CliRunner.RunAsync("storage", "repair", "--data", data);
        DrillReport.Write($"{damage}: check said: {(check.Output + check.Error).Trim()} | repair said: {(repair.Output + repair.Error).Trim()}");
        Assert.True(repair.ExitCode == 0, repair.Output + repair.Error);

        await CollectEverythingThenKillAsync(data);
        // Nothing is lost (every event reached the sink above). What the repair could not read back is sent again: it
        // says so, and it is the operator's explicit choice, never a silent start.
        var resent = _sink!.Ids.Count - _sink!.Ids.Distinct().Count();
        DrillReport.Write($"{damage}: after the repair {resent} events were sent again of {_sink!.Ids.Distinct().Count()}");
    }

    [Fact(Explicit = true)]
    public async Task AReadOnlyDataDirectoryIsOneClearLineAndCollectionResumesOnceWritable()
    {
        await StartWorldAsync();
        var data = MountTmpfs("16m");
        await CollectEverythingThenKillAsync(data);
        var delivered = _sink!.Ids.Count;
        Shell("mount", "-o", "remount,ro", _mount!);

        using (var daemon = Start(data, out _))
        {
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the daemon kept running on a read-only data directory");
            var said = daemon.Output.Trim();
            DrillReport.Write($"read-only: exit {daemon.ExitCode}: {said}");
            Assert.NotEqual(0, daemon.ExitCode);
            Assert.Contains(data, said, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);
        }
        Assert.Equal(delivered, _sink!.Ids.Count);

        Shell("mount", "-o", "remount,rw", _mount!);
        await CollectEverythingThenKillAsync(data);
        AssertAtMostOneBatchPerKillRepeated(kills: 2);
    }

    [Fact(Explicit = true)]
    public async Task AFullDiskSaysWhyAndCollectionResumesByItselfOnceThereIsRoom()
    {
        var data = MountTmpfs("24m");
        // 8,000 events: some 20 s of draining at KnowBe4's pace, so the disk fills up in the middle of the backlog.
        await StartWorldAsync(backlog: 8_000);
        var filler = Path.Combine(_mount!, "filler");
        using (var daemon = Start(data, out _))
        {
            await Waits.UntilAsync(() => _sink!.Ids.Count > 0, "the first batch", TimeSpan.FromSeconds(30));
            Fill(filler);
            try
            {
                await Waits.UntilAsync(() => daemon.Output.Contains("Local storage failed", StringComparison.Ordinal) || daemon.HasExited, "the daemon to say the disk refused a write", TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException timeout)
            {
                Assert.Fail($"{timeout.Message}; {_sink!.Ids.Count} delivered; the daemon said:\n{daemon.Output[^Math.Min(4_000, daemon.Output.Length)..]}");
            }
            DrillReport.Write($"full disk: a write refused after {_sink!.Ids.Count} events delivered");
            Assert.False(daemon.HasExited, $"the daemon died on a full disk:\n{daemon.Output[^Math.Min(3_000, daemon.Output.Length)..]}");

            // Make room: the same process opens the file again and carries on where it was.
            File.Delete(filler);
            var truth = _emulator!.GroundTruth.LiveEvents().Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            try
            {
                await Waits.UntilAsync(() => truth.IsSubsetOf(_sink!.Ids) || daemon.HasExited, $"every one of {truth.Count} events to reach the sink once there is room", TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"collection did not resume once there was room:\n{daemon.Output[^Math.Min(4_000, daemon.Output.Length)..]}");
            }
            Assert.False(daemon.HasExited, $"the daemon exited:\n{daemon.Output[^Math.Min(3_000, daemon.Output.Length)..]}");
            DrillReport.Write($"full disk: resumed by itself, {_sink!.Ids.Distinct().Count()} of {truth.Count} delivered");
            await daemon.StopAsync();
        }

        var check = await CliRunner.RunAsync("storage", "check", "--data", data);
        DrillReport.Write($"full disk: check afterwards: exit {check.ExitCode}: {(check.Output + check.Error).Trim()}");
        Assert.Equal(0, check.ExitCode);
        // Known gap (README, G6): when the disk refuses a write, LiteDB may lose one or two commits its writer had
        // acknowledged, and those batches are sent again.
        AssertAtMostOneBatchPerKillRepeated(kills: 2);
    }

    private void AssertAtMostOneBatchPerKillRepeated(int kills)
    {
        var repeated = _sink!.Ids.Count - _sink!.Ids.Distinct().Count();
        DrillReport.Write($"{repeated} events repeated over {kills} kills (largest batch {_sink!.LargestBatch})");
        Assert.True(repeated <= kills * _sink!.LargestBatch, $"{repeated} events repeated over {kills} kills");
    }

    /// <summary>Runs the daemon until everything the emulator holds has reached the sink, then kills it (-9), or stops it (SIGTERM).</summary>
    private async Task CollectEverythingThenKillAsync(string data, bool graceful = false)
    {
        var truth = _emulator!.GroundTruth.LiveEvents().Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        using var daemon = Start(data, out _);
        try
        {
            await Waits.UntilAsync(() => truth.IsSubsetOf(_sink!.Ids) || daemon.HasExited, $"every one of {truth.Count} events to reach the sink", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the daemon did not deliver everything:\n{daemon.Output}");
        }
        Assert.False(daemon.HasExited, $"the daemon exited:\n{daemon.Output}");
        if (graceful)
        {
            await daemon.StopAsync();
        }
    }

    private DaemonProcess Start(string data, out Uri admin)
    {
        var port = FreePort();
        admin = new Uri($"http://127.0.0.1:{port}/");
        var settings = DrillSources.Settings(_sink!.Url);
        settings["Collector:Admin:Listen"] = $"127.0.0.1:{port}";
        return DaemonProcess.Start(_root, Sources, data, settings);
    }

    private static async Task<string> UntilReadyzAsync(Uri admin, HttpStatusCode status, string containing, TimeSpan? timeout = null)
    {
        using var client = new HttpClient { BaseAddress = admin, Timeout = TimeSpan.FromSeconds(5) };
        var last = "";
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(new Uri("readyz", UriKind.Relative), TestContext.Current.CancellationToken);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}";
                if (response.StatusCode == status && last.Contains(containing, StringComparison.Ordinal))
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"/readyz never answered {(int)status} '{containing}'; last: {last}");
    }

    private static void Damage(string database, string damage)
    {
        using var file = new FileStream(database, FileMode.Open, FileAccess.ReadWrite);
        if (damage == "truncated")
        {
            file.SetLength(file.Length / 2);
            return;
        }
        // Random bytes over the pages after the header: index and data pages.
        var noise = new byte[Math.Min(16 * 1024, file.Length / 2)];
        new Random(1403).NextBytes(noise);
        file.Position = Math.Min(8 * 1024, file.Length - noise.Length);
        file.Write(noise);
    }

    private string MountTmpfs(string size)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && Environment.UserName == "root", "mounting a tmpfs needs root on Linux");
        var mount = Path.Combine(_root, "mnt");
        Directory.CreateDirectory(mount);
        var (code, output) = Shell("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", mount);
        Assert.SkipWhen(code != 0, $"this machine does not allow mounting a tmpfs ({output.Trim()})");
        _mount = mount;
        return Path.Combine(mount, "data");
    }

    /// <summary>Fills the file system to the last byte.</summary>
    private static void Fill(string filler)
    {
        var block = new byte[64 * 1024];
        foreach (var size in new[] { block.Length, 512 })
        {
            try
            {
                using var file = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1);
                while (true)
                {
                    file.Write(block, 0, size);
                }
            }
            catch (IOException)
            {
                // No space left on device.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (int ExitCode, string Output) Shell(string command, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
