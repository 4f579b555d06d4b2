using Kb4Collector.Delivery;
using Kb4Collector.Health;
using Kb4Collector.Quota;
using LiteDB;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Storage;

/// <summary>
/// Keeps the database to its documented retention (README, Storage and recovery): at start and then every
/// <see cref="Interval"/> it deletes call history older than a year, resolved health events older than 90 days and
/// dead letters not retried for 90 days. LiteDB reuses the freed pages, so the file stops growing.
/// </summary>
public sealed class RetentionService(
    CollectorDatabase database,
    CallLedger ledger,
    HealthEventStore health,
    DeadLetterStore deadLetters,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<RetentionService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Deletes what is past its retention now; returns (call history, health events, dead letters) removed.</summary>
    public (int CallHistory, int HealthEvents, int DeadLetters) PruneNow()
    {
        var now = timeProvider.GetUtcNow();
        var removed = (ledger.Prune(now), health.Prune(now), deadLetters.Prune(now));
        if (removed != (0, 0, 0))
        {
            Log.Pruned(logger, removed.Item1, removed.Item2, removed.Item3);
        }
        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the daemon start first: pruning a year of history is not on the way to the first poll. A daemon that
        // fails to start closes the database under a prune already running, so none begins before it has started.
        if (!await HasStarted(stoppingToken))
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            // A database that could not be opened (or failed) is an empty stand-in: nothing to keep small.
            if (database.Problem is null)
            {
                try
                {
                    PruneNow();
                }
                catch (Exception error) when (error is LiteException or IOException or UnauthorizedAccessException)
                {
                    Log.PruneFailed(logger, error.GetType().Name, error.Message);
                }
            }
            try
            {
                await Task.Delay(Interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<bool> HasStarted(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return started.Task.IsCompleted;
    }
}
