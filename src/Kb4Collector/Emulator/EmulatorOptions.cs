using Microsoft.Extensions.Logging;

namespace Kb4Collector.Emulator;

/// <summary>How to start a <see cref="KnowBe4Emulator"/>.</summary>
public sealed record EmulatorOptions
{
    public EmulatorScenario Scenario { get; init; } = new();

    /// <summary>The emulator's clock: occurred dates, quota days, rate windows, fault windows, arrivals, status processing.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The clock of the User Event API's daily quota day, when it must not stop with <see cref="TimeProvider"/>: a test
    /// that freezes the world (no more arrivals) while the collector runs on into the next UTC day. Null: the same clock.
    /// </summary>
    public TimeProvider? QuotaTimeProvider { get; init; }

    /// <summary>Where Kestrel listens; port 0 picks a free port (see <see cref="KnowBe4Emulator.BaseUrl"/>).</summary>
    public string Url { get; init; } = "http://127.0.0.1:0";

    /// <summary>How long after POST /events a create request is processed (its events appear, its status gets <c>processed</c>).</summary>
    public TimeSpan StatusProcessingDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The instant fault offsets and arrivals count from; the clock's time at start when absent.</summary>
    public DateTimeOffset? ScenarioStart { get; init; }

    /// <summary>Logging for the embedded web host; none by default.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
