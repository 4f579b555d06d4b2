using System.Globalization;
using System.Text;

namespace Kb4Collector.Benchmarks.EndToEnd;

/// <summary>The process benchmark's table: each figure beside its budget (DESIGN §12, issue 14) and whether it is met.</summary>
public static class ProcessReport
{
    private const double IdlePollSeconds = 2;
    private const double FleetPollSeconds = 300;

    public static string Render(string binary, ProcessBenchmarkOptions options, CopyRun raw, CopyRun pipeline, IdleRun idle, DrainRun drain, FleetRun fleet)
    {
        var rows = new List<(string Measure, string Budget, string Measured, bool? Met)>();
        rows.Add(("Process start → first KnowBe4 call", "≤ 1 s", $"{Seconds(idle.Start.FirstCall)} (idle source); {Seconds(drain.Start.FirstCall)} (backlog source)", Max(idle.Start.FirstCall, drain.Start.FirstCall) <= TimeSpan.FromSeconds(1)));
        rows.Add(("Process start → `/readyz` 200", "≤ 1.5 s", $"{Seconds(idle.Start.Ready)}; {Seconds(drain.Start.Ready)} ({idle.Start.CpuAtReady.TotalSeconds:0.00} s and {drain.Start.CpuAtReady.TotalSeconds:0.00} s of CPU)", Max(idle.Start.Ready, drain.Start.Ready) <= TimeSpan.FromSeconds(1.5)));

        var daemonRate = drain.Events / drain.Elapsed.TotalSeconds;
        rows.Add(($"Backlog drain, events/s ({drain.Events:N0} events, first call → last event at the receiver)", "≥ 50,000",
            $"daemon {daemonRate:N0}; in-process pipeline {pipeline.Events / pipeline.Elapsed.TotalSeconds:N0}; raw copy {raw.Events / raw.Elapsed.TotalSeconds:N0}", daemonRate >= 50_000));

        var daemonCpu = PerThousand(drain.Cpu, drain.Events);
        var pipelineCpu = PerThousand(pipeline.Cpu, pipeline.Events);
        var rawCpu = PerThousand(raw.Cpu, raw.Events);
        rows.Add(("CPU s per 1,000 events", "daemon ≤ 2× in-process pipeline", $"daemon {daemonCpu:0.000} s = {daemonCpu / pipelineCpu:0.00}× the pipeline's {pipelineCpu:0.000} s", daemonCpu <= 2 * pipelineCpu));
        rows.Add(("", "pipeline ≤ 1.5× raw copy", $"pipeline {pipelineCpu / rawCpu:0.00}× the raw copy's {rawCpu:0.000} s", pipelineCpu <= 1.5 * rawCpu));

        rows.Add(($"Peak memory draining {drain.Events:N0} events", "≤ 100 MB",
            $"daemon RSS {Mb(drain.Drained.PeakRssKb)} (VmHWM), PSS {Mb(drain.PeakPssKb)}; pipeline process RSS {Mb(pipeline.PeakRssKb)}; raw copy process RSS {Mb(raw.PeakRssKb)}", drain.Drained.PeakRssKb <= 100 * 1024));
        rows.Add(($"Final memory, {options.IdleSeconds} s after the drain", "(flat)", $"RSS {Mb(drain.Settled.RssKb)}, PSS {Mb(drain.Settled.PssKb)}", null));

        rows.Add(($"Idle memory, one source ({IdlePollSeconds:0} s polls, after {ProcessBenchmark.IdleSettleSeconds + options.IdleSeconds} s)", "≤ 60 MB",
            $"RSS {Mb(idle.Final.RssKb)} (peak {Mb(idle.Final.PeakRssKb)}), PSS {Mb(idle.Final.PssKb)}", idle.Final.RssKb <= 60 * 1024));
        var polls = idle.Window.TotalSeconds / IdlePollSeconds;
        var cpuPerPoll = idle.Cpu.TotalMilliseconds / polls;
        rows.Add(($"Idle CPU per poll (seconds {ProcessBenchmark.IdleSettleSeconds}–{ProcessBenchmark.IdleSettleSeconds + options.IdleSeconds})", "≤ 5 ms",
            $"{cpuPerPoll:0.0} ms ({idle.Cpu.TotalMilliseconds:0} ms over {polls:0} polls, {idle.Calls} KnowBe4 calls; {Percent(idle.Cpu, idle.Window)} of a core)", cpuPerPoll <= 5));

        var fleetPercent = fleet.Cpu / fleet.Window * 100;
        // The window holds few of the fleet's polls (each source polls every 5 minutes): add the polls a 5-minute cycle
        // holds, at the idle source's cost per poll, to the window's rate without its polls.
        var perCallMs = idle.Calls > 0 ? idle.Cpu.TotalMilliseconds / idle.Calls : cpuPerPoll;
        var baselineMsPerSecond = Math.Max(0, fleet.Cpu.TotalMilliseconds - fleet.Calls * perCallMs) / fleet.Window.TotalSeconds;
        var projected = (baselineMsPerSecond + fleet.Sources / FleetPollSeconds * cpuPerPoll) / 10;
        rows.Add(($"{fleet.Sources:N0} sources, memory", "≤ 400 MB", $"RSS {Mb(fleet.Final.RssKb)} (peak {Mb(fleet.Final.PeakRssKb)}), PSS {Mb(fleet.Final.PssKb)}", fleet.Final.PeakRssKb <= 400 * 1024));
        rows.Add(($"{fleet.Sources:N0} sources, CPU at a 5-minute interval", "≤ 5% of a core",
            $"{projected:0.0}% projected ({fleetPercent:0.0}% measured over {fleet.Window.TotalSeconds:0} s holding {fleet.Calls} calls, + {fleet.Sources / FleetPollSeconds:0.0} polls/s × {cpuPerPoll:0.0} ms)", projected <= 5));
        rows.Add(($"{fleet.Sources:N0} sources, start-up", "",
            $"first call {Seconds(fleet.Start.FirstCall)}, `/readyz` {Seconds(fleet.Start.Ready)}, every source's first run done after {Seconds(fleet.AllPolled)} ({fleet.StartupCpu.TotalSeconds:0.0} s CPU)", null));

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"kb4collector process benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"binary: {binary}{(options.Environment.Count == 0 ? "" : "; daemon environment: " + string.Join(' ', options.Environment.Select(pair => pair.Key + "=" + pair.Value)))}");
        text.AppendLine();
        text.AppendLine("| Measure | Budget | Measured | Met |");
        text.AppendLine("|---|---|---|---|");
        foreach (var (measure, budget, measured, met) in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {measure} | {budget} | {measured} | {(met is null ? "" : met.Value ? "yes" : "**no**")} |");
        }
        return text.ToString();
    }

    private static TimeSpan Max(TimeSpan first, TimeSpan second) => first > second ? first : second;

    private static double PerThousand(TimeSpan cpu, long events) => cpu.TotalSeconds * 1000 / events;

    private static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.00} s");

    private static string Mb(long kilobytes) => string.Create(CultureInfo.InvariantCulture, $"{kilobytes / 1024.0:0.0} MB");

    private static string Percent(TimeSpan cpu, TimeSpan wall) => string.Create(CultureInfo.InvariantCulture, $"{cpu / wall * 100:0.0}%");

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
