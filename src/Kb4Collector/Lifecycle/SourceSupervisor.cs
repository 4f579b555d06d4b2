using System.Threading.Channels;
using Kb4Collector.Health;
using Kb4Collector.Storage;
using LiteDB;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Lifecycle;

/// <summary>
/// Runs one source: owns its <see cref="SourceLifecycle"/>, its persisted state (<c>source_states</c>), its health
/// events and its retry decisions, and runs the caller's <see cref="SourceWork"/>. Every trigger is applied on the
/// source's own loop (<see cref="RunAsync"/>); other threads only queue commands and read <see cref="Status"/>.
/// </summary>
public sealed class SourceSupervisor
{
    public const string StatesCollectionName = "source_states";

    private const int TransitionHistory = 32;

    private enum CommandKind
    {
        Restart,
        UpdateConfig,
        Delete,
        Shutdown,
    }

    private sealed record Command(CommandKind Kind, SourceWork? Work = null);

    private readonly SourceIdentity _source;
    private readonly HealthEventStore _health;
    private readonly HealthResourceIdentity _resource;
    private readonly SupervisorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly ILiteCollection<SourceStateDocument> _states;
    private readonly SourceStateDocument _record;
    private readonly SourceLifecycle _lifecycle;
    private readonly Queue<SourceTransition> _transitions = new();
    private readonly Channel<Command> _commands = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true });
    private SourceWork _work;
    private bool _initialized;
    private bool _authenticated;
    private bool _deleted;
    private volatile SourceStatus _status;

    /// <param name="random">Jitter for retry delays; seed it in tests.</param>
    public SourceSupervisor(
        SourceIdentity source,
        SourceWork work,
        CollectorDatabase database,
        HealthEventStore health,
        SupervisorOptions options,
        TimeProvider timeProvider,
        ILogger<SourceSupervisor> logger,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _source = source;
        _work = work;
        _health = health;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _random = random ?? Random.Shared;
        _resource = new HealthResourceIdentity(options.CollectorId, options.CollectorName, source.Id, source.Name);
        _states = database.Database.GetCollection<SourceStateDocument>(StatesCollectionName);

        var stored = _states.FindById(source.Id);
        _record = stored is null ? NewRecord() : Resume(stored);
        _lifecycle = new SourceLifecycle(() => _record.State, state => _record.State = state);
        _lifecycle.OnTransitioned(RecordTransition);
        if (stored is not null && stored.ConfigFingerprint != work.ConfigFingerprint)
        {
            StartNewRun(configChanged: true);
            _lifecycle.UpdateConfig();
        }

        Persist();
        _status = Snapshot();
    }

    /// <summary>The latest snapshot; replaced (never mutated) after every step and command.</summary>
    public SourceStatus Status => _status;

    /// <summary>Queues a restart: the streak is cleared and the source walks up again from Pending.</summary>
    public void RequestRestart() => _commands.Writer.TryWrite(new Command(CommandKind.Restart));

    /// <summary>Queues a config update: the new work replaces the old, and the source walks up again from Pending.</summary>
    public void NotifyConfigUpdated(SourceWork newWork)
    {
        ArgumentNullException.ThrowIfNull(newWork);
        _commands.Writer.TryWrite(new Command(CommandKind.UpdateConfig, newWork));
    }

    /// <summary>Queues a delete: the source goes to Stopping, its stored state is removed and <see cref="RunAsync"/> returns.</summary>
    public void RequestDelete() => _commands.Writer.TryWrite(new Command(CommandKind.Delete));

    /// <summary>
    /// Queues a graceful stop for daemon shutdown: the step under way finishes, then the source goes to Stopping with
    /// its state kept, and <see cref="RunAsync"/> returns. Cancelling <see cref="RunAsync"/>'s token instead aborts.
    /// </summary>
    public void RequestShutdown() => _commands.Writer.TryWrite(new Command(CommandKind.Shutdown));

    /// <summary>
    /// The source's loop: step, then wait until the next attempt is due or a command arrives. Returns after a
    /// delete, or when <paramref name="cancellationToken"/> is cancelled (shutdown: the source goes to Stopping,
    /// and its state stays stored so the next start resumes it).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var due = await StepAsync(cancellationToken);
                if (_lifecycle.State == SourceState.Stopping)
                {
                    return;
                }

                await WaitAsync(due, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ShutDown();
        }
    }

    /// <summary>
    /// Applies queued commands, then does the one piece of work that is due (if any): start and initialise, or
    /// poll. Returns when work is next due; null when only a command can wake the source.
    /// </summary>
    internal async ValueTask<DateTimeOffset?> StepAsync(CancellationToken cancellationToken)
    {
        ApplyQueuedCommands();
        if (_lifecycle.State == SourceState.Stopping)
        {
            return null;
        }

        if (_record.NextAttemptAt is { } due && _time.GetUtcNow() >= due)
        {
            if (_lifecycle.State == SourceState.Pending)
            {
                _lifecycle.Start();
            }

            if (_initialized)
            {
                await PollAsync(cancellationToken);
            }
            else
            {
                await InitializeAsync(cancellationToken);
            }

            Persist();
            _status = Snapshot();
        }

        return _record.NextAttemptAt;
    }

    private async Task WaitAsync(DateTimeOffset? due, CancellationToken cancellationToken)
    {
        var delay = due - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var commandArrived = _commands.Reader.WaitToReadAsync(wake.Token).AsTask();
        Task[] waits = delay is { } timed ? [commandArrived, Task.Delay(timed, _time, wake.Token)] : [commandArrived];
        await Task.WhenAny(waits);
        await wake.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _work.InitializeAsync(cancellationToken);
        }
        catch (Exception error) when (!IsShutdown(error, cancellationToken))
        {
            HandleFailure(error);
            return;
        }

        _initialized = true;
        _lifecycle.Initialize();
        Schedule(_time.GetUtcNow());
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        _record.LastPollAt = _time.GetUtcNow();
        PollResult result;
        try
        {
            result = await _work.PollOnceAsync(new PollProgress(MarkCollecting), cancellationToken);
        }
        catch (Exception error) when (!IsShutdown(error, cancellationToken))
        {
            HandleFailure(error);
            return;
        }

        var now = _time.GetUtcNow();
        if (result.Deferred && _record.FirstFailureAt is not null)
        {
            // No call was made: a per-key limit said wait. That proves nothing about the failure, whose streak (and
            // window) goes on: the retry comes once the limit allows, and the next failure backs off further.
            Schedule(now + result.NextPollIn);
            return;
        }
        MarkCollecting();

        var recovery = "Collection resumed: a poll succeeded.";
        if (_record.FirstFailureAt is { } firstFailure)
        {
            _logger.Recovered(_source.Name, _record.RetryCount, firstFailure);
            recovery = $"Collection resumed: a poll succeeded after {_record.RetryCount} retries since the first failure at {firstFailure:o}.";
        }

        Store(() => _health.Recover(_resource, recovery, now), "the recovery health events");
        ClearStreak();
        _record.NotBefore = null;
        _record.LastReason = null;
        _record.LastSuccessAt = now;
        Schedule(now + (result.NextPollIn > TimeSpan.Zero ? result.NextPollIn : TimeSpan.Zero));
    }

    /// <summary>A call answered: Authenticated (the first time), then Collecting, even while a long backlog is delivered.</summary>
    private void MarkCollecting()
    {
        if (!_authenticated)
        {
            _lifecycle.Authenticate();
            _authenticated = true;
            _record.EverAuthenticated = true;
        }

        if (_lifecycle.State != SourceState.Collecting)
        {
            _lifecycle.Collect();
        }
        _status = Snapshot();
    }

    private void HandleFailure(Exception error)
    {
        var now = _time.GetUtcNow();
        var classification = FailureClassifier.Classify(error, _record.EverAuthenticated);
        _record.LastReason = classification.Reason;
        if (classification.ErrorClass is not { } errorClass)
        {
            WaitForQuotaReset(classification, now);
            return;
        }

        if (_record.FirstFailureAt is null)
        {
            _record.FirstFailureAt = now;
            _record.RetryWindowEndsAt = now + _options.Retry.Window;
            _record.RetryCount = 0;
        }
        else
        {
            _record.RetryCount++;
        }

        _record.ErrorClass = errorClass;
        _lifecycle.Fail();
        Store(() => _health.ReportUnhealthy(_resource, ProblemFor(errorClass, classification.Reason), now), "the error health event");

        if (errorClass == ErrorClass.ThirdPartyConfig)
        {
            _record.NextAttemptAt = null;
            _logger.ConfigurationFailure(_source.Name, errorClass, classification.Reason);
            return;
        }

        var windowEndsAt = _record.RetryWindowEndsAt ?? now + _options.Retry.Window;
        _record.NextAttemptAt = RetrySchedule.NextAttempt(_options.Retry, now, windowEndsAt, _record.RetryCount, classification.RetryAfter, _random);
        if (_record.NextAttemptAt is { } next)
        {
            _logger.WillRetry(_source.Name, errorClass, _record.RetryCount + 1, next, classification.Reason);
        }
        else
        {
            _logger.RetriesStopped(_source.Name, errorClass, _record.FirstFailureAt.Value, windowEndsAt, classification.Reason);
        }
    }

    /// <summary>The daily quota is not a failure: wait for its reset without spending the retry window.</summary>
    private void WaitForQuotaReset(FailureClassification classification, DateTimeOffset now)
    {
        var reset = RetrySchedule.NextQuotaReset(now, _options.QuotaResetTimeOfDayUtc);
        var resumeAt = classification.RetryAfter is { } retryAfter && (now + retryAfter > reset || _options.QuotaWindowFromRetryAfter) ? now + retryAfter : reset;
        if (_record.RetryWindowEndsAt is { } windowEndsAt)
        {
            _record.RetryWindowEndsAt = windowEndsAt + (resumeAt - now);
        }

        _record.NotBefore = resumeAt;
        _record.NextAttemptAt = resumeAt;
        var problem = new HealthProblem(
            HealthEventNames.ThirdPartyQuotaWarning,
            HealthSeverity.Warning,
            "KnowBe4 daily API quota exhausted",
            $"{classification.Reason} Collection pauses until {resumeAt:o}.");
        Store(() => _health.ReportUnhealthy(_resource, problem, now), "the quota health event");
        _logger.QuotaWait(_source.Name, resumeAt, classification.Reason);
    }

    private void ApplyQueuedCommands()
    {
        while (_lifecycle.State != SourceState.Stopping && _commands.Reader.TryRead(out var command))
        {
            switch (command.Kind)
            {
                case CommandKind.Restart:
                    StartNewRun(configChanged: false);
                    _lifecycle.Restart();
                    _logger.CommandApplied(_source.Name, "restart");
                    break;
                case CommandKind.UpdateConfig:
                    _work = command.Work!;
                    StartNewRun(configChanged: true);
                    _lifecycle.UpdateConfig();
                    _logger.CommandApplied(_source.Name, "config update");
                    break;
                case CommandKind.Delete:
                    _lifecycle.Stop();
                    _deleted = true;
                    _commands.Writer.TryComplete();
                    Store(() => _states.Delete(_source.Id), "the deletion of the source state");
                    Store(() => _health.ResolveAll(_source.Id, _time.GetUtcNow()), "the resolution of health events");
                    _logger.CommandApplied(_source.Name, "delete");
                    break;
                case CommandKind.Shutdown:
                    ShutDown();
                    _logger.CommandApplied(_source.Name, "shutdown");
                    continue;
            }

            Persist();
            _status = Snapshot();
        }
    }

    private void ShutDown()
    {
        if (_lifecycle.State == SourceState.Stopping)
        {
            return;
        }

        _lifecycle.Stop();
        _commands.Writer.TryComplete();
        Persist();
        _status = Snapshot();
    }

    private void StartNewRun(bool configChanged)
    {
        _initialized = false;
        _authenticated = false;
        ClearStreak();
        _record.LastReason = null;
        if (configChanged)
        {
            // A new key may belong to another account, and may never have worked.
            _record.EverAuthenticated = false;
            _record.NotBefore = null;
            _record.ConfigFingerprint = _work.ConfigFingerprint;
        }

        _record.NextAttemptAt = _time.GetUtcNow();
    }

    private void ClearStreak()
    {
        _record.ErrorClass = null;
        _record.FirstFailureAt = null;
        _record.RetryWindowEndsAt = null;
        _record.RetryCount = 0;
    }

    private void Schedule(DateTimeOffset at) =>
        _record.NextAttemptAt = _record.NotBefore is { } notBefore && notBefore > at ? notBefore : at;

    private SourceStateDocument NewRecord() => new()
    {
        SourceId = _source.Id,
        State = SourceState.Pending,
        NextAttemptAt = _time.GetUtcNow(),
        ConfigFingerprint = _work.ConfigFingerprint,
    };

    /// <summary>
    /// A new process starts a new run: an open error streak resumes in Error (its window and next attempt
    /// unchanged, unless the window ran out while the daemon was down), anything else walks up again from Pending. A
    /// quota wait carries over either way.
    /// </summary>
    private SourceStateDocument Resume(SourceStateDocument stored)
    {
        var now = _time.GetUtcNow();
        if (stored.ErrorClass is null)
        {
            stored.State = SourceState.Pending;
            stored.NextAttemptAt = now;
        }
        else
        {
            stored.State = SourceState.Error;
            if (stored.NextAttemptAt is not null && stored.RetryWindowEndsAt is { } windowEndsAt && now > windowEndsAt)
            {
                // The window ran out while the daemon was down, with retries still planned: nothing was retried in that
                // time, so the source tries again now and a new window opens if it fails. A window that ran out while
                // the source retried stays closed (no next attempt) until a restart of the source or a config change.
                _logger.WindowRanOutWhileDown(_source.Name, windowEndsAt, stored.ErrorClass.Value);
                stored.FirstFailureAt = null;
                stored.RetryWindowEndsAt = null;
                stored.RetryCount = 0;
                stored.NextAttemptAt = now;
            }
        }

        _logger.Resumed(_source.Name, stored.State, stored.ErrorClass, stored.FirstFailureAt);
        return stored;
    }

    private void RecordTransition(SourceState from, SourceState to)
    {
        _transitions.Enqueue(new SourceTransition(from, to, _time.GetUtcNow()));
        if (_transitions.Count > TransitionHistory)
        {
            _transitions.Dequeue();
        }

        _logger.Transitioned(_source.Name, from, to);
    }

    private void Persist()
    {
        if (!_deleted)
        {
            Store(() => _states.Upsert(_record), "the source state");
        }
    }

    /// <summary>A storage failure must not take the source's loop down; the state stays in memory and is stored again on the next step.</summary>
    private void Store(Action write, string what)
    {
        try
        {
            write();
        }
        catch (Exception error) when (error is LiteException or IOException or ObjectDisposedException)
        {
            // One line, no stack trace: a full disk is the operator's to fix, not a bug to debug.
            _logger.StoreFailed(_source.Name, what, $"{error.GetType().Name}: {error.Message}");
        }
    }

    private SourceStatus Snapshot() => new()
    {
        SourceId = _source.Id,
        SourceName = _source.Name,
        State = _record.State,
        ErrorClass = _record.ErrorClass,
        LastReason = _record.LastReason,
        FirstFailureAt = _record.FirstFailureAt,
        RetryWindowEndsAt = _record.RetryWindowEndsAt,
        RetryCount = _record.RetryCount,
        NextAttemptAt = _lifecycle.State == SourceState.Stopping ? null : _record.NextAttemptAt,
        NotBefore = _record.NotBefore,
        LastPollAt = _record.LastPollAt,
        LastSuccessAt = _record.LastSuccessAt,
        EverAuthenticated = _record.EverAuthenticated,
        RecentTransitions = [.. _transitions],
    };

    private static HealthProblem ProblemFor(ErrorClass errorClass, string reason) => errorClass switch
    {
        ErrorClass.ThirdPartyConfig => new(HealthEventNames.ThirdPartyConfigError, HealthSeverity.Error, "Third-party configuration error", reason),
        ErrorClass.ThirdPartyGeneric => new(HealthEventNames.ThirdPartyGenericError, HealthSeverity.Error, "Third-party API error", reason),
        _ => new(HealthEventNames.FirstPartyGenericError, HealthSeverity.Error, "Collector error", reason),
    };

    private static bool IsShutdown(Exception error, CancellationToken cancellationToken) =>
        error is OperationCanceledException && cancellationToken.IsCancellationRequested;
}
