using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>What an operator reads at Information level: one line per poll that did something, a heartbeat while idle, nothing per event.</summary>
public sealed class PollLoggingTests
{
    [Fact]
    public async Task EachPollThatDidSomethingLogsOneSummaryLineAndAnIdleSourceAHeartbeat()
    {
        var collector = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Information));
        var scenario = new EmulatorScenario
        {
            Accounts = [new EmulatorAccountSpec { Name = "Acme", Seats = 10_000, ApiKeys = ["log-key"] }],
            Backlog = new EmulatorBacklog { Events = 350, Days = 2 },
            Limits = new EmulatorLimits { RequestsPerSecond = 0 },
        };
        await using var bed = await EndToEndBed.StartAsync(scenario, new EndToEndSettings { LoggerFactory = loggerFactory, RescanInterval = TimeSpan.FromHours(6) });

        await bed.DriveForAsync(TimeSpan.FromHours(2));

        var lines = collector.GetSnapshot().Where(record => record.Level >= LogLevel.Information).Select(record => record.Message).ToList();
        var summaries = lines.Where(line => line.Contains("poll delivered", StringComparison.Ordinal)).ToList();
        Assert.True(summaries.Count > 0 && summaries[0].Contains("delivered 350", StringComparison.Ordinal), string.Join(Environment.NewLine, lines));
        Assert.Contains(summaries, line => line.Contains("poll delivered 350 events", StringComparison.Ordinal) && line.Contains("next poll in 10m", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("idle, ", StringComparison.Ordinal) && line.Contains("polls since the last summary", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("collection plan:", StringComparison.Ordinal));
        // Twelve polls in two hours, and a handful of other lines: never a line per event.
        Assert.True(lines.Count < 60, $"{lines.Count} Information lines for 350 events:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
    }
}
