namespace Kb4Collector.Delivery;

/// <summary>One reason why a sink setting cannot work: the field it concerns and why, never a secret value.</summary>
public sealed record SinkValidationError(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}
