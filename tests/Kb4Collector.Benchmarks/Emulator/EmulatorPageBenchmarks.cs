using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using Kb4Collector.Emulator;

namespace Kb4Collector.Benchmarks.Emulator;

/// <summary>
/// Pages of 100 events served over real HTTP (loopback Kestrel) from a 100,000-event emulator with
/// limits off. One operation = one page fetched and read to the last byte; pages/s = 1 s / Mean.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class EmulatorPageBenchmarks
{
    private const int PagesPerInvoke = 200;
    private const int BacklogEvents = 100_000;
    private const int PageSize = 100;

    private KnowBe4Emulator _emulator = null!;
    private HttpClient _client = null!;
    private string[] _defaultOrderPages = [];
    private string[] _dayPages = [];
    private int _next;

    [GlobalSetup]
    public async Task StartEmulatorAsync()
    {
        _emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions
        {
            Scenario = new EmulatorScenario
            {
                Accounts = [new EmulatorAccountSpec { Name = "Bench", Seats = 1000 }],
                Backlog = new EmulatorBacklog { Events = BacklogEvents, Days = 30 },
                Limits = EmulatorLimits.Off,
                Seed = 1,
            },
        });
        _client = new HttpClient { BaseAddress = _emulator.BaseUrl };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _emulator.ApiKey);
        _defaultOrderPages = [.. Enumerable.Range(1, BacklogEvents / PageSize).Select(page => $"events?per_page={PageSize}&page={page}")];
        var busiestDay = _emulator.GroundTruth.LiveEvents()
            .GroupBy(item => DateOnly.FromDateTime(item.OccurredDate.UtcDateTime))
            .MaxBy(group => group.Count())!;
        var dayPages = (busiestDay.Count() + PageSize - 1) / PageSize;
        _dayPages = [.. Enumerable.Range(1, dayPages).Select(page =>
            $"events?occurred_date={busiestDay.Key:yyyy-MM-dd}&order_by=occurred_date&order_direction=asc&per_page={PageSize}&page={page}")];
    }

    [GlobalCleanup]
    public async Task StopEmulatorAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = PagesPerInvoke, Description = "GET /events page (default order), 1 client")]
    public async Task<long> DefaultOrderPages()
    {
        long bytes = 0;
        for (var i = 0; i < PagesPerInvoke; i++)
        {
            bytes += (await _client.GetByteArrayAsync(_defaultOrderPages[_next++ % _defaultOrderPages.Length])).Length;
        }
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = PagesPerInvoke, Description = "GET /events?occurred_date=D page, 1 client")]
    public async Task<long> SingleDayPages()
    {
        long bytes = 0;
        for (var i = 0; i < PagesPerInvoke; i++)
        {
            bytes += (await _client.GetByteArrayAsync(_dayPages[_next++ % _dayPages.Length])).Length;
        }
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = PagesPerInvoke, Description = "GET /events page (default order), 2 concurrent clients")]
    public async Task<long> DefaultOrderPagesTwoClients()
    {
        var halves = await Task.WhenAll(FetchAsync(0), FetchAsync(PagesPerInvoke / 2));
        return halves[0] + halves[1];

        async Task<long> FetchAsync(int offset)
        {
            long bytes = 0;
            for (var i = 0; i < PagesPerInvoke / 2; i++)
            {
                bytes += (await _client.GetByteArrayAsync(_defaultOrderPages[(offset + i * 7) % _defaultOrderPages.Length])).Length;
            }
            return bytes;
        }
    }
}
