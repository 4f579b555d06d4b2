using Stateless;
using Stateless.Graph;

namespace Kb4Collector.Lifecycle;

/// <summary>
/// The lifecycle of one source: Pending → Started → Initialized → Authenticated → Collecting, Error from any
/// of those, and Stopping on delete or shutdown. Not thread-safe: only the source's own loop calls it.
/// A refused move throws <see cref="InvalidOperationException"/>.
/// </summary>
public sealed class SourceLifecycle
{
    private enum Trigger
    {
        Start,
        Initialize,
        Authenticate,
        Collect,
        Fail,
        Restart,
        UpdateConfig,
        Stop,
    }

    private readonly StateMachine<SourceState, Trigger> _machine;

    public SourceLifecycle(SourceState initialState = SourceState.Pending)
    {
        var state = initialState;
        _machine = new StateMachine<SourceState, Trigger>(() => state, next => state = next);
        Configure();
    }

    /// <summary>Reads and writes the state through the caller's storage (the persisted source record).</summary>
    public SourceLifecycle(Func<SourceState> readState, Action<SourceState> writeState)
    {
        _machine = new StateMachine<SourceState, Trigger>(readState, writeState);
        Configure();
    }

    public SourceState State => _machine.State;

    /// <summary>A runner was created for the pending source.</summary>
    public void Start() => _machine.Fire(Trigger.Start);

    /// <summary>The runner is ready (from Started, or from Error when a retry re-initialised it).</summary>
    public void Initialize() => _machine.Fire(Trigger.Initialize);

    /// <summary>The first authenticated call of this run succeeded (from Initialized, or from Error on recovery).</summary>
    public void Authenticate() => _machine.Fire(Trigger.Authenticate);

    /// <summary>Polling on schedule (from Authenticated, or straight from Error when this run had authenticated before).</summary>
    public void Collect() => _machine.Fire(Trigger.Collect);

    /// <summary>A failure; a further failure while already in Error stays there.</summary>
    public void Fail() => _machine.Fire(Trigger.Fail);

    /// <summary>The operator asked for a restart: back to Pending.</summary>
    public void Restart() => _machine.Fire(Trigger.Restart);

    /// <summary>The source's configuration changed: back to Pending.</summary>
    public void UpdateConfig() => _machine.Fire(Trigger.UpdateConfig);

    /// <summary>Deleted or shutting down; Stopping is final.</summary>
    public void Stop() => _machine.Fire(Trigger.Stop);

    /// <summary>Called after every change of state (not for a repeated failure that stays in Error).</summary>
    public void OnTransitioned(Action<SourceState, SourceState> observer) =>
        _machine.OnTransitioned(transition =>
        {
            if (transition.Source != transition.Destination)
            {
                observer(transition.Source, transition.Destination);
            }
        });

    /// <summary>The configured graph as Mermaid text (committed as <c>SourceLifecycle.mmd</c>).</summary>
    public string ToMermaidGraph() => MermaidGraph.Format(_machine.GetInfo());

    private void Configure()
    {
        _machine.Configure(SourceState.Pending)
            .Permit(Trigger.Start, SourceState.Started)
            .Permit(Trigger.Fail, SourceState.Error)
            .PermitReentry(Trigger.Restart)
            .PermitReentry(Trigger.UpdateConfig)
            .Permit(Trigger.Stop, SourceState.Stopping);

        _machine.Configure(SourceState.Started)
            .Permit(Trigger.Initialize, SourceState.Initialized)
            .Permit(Trigger.Fail, SourceState.Error)
            .Permit(Trigger.Restart, SourceState.Pending)
            .Permit(Trigger.UpdateConfig, SourceState.Pending)
            .Permit(Trigger.Stop, SourceState.Stopping);

        _machine.Configure(SourceState.Initialized)
            .Permit(Trigger.Authenticate, SourceState.Authenticated)
            .Permit(Trigger.Fail, SourceState.Error)
            .Permit(Trigger.Restart, SourceState.Pending)
            .Permit(Trigger.UpdateConfig, SourceState.Pending)
            .Permit(Trigger.Stop, SourceState.Stopping);

        _machine.Configure(SourceState.Authenticated)
            .Permit(Trigger.Collect, SourceState.Collecting)
            .Permit(Trigger.Fail, SourceState.Error)
            .Permit(Trigger.Restart, SourceState.Pending)
            .Permit(Trigger.UpdateConfig, SourceState.Pending)
            .Permit(Trigger.Stop, SourceState.Stopping);

        _machine.Configure(SourceState.Collecting)
            .Permit(Trigger.Fail, SourceState.Error)
            .Permit(Trigger.Restart, SourceState.Pending)
            .Permit(Trigger.UpdateConfig, SourceState.Pending)
            .Permit(Trigger.Stop, SourceState.Stopping);

        // Recovery re-enters the path where this run left it: not initialised, initialised but never
        // authenticated, or authenticated before the failure.
        _machine.Configure(SourceState.Error)
            .Permit(Trigger.Initialize, SourceState.Initialized)
            .Permit(Trigger.Authenticate, SourceState.Authenticated)
            .Permit(Trigger.Collect, SourceState.Collecting)
            .PermitReentry(Trigger.Fail)
            .Permit(Trigger.Restart, SourceState.Pending)
            .Permit(Trigger.UpdateConfig, SourceState.Pending)
            .Permit(Trigger.Stop, SourceState.Stopping);

        _machine.Configure(SourceState.Stopping)
            .Ignore(Trigger.Stop);
    }
}
