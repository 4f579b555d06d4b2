namespace Kb4Collector.Lifecycle;

/// <summary>
/// What a failure means for the source: an <see cref="Lifecycle.ErrorClass"/>, or (when <see cref="ErrorClass"/> is
/// null) the account's daily quota, which is not a failure. <see cref="Reason"/> names the endpoint and the status
/// and never a key.
/// </summary>
public sealed record FailureClassification(ErrorClass? ErrorClass, string Reason, TimeSpan? RetryAfter = null)
{
    public bool IsQuotaExhausted => ErrorClass is null;

    public static FailureClassification QuotaExhausted(string reason, TimeSpan? retryAfter) => new(null, reason, retryAfter);
}
