namespace Kb4Collector.Collection;

/// <summary>The collector's own daily call budget for an API key is spent: stop calling until it resets.</summary>
public sealed class DailyBudgetExhaustedException(string message, DateTimeOffset resetsAt) : Exception(message)
{
    public DateTimeOffset ResetsAt { get; } = resetsAt;
}
