using BenchmarkDotNet.Attributes;
using Kb4Collector.Emulator;

namespace Kb4Collector.Benchmarks.Pipeline;

/// <summary>
/// DESIGN §12's pipeline budget: the collector's first run over a 100,000-event backlog (emulator limits off, pacing
/// out of the way) into a local endpoint, against a raw copy of the same pages (GET, then POST unparsed). One operation
/// is one event: events/s = 1 s / Mean. Budget: at least 50,000 events/s, and within 2× of the raw copy.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    public const int BacklogEvents = 100_000;

    private KnowBe4Emulator _emulator = null!;
    private DiscardingSink _sink = null!;
    private PipelineRig _rig = null!;

    [GlobalSetup]
    public async Task StartAsync()
    {
        _emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = PipelineRig.Scenario(BacklogEvents) });
        _sink = await DiscardingSink.StartAsync();
        _rig = new PipelineRig(_emulator.BaseUrl, _emulator.ApiKey, _sink.Url);
        await _rig.PrepareAsync();
        if (_rig.BacklogEvents != BacklogEvents)
        {
            throw new InvalidOperationException($"The day pages hold {_rig.BacklogEvents} events, not {BacklogEvents}.");
        }
    }

    [GlobalCleanup]
    public async Task StopAsync()
    {
        _rig.Dispose();
        await _sink.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = BacklogEvents, Description = "Collector first run: read, deliver (gzip NDJSON), checkpoint; per event")]
    public async Task<long> CollectorDrain()
    {
        var result = await _rig.DrainAsync();
        return result.Events == BacklogEvents ? result.Events : throw new InvalidOperationException($"{result.Events} events delivered");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BacklogEvents, Description = "Raw copy: GET the same pages, POST them unparsed; per event")]
    public async Task<long> RawCopy() => (await _rig.RawCopyAsync()).Events;
}
