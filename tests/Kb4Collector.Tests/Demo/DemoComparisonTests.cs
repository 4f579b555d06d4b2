using Kb4Collector.Demo;
using Kb4Collector.Emulator;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Demo;

public sealed class DemoComparisonTests : IDisposable
{
    private static readonly DateTimeOffset WindowStart = new(2025, 3, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset PollStart = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private readonly TempSourceFolder _folder = new();

    [Fact]
    public void Every_event_that_existed_when_the_last_poll_began_is_expected_and_later_ones_are_extra()
    {
        var truth = new[]
        {
            Event("old", occurred: WindowStart.AddDays(1), created: PollStart.AddHours(-3)),
            Event("backdated", occurred: WindowStart.AddMinutes(1), created: PollStart.AddSeconds(-1)),
            Event("at-poll-start", occurred: PollStart, created: PollStart),
            Event("during-poll", occurred: PollStart.AddSeconds(1), created: PollStart.AddSeconds(1)),
            Event("after-poll", occurred: PollStart.AddSeconds(5), created: PollStart.AddSeconds(5)),
            Event("before-window", occurred: WindowStart.AddMinutes(-1), created: PollStart.AddHours(-1)),
        };
        var received = new DemoEventsFile(4, new HashSet<string> { "old", "backdated", "at-poll-start", "during-poll" }, 0, 0);

        var comparison = DemoComparison.Compare(received, truth, WindowStart, PollStart);

        Assert.Equal(new DemoComparison(Expected: 3, Missing: 0, Duplicates: 0, Invalid: 0, Unknown: 0, AlsoDelivered: 1, PollStart), comparison);
        Assert.True(comparison.Complete);
    }

    [Fact]
    public void A_missing_event_an_unknown_id_or_a_duplicate_fails_the_check()
    {
        var truth = new[] { Event("a", WindowStart.AddDays(1), PollStart.AddHours(-1)), Event("b", WindowStart.AddDays(2), PollStart.AddHours(-1)) };

        var missing = DemoComparison.Compare(new DemoEventsFile(1, new HashSet<string> { "a" }, 0, 0), truth, WindowStart, PollStart);
        var unknown = DemoComparison.Compare(new DemoEventsFile(3, new HashSet<string> { "a", "b", "z" }, 0, 0), truth, WindowStart, PollStart);
        var duplicated = DemoComparison.Compare(new DemoEventsFile(3, new HashSet<string> { "a", "b" }, 1, 0), truth, WindowStart, PollStart);
        var noPoll = DemoComparison.Compare(new DemoEventsFile(2, new HashSet<string> { "a", "b" }, 0, 0), truth, WindowStart, lastPollStartedAt: null);

        Assert.Equal((1, false), (missing.Missing, missing.Complete));
        Assert.Equal((1, false), (unknown.Unknown, unknown.Complete));
        Assert.Equal((1, false), (duplicated.Duplicates, duplicated.Complete));
        Assert.Equal((0, false), (noPoll.Expected, noPoll.Complete));
    }

    [Fact]
    public async Task The_events_file_counts_repeated_ids_and_lines_that_are_not_events()
    {
        var path = _folder.Write("events.ndjson", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"a\"}\nnot json\n[1]\n{\"id\":7}\n");

        var file = await DemoEventsFile.ReadAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(6, file.Lines);
        Assert.Equal(["a", "b"], file.Ids.Order(StringComparer.Ordinal));
        Assert.Equal(1, file.Duplicates);
        Assert.Equal(3, file.Invalid);
    }

    private static GroundTruthEvent Event(string id, DateTimeOffset occurred, DateTimeOffset created) =>
        new(id, "Acme", 1, occurred, created, DeletedAt: null, ReadOnlyMemory<byte>.Empty);

    public void Dispose() => _folder.Dispose();
}
