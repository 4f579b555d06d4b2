namespace Kb4Collector.KnowBe4;

/// <summary>
/// Polls <c>GET /statuses/{id}</c> after a create until the request shows its created events or failures.
/// Every poll costs one API call from the daily quota, so the interval stays around a second.
/// </summary>
public sealed class EventStatusWaiter(KnowBe4Client client, TimeProvider timeProvider)
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Returns the completed status, or null when the request was still pending at the deadline. A status that
    /// does not exist yet (404) counts as pending: the API records requests asynchronously.
    /// </summary>
    public async Task<CompletedStatus?> WaitAsync(string requestId, TimeSpan timeout, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pollInterval, TimeSpan.Zero);
        var started = timeProvider.GetTimestamp();
        while (true)
        {
            try
            {
                var (status, json) = await client.GetStatusWithJsonAsync(requestId, cancellationToken);
                if (status.IsComplete)
                {
                    return new CompletedStatus(status, json);
                }
            }
            catch (KnowBe4ApiException exception) when (exception.Kind == KnowBe4FailureKind.NotFound)
            {
            }

            var remaining = timeout - timeProvider.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }
            await Task.Delay(remaining < pollInterval ? remaining : pollInterval, timeProvider, cancellationToken);
        }
    }
}

/// <summary>A create request's final status, typed and as the API sent it.</summary>
public sealed record CompletedStatus(EventStatus Status, ReadOnlyMemory<byte> Json);
