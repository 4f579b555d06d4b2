using Kb4Collector.Lifecycle;

namespace Kb4Collector.Tests.Lifecycle;

public sealed class SourceLifecycleTests
{
    private static readonly Dictionary<string, Action<SourceLifecycle>> Actions = new()
    {
        ["Start"] = l => l.Start(),
        ["Initialize"] = l => l.Initialize(),
        ["Authenticate"] = l => l.Authenticate(),
        ["Collect"] = l => l.Collect(),
        ["Fail"] = l => l.Fail(),
        ["Restart"] = l => l.Restart(),
        ["UpdateConfig"] = l => l.UpdateConfig(),
        ["Stop"] = l => l.Stop(),
    };

    // Every state × every trigger: the resulting state, or null when the move is refused.
    private static readonly (SourceState From, string Action, SourceState? To)[] Table =
    [
        (SourceState.Pending, "Start", SourceState.Started),
        (SourceState.Pending, "Initialize", null),
        (SourceState.Pending, "Authenticate", null),
        (SourceState.Pending, "Collect", null),
        (SourceState.Pending, "Fail", SourceState.Error),
        (SourceState.Pending, "Restart", SourceState.Pending),
        (SourceState.Pending, "UpdateConfig", SourceState.Pending),
        (SourceState.Pending, "Stop", SourceState.Stopping),

        (SourceState.Started, "Start", null),
        (SourceState.Started, "Initialize", SourceState.Initialized),
        (SourceState.Started, "Authenticate", null),
        (SourceState.Started, "Collect", null),
        (SourceState.Started, "Fail", SourceState.Error),
        (SourceState.Started, "Restart", SourceState.Pending),
        (SourceState.Started, "UpdateConfig", SourceState.Pending),
        (SourceState.Started, "Stop", SourceState.Stopping),

        (SourceState.Initialized, "Start", null),
        (SourceState.Initialized, "Initialize", null),
        (SourceState.Initialized, "Authenticate", SourceState.Authenticated),
        (SourceState.Initialized, "Collect", null),
        (SourceState.Initialized, "Fail", SourceState.Error),
        (SourceState.Initialized, "Restart", SourceState.Pending),
        (SourceState.Initialized, "UpdateConfig", SourceState.Pending),
        (SourceState.Initialized, "Stop", SourceState.Stopping),

        (SourceState.Authenticated, "Start", null),
        (SourceState.Authenticated, "Initialize", null),
        (SourceState.Authenticated, "Authenticate", null),
        (SourceState.Authenticated, "Collect", SourceState.Collecting),
        (SourceState.Authenticated, "Fail", SourceState.Error),
        (SourceState.Authenticated, "Restart", SourceState.Pending),
        (SourceState.Authenticated, "UpdateConfig", SourceState.Pending),
        (SourceState.Authenticated, "Stop", SourceState.Stopping),

        (SourceState.Collecting, "Start", null),
        (SourceState.Collecting, "Initialize", null),
        (SourceState.Collecting, "Authenticate", null),
        (SourceState.Collecting, "Collect", null),
        (SourceState.Collecting, "Fail", SourceState.Error),
        (SourceState.Collecting, "Restart", SourceState.Pending),
        (SourceState.Collecting, "UpdateConfig", SourceState.Pending),
        (SourceState.Collecting, "Stop", SourceState.Stopping),

        (SourceState.Error, "Start", null),
        (SourceState.Error, "Initialize", SourceState.Initialized),
        (SourceState.Error, "Authenticate", SourceState.Authenticated),
        (SourceState.Error, "Collect", SourceState.Collecting),
        (SourceState.Error, "Fail", SourceState.Error),
        (SourceState.Error, "Restart", SourceState.Pending),
        (SourceState.Error, "UpdateConfig", SourceState.Pending),
        (SourceState.Error, "Stop", SourceState.Stopping),

        (SourceState.Stopping, "Start", null),
        (SourceState.Stopping, "Initialize", null),
        (SourceState.Stopping, "Authenticate", null),
        (SourceState.Stopping, "Collect", null),
        (SourceState.Stopping, "Fail", null),
        (SourceState.Stopping, "Restart", null),
        (SourceState.Stopping, "UpdateConfig", null),
        (SourceState.Stopping, "Stop", SourceState.Stopping),
    ];

    public static TheoryData<SourceState, string, SourceState?> Transitions()
    {
        var data = new TheoryData<SourceState, string, SourceState?>();
        foreach (var (from, action, to) in Table)
        {
            data.Add(from, action, to);
        }

        return data;
    }

    [Fact]
    public void TheTableCoversEveryStateAndEveryTrigger()
    {
        var covered = Table.Select(row => (row.From, row.Action)).ToHashSet();

        Assert.Equal(Table.Length, covered.Count);
        Assert.Equal(Enum.GetValues<SourceState>().Length * Actions.Count, covered.Count);
    }

    [Theory]
    [MemberData(nameof(Transitions))]
    public void EachTriggerInEachStateIsPermittedOrRefusedAsSpecified(SourceState from, string action, SourceState? expected)
    {
        var lifecycle = new SourceLifecycle(from);

        if (expected is { } to)
        {
            Actions[action](lifecycle);
            Assert.Equal(to, lifecycle.State);
        }
        else
        {
            Assert.Throws<InvalidOperationException>(() => Actions[action](lifecycle));
            Assert.Equal(from, lifecycle.State);
        }
    }

    [Fact]
    public void StateIsReadAndWrittenThroughTheCallersStorage()
    {
        var stored = SourceState.Error;
        var writes = new List<SourceState>();
        var lifecycle = new SourceLifecycle(() => stored, state =>
        {
            stored = state;
            writes.Add(state);
        });

        lifecycle.Restart();
        lifecycle.Start();

        Assert.Equal(SourceState.Started, lifecycle.State);
        Assert.Equal([SourceState.Pending, SourceState.Started], writes);
    }

    [Fact]
    public void ObserversSeeStateChangesButNotARepeatedFailure()
    {
        var lifecycle = new SourceLifecycle();
        var seen = new List<(SourceState, SourceState)>();
        lifecycle.OnTransitioned((from, to) => seen.Add((from, to)));

        lifecycle.Start();
        lifecycle.Fail();
        lifecycle.Fail();
        lifecycle.Initialize();

        Assert.Equal(
            [(SourceState.Pending, SourceState.Started), (SourceState.Started, SourceState.Error), (SourceState.Error, SourceState.Initialized)],
            seen);
    }
}
