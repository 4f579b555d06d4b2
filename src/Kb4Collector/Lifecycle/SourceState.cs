namespace Kb4Collector.Lifecycle;

/// <summary>Where a source is in its lifecycle, with Sumo's C2C state names (persisted and shown by name).</summary>
public enum SourceState
{
    /// <summary>Config accepted and stored; also after a restart and after a config update.</summary>
    Pending,

    /// <summary>A runner exists for the source.</summary>
    Started,

    /// <summary>The runner is ready: client built, checkpoint loaded, sink configured.</summary>
    Initialized,

    /// <summary>The first authenticated KnowBe4 call of this run succeeded.</summary>
    Authenticated,

    /// <summary>Polling on schedule.</summary>
    Collecting,

    /// <summary>A failure; the error class and the streak's first-failure time say which and since when.</summary>
    Error,

    /// <summary>Deleted or shutting down; the runner drains, then stops.</summary>
    Stopping,
}
