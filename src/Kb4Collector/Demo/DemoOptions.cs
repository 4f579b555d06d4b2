namespace Kb4Collector.Demo;

/// <summary>What <c>kb4collector demo</c> was asked for.</summary>
public sealed record DemoOptions
{
    public const string DefaultOutputDirectory = "demo-output";
    public const int PreferredAdminPort = 7380;

    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(20);

    /// <summary>How long the demo collects before it lets the collector finish one more poll and stops.</summary>
    public TimeSpan Duration { get; init; } = DefaultDuration;

    /// <summary>Run until Ctrl+C instead of <see cref="Duration"/>.</summary>
    public bool Follow { get; init; }

    /// <summary>The folder for the source file, the data directory, the events and the daemon's log.</summary>
    public string OutputDirectory { get; init; } = DefaultOutputDirectory;

    /// <summary>Keep the data directory (admin token, call history, health events) of the previous run.</summary>
    public bool Keep { get; init; }

    /// <summary>Redraw the progress line in place (an interactive console) instead of printing one line per second.</summary>
    public bool RedrawProgress { get; init; }
}
