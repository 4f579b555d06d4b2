using System.Collections.Concurrent;
using Kb4Collector.Collection;
using Kb4Collector.Configuration;
using Kb4Collector.Health;
using Kb4Collector.Lifecycle;
using Kb4Collector.Reporting;
using Kb4Collector.Storage;
using Kb4Collector.Sharding;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kb4Collector.Daemon;

/// <summary>
/// Runs one supervisor per configured source and follows the source files: a new source starts, an edited one goes
/// back to Pending (keeping its checkpoint when its query is the same), a removed one stops and is deleted.
/// With a <see cref="ShardAssignment"/> only the sources whose key hashes to this replica run; the others are kept
/// aside, with their owner, in <see cref="SourcesElsewhere"/>.
/// </summary>
public sealed class CollectorRuntime : BackgroundService
{
    /// <summary>How long a shutdown waits for batches under way before it aborts them (inside the host's 30 s).</summary>
    public static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(20);

    private readonly SourceWatcher _watcher;
    private readonly SourceRegistry _registry;
    private readonly CollectionServices _services;
    private readonly HealthEventStore _health;
    private readonly CollectorOptions _options;
    private readonly ILogger<CollectorRuntime> _logger;
    private readonly ConcurrentDictionary<string, RunningSource> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SourceDefinition> _elsewhere = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunningDataType> _dataTypes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CollectorRuntime(
        SourceWatcher watcher,
        SourceRegistry registry,
        CollectionServices services,
        HealthEventStore health,
        IOptions<CollectorOptions> options,
        ILogger<CollectorRuntime> logger)
    {
        _watcher = watcher;
        _registry = registry;
        _services = services;
        _health = health;
        _options = options.Value;
        _logger = logger;
        Shard = ShardAssignment.TryParse(_options.Shard, out var shard, out _) ? shard : ShardAssignment.Unsharded;
    }

    public ShardAssignment Shard { get; }

    /// <summary>Configured sources another replica collects (their key hashes elsewhere), by name.</summary>
    public IReadOnlyList<SourceDefinition> SourcesElsewhere() =>
        [.. _elsewhere.Values.OrderBy(source => source.Name, StringComparer.OrdinalIgnoreCase)];

    public string CollectorName => _options.Name;

    /// <summary>Completes once the source files were read the first time and their sources started.</summary>
    public Task FirstLoad => _firstLoad.Task;

    public HealthEventStore Health => _health;

    public CollectionServices Services => _services;

    public IReadOnlyList<ConfigProblem> ConfigProblems => _registry.Problems;

    /// <summary>Why no source collects: the database could not be opened safely or failed while running; null when sound.</summary>
    public string? StorageProblem => _services.Database.Problem;

    public IReadOnlyList<SourceView> Sources() =>
        [.. _sources.Values.Select(View).Concat(ReportingOnlyViews()).OrderBy(view => view.Definition.Name, StringComparer.OrdinalIgnoreCase)];

    public SourceView? Find(string id) =>
        _sources.TryGetValue(id, out var source) ? View(source) : ReportingOnlyViews().FirstOrDefault(view => view.Definition.Id == id);

    /// <summary>Queues a restart on the source's own loop; false when no such source runs.</summary>
    public bool RequestRestart(string id)
    {
        var dataTypes = DataTypesOf(id);
        foreach (var dataType in dataTypes)
        {
            dataType.Supervisor.RequestRestart();
        }
        if (!_sources.TryGetValue(id, out var source))
        {
            if (dataTypes.Count > 0)
            {
                _watcher.RequestReload();
            }
            return dataTypes.Count > 0;
        }
        source.Supervisor.RequestRestart();
        // A key kept in a file or the environment may have been fixed without the source file changing: read again.
        _watcher.RequestReload();
        Log.RestartRequested(_logger, source.Definition.Name);
        return true;
    }

    /// <summary>
    /// Records a failure of the database met while running (by a source, the admin endpoint or shutdown): from then on
    /// no source collects and <c>/readyz</c> says why. Logged once.
    /// </summary>
    public void ReportStorageFailure(Exception error)
    {
        if (_services.Database.ReportFailure($"the database failed while running ({error.GetType().Name}: {error.Message}); stop the daemon and see 'kb4collector storage check' (README, Storage and recovery)"))
        {
            Log.StorageFailed(_logger, error.GetType().Name, error.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (StorageProblem is { } problem)
        {
            Log.StorageUnavailable(_logger, problem);
        }
        if (Shard.IsSharded)
        {
            Log.ShardAssigned(_logger, Shard);
        }
        // systemctl reload (ExecReload=kill -HUP): read the source files again, keys in files or the environment included.
        // Registered before the first load is logged, so a reload right after start does not meet SIGHUP's default (exit).
        using var hangUp = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Log.ReloadSignalled(_logger);
            _watcher.RequestReload();
        });
        _watcher.Start();
        try
        {
            await foreach (var reload in _watcher.Reloads.ReadAllAsync(stoppingToken))
            {
                Apply(reload.Changes);
                _firstLoad.TrySetResult();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: StopAsync stops the sources.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var source in _sources.Values)
        {
            source.Pipeline.Collector.StopAfterCurrentBatch();
            source.Supervisor.RequestShutdown();
        }
        foreach (var dataType in _dataTypes.Values)
        {
            dataType.Supervisor.RequestShutdown();
        }
        var running = Task.WhenAll(_sources.Values.Select(source => source.Run).Concat(_dataTypes.Values.Select(dataType => dataType.Run)));
        try
        {
            await running.WaitAsync(GracefulStopTimeout, _services.TimeProvider, cancellationToken);
        }
        catch (Exception error) when (error is TimeoutException or OperationCanceledException)
        {
            Log.StopAborted(_logger, _sources.Count(source => !source.Value.Run.IsCompleted));
            await _abort.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(5), _services.TimeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        foreach (var source in _sources.Values.Where(source => source.Run.IsCompleted))
        {
            source.Pipeline.Collector.CommitHeldAtStop();
        }
        foreach (var dataType in _dataTypes.Values.Where(dataType => dataType.Run.IsCompleted))
        {
            dataType.Pipeline.CommitHeldAtStop();
        }
        try
        {
            _services.Ledger.Flush();
        }
        catch (Exception error) when (error is LiteDB.LiteException or IOException or ObjectDisposedException)
        {
            ReportStorageFailure(error);
        }
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    private void Apply(SourceChanges changes)
    {
        var renames = Renames(changes);
        foreach (var removed in changes.Removed.Where(removed => !renames.ContainsKey(removed)))
        {
            _elsewhere.TryRemove(removed.Id, out _);
            Remove(removed, renamedTo: null);
        }
        foreach (var update in changes.Updated)
        {
            if (Shard.Owns(update.Current.ApiKeyFingerprint))
            {
                _elsewhere.TryRemove(update.Current.Id, out _);
                Update(update);
            }
            else
            {
                _elsewhere[update.Current.Id] = update.Current;
                Remove(update.Previous, renamedTo: null);
            }
        }
        foreach (var added in changes.Added.Where(added => !renames.ContainsValue(added)))
        {
            if (Shard.Owns(added.ApiKeyFingerprint))
            {
                Start(added);
            }
            else
            {
                _elsewhere[added.Id] = added;
            }
        }
        foreach (var (previous, current) in renames)
        {
            _elsewhere.TryRemove(previous.Id, out _);
            if (!Shard.Owns(current.ApiKeyFingerprint))
            {
                _elsewhere[current.Id] = current;
                continue;
            }
            Remove(previous, renamedTo: current);
        }
    }

    /// <summary>
    /// A source that left a file while one with the same host and key appeared in the same reload was renamed: it keeps
    /// its checkpoint and seen ids (nothing is sent again). Ambiguous pairs (several on one host and key) are not renames.
    /// </summary>
    private static Dictionary<SourceDefinition, SourceDefinition> Renames(SourceChanges changes)
    {
        var renames = new Dictionary<SourceDefinition, SourceDefinition>(ReferenceEqualityComparer.Instance);
        foreach (var removed in changes.Removed)
        {
            var candidates = changes.Added.Where(added => SameStream(added, removed)).ToList();
            if (candidates.Count == 1 && changes.Removed.Count(other => SameStream(other, candidates[0])) == 1)
            {
                renames[removed] = candidates[0];
            }
        }
        return renames;

        static bool SameStream(SourceDefinition left, SourceDefinition right) =>
            left.QueryFingerprint == right.QueryFingerprint && left.ApiKeyFingerprint == right.ApiKeyFingerprint;
    }

    private void Start(SourceDefinition definition)
    {
        StartReporting(definition);
        if (definition.CollectUserEvents)
        {
            StartUserEvents(definition);
        }
        else
        {
            Log.SourceStarted(_logger, definition.Name, definition.Id);
        }
    }

    private void StartUserEvents(SourceDefinition definition)
    {
        var configured = _registry.Sources.Select(source => source.Id).Append(definition.Id).ToHashSet(StringComparer.Ordinal);
        if (new CheckpointStore(_services.Database).AdoptRenamed(definition.Id, definition.QueryFingerprint, definition.ApiKeyFingerprint, configured) is { } previousId)
        {
            Log.SourceAdoptedCheckpoint(_logger, definition.Name, previousId);
        }
        var pipeline = CreatePipeline(definition);
        var supervisor = new SourceSupervisor(
            new SourceIdentity(definition.Id, definition.Name),
            Guarded(pipeline.Work),
            _services.Database,
            _health,
            new SupervisorOptions { CollectorName = _options.Name },
            _services.TimeProvider,
            _services.LoggerFactory.CreateLogger<SourceSupervisor>());
        var source = new RunningSource(definition, pipeline, supervisor);
        _sources[definition.Id] = source;
        source.Run = Task.Run(() => supervisor.RunAsync(_abort.Token));
        Log.SourceStarted(_logger, definition.Name, definition.Id);
    }

    private void Update(SourceUpdate update)
    {
        UpdateReporting(update.Current);
        if (!update.Current.CollectUserEvents)
        {
            if (_sources.ContainsKey(update.Current.Id))
            {
                RemoveUserEvents(update.Previous);
            }
            return;
        }
        if (!_sources.TryGetValue(update.Current.Id, out var source))
        {
            StartUserEvents(update.Current);
            return;
        }
        var pipeline = CreatePipeline(update.Current);
        source.Pipeline.Collector.StopAfterCurrentBatch();
        source.Definition = update.Current;
        source.Pipeline = pipeline;
        source.Supervisor.NotifyConfigUpdated(Guarded(pipeline.Work));
        Log.SourceUpdated(_logger, update.Current.Name, update.QueryChanged);
    }

    private void Remove(SourceDefinition definition, SourceDefinition? renamedTo)
    {
        // The data types' state goes, or moves to a renamed source's new id before it starts (nothing is sent again), one
        // data type after the other: concurrent bulk writes of the same collections have left LiteDB's pages inconsistent.
        var dataTypes = DataTypesOf(definition.Id);
        var dataTypesStopped = Task.WhenAll(dataTypes.Select(dataType => StopDataType(dataType, deleteState: false)))
            .ContinueWith(
                _ =>
                {
                    foreach (var dataType in dataTypes)
                    {
                        if (renamedTo is null)
                        {
                            dataType.Pipeline.DeleteState();
                        }
                        else
                        {
                            dataType.Pipeline.MoveState(renamedTo.Id);
                        }
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        if (!_sources.TryGetValue(definition.Id, out var source))
        {
            if (renamedTo is not null)
            {
                _ = dataTypesStopped.ContinueWith(_ => Start(renamedTo), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
            return;
        }
        source.Pipeline.Collector.StopAfterCurrentBatch();
        source.Supervisor.RequestDelete();
        _ = Task.WhenAll(source.Run, dataTypesStopped).ContinueWith(
            _ =>
            {
                if (renamedTo is null)
                {
                    source.Pipeline.Collector.DeleteState();
                    _sources.TryRemove(new KeyValuePair<string, RunningSource>(definition.Id, source));
                    Log.SourceDeleted(_logger, definition.Name);
                    return;
                }
                source.Pipeline.Collector.MoveState(renamedTo.Id);
                _sources.TryRemove(new KeyValuePair<string, RunningSource>(definition.Id, source));
                Log.SourceRenamed(_logger, definition.Name, renamedTo.Name);
                Start(renamedTo);
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    /// <summary>
    /// The source's work, refused while the database has a problem, and turning a storage failure into that problem:
    /// a source never collects on an empty stand-in or a damaged file (it would start over and re-send), it stops with
    /// the reason (ThirdPartyConfig: no retries until the storage is recovered and the source restarted).
    /// </summary>
    private SourceWork Guarded(SourceWork work) => new(
        async cancellationToken =>
        {
            ThrowIfStorageFailed();
            await ReportingStorageFailureAsync(() => work.InitializeAsync(cancellationToken));
        },
        async (progress, cancellationToken) =>
        {
            ThrowIfStorageFailed();
            PollResult result = default;
            await ReportingStorageFailureAsync(async () => result = await work.PollOnceAsync(progress, cancellationToken));
            return result;
        },
        work.ConfigFingerprint);

    private async Task ReportingStorageFailureAsync(Func<ValueTask> step)
    {
        try
        {
            await step();
        }
        catch (LiteDB.LiteException error)
        {
            // A damaged file. A full disk (IOException) is not this: the source retries under FirstPartyGeneric, and
            // Storage.RecoveringEngine opens the file again, so collection resumes once there is room.
            ReportStorageFailure(error);
            throw new StorageUnavailableException(StorageProblem!, error);
        }
    }

    private void ThrowIfStorageFailed()
    {
        if (StorageProblem is { } problem)
        {
            throw new StorageUnavailableException(problem);
        }
    }

    /// <summary>A source that no longer collects User Events (its Reporting data types go on): its User Event loop stops and its state goes.</summary>
    private void RemoveUserEvents(SourceDefinition definition)
    {
        if (!_sources.TryGetValue(definition.Id, out var source))
        {
            return;
        }
        source.Pipeline.Collector.StopAfterCurrentBatch();
        source.Supervisor.RequestDelete();
        _ = source.Run.ContinueWith(
            _ =>
            {
                source.Pipeline.Collector.DeleteState();
                _sources.TryRemove(new KeyValuePair<string, RunningSource>(definition.Id, source));
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    // ---- Reporting data types: one supervisor each (own state, checkpoint, health resource and schedule) ----

    private List<RunningDataType> DataTypesOf(string sourceId) =>
        [.. _dataTypes.Values.Where(dataType => dataType.Pipeline.Source.Id == sourceId)];

    private void StartReporting(SourceDefinition definition)
    {
        // A source renamed while the daemon was down takes over its data types' state before any of them runs (LiteDB
        // 5.0 has races between bulk writes of concurrent transactions: the move is not one of them for its own source).
        var types = definition.Reporting?.DataTypes ?? [];
        var configured = _registry.Sources.Append(definition)
            .SelectMany(source => (source.Reporting?.DataTypes ?? []).Select(dataType => ReportingPipeline.IdFor(source.Id, dataType)))
            .ToHashSet(StringComparer.Ordinal);
        var pipelines = types.Select(type => new ReportingPipeline(definition, type, _services, _options.Name)).ToList();
        foreach (var pipeline in pipelines)
        {
            if (pipeline.AdoptRenamed(configured) is { } previousId)
            {
                Log.SourceAdoptedCheckpoint(_logger, pipeline.Name, previousId);
            }
        }
        foreach (var pipeline in pipelines)
        {
            StartDataType(pipeline);
        }
    }

    private void StartDataType(SourceDefinition definition, ReportingDataType type) =>
        StartDataType(new ReportingPipeline(definition, type, _services, _options.Name));

    private void StartDataType(ReportingPipeline pipeline)
    {
        var supervisor = new SourceSupervisor(
            new SourceIdentity(pipeline.Id, pipeline.Name),
            Guarded(pipeline.Work),
            _services.Database,
            _health,
            new SupervisorOptions { CollectorName = _options.Name, QuotaWindowFromRetryAfter = true },
            _services.TimeProvider,
            _services.LoggerFactory.CreateLogger<SourceSupervisor>());
        var running = new RunningDataType(pipeline, supervisor);
        _dataTypes[pipeline.Id] = running;
        running.Run = Task.Run(() => supervisor.RunAsync(_abort.Token));
    }

    private void UpdateReporting(SourceDefinition definition)
    {
        var wanted = definition.Reporting?.DataTypes ?? [];
        foreach (var running in DataTypesOf(definition.Id))
        {
            if (!wanted.Contains(running.Pipeline.DataType))
            {
                _ = StopDataType(running, deleteState: true);
                continue;
            }
            var pipeline = new ReportingPipeline(definition, running.Pipeline.DataType, _services, _options.Name);
            running.Pipeline = pipeline;
            running.Supervisor.NotifyConfigUpdated(Guarded(pipeline.Work));
        }
        foreach (var type in wanted.Where(type => !_dataTypes.ContainsKey(ReportingPipeline.IdFor(definition.Id, type))))
        {
            StartDataType(definition, type);
        }
    }

    private Task StopDataType(RunningDataType running, bool deleteState)
    {
        running.Supervisor.RequestDelete();
        return running.Run.ContinueWith(
            _ =>
            {
                if (deleteState)
                {
                    running.Pipeline.DeleteState();
                }
                _dataTypes.TryRemove(new KeyValuePair<string, RunningDataType>(running.Pipeline.Id, running));
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private List<DataTypeView> DataTypeViews(string sourceId) =>
        [.. DataTypesOf(sourceId).OrderBy(running => running.Pipeline.DataType).Select(running => new DataTypeView(
            running.Pipeline.Id,
            running.Pipeline.Name,
            ReportingDataTypes.Name(running.Pipeline.DataType),
            running.Supervisor.Status,
            running.Pipeline.ReadCheckpoint(),
            running.Pipeline.Quota(),
            running.Pipeline.PollInterval))];

    /// <summary>Sources that collect only Reporting data types: shown with their first data type's state and the key's Reporting quota.</summary>
    private IEnumerable<SourceView> ReportingOnlyViews()
    {
        foreach (var group in _dataTypes.Values.GroupBy(running => running.Pipeline.Source.Id).Where(group => !_sources.ContainsKey(group.Key)))
        {
            var views = DataTypeViews(group.Key);
            if (views.Count == 0)
            {
                continue;
            }
            var definition = group.First().Pipeline.Source;
            var quota = views[0].Quota;
            var day = DateOnly.FromDateTime((quota.WindowStart ?? _services.TimeProvider.GetUtcNow()).UtcDateTime);
            yield return new SourceView(
                definition,
                views[0].Status,
                Checkpoint: null,
                new Quota.QuotaStatus(day, quota.Used, quota.Budget, quota.Budget - quota.Scheduled, Math.Max(0, quota.Scheduled - quota.Used), Math.Max(0, quota.Budget - quota.Used)),
                _services.Sink.DeadLetters.Count(views[0].Id),
                DataTypes: views);
        }
    }

    private SourcePipeline CreatePipeline(SourceDefinition definition) =>
        new(definition, _services, _options.Name, () => _sources.Values.Count(other => other.Definition.ApiKeyFingerprint == definition.ApiKeyFingerprint));

    private SourceView View(RunningSource source)
    {
        var checkpoint = source.Pipeline.Collector.ReadCheckpoint();
        return new SourceView(
            source.Definition,
            source.Supervisor.Status,
            checkpoint,
            source.Pipeline.Quota(),
            _services.Sink.DeadLetters.Count(source.Definition.Id),
            EventsDeliveredToday: checkpoint?.DeliveredToday,
            CheckpointPosition: checkpoint is null ? null : Position(checkpoint),
            BackdatedFoundLate: checkpoint?.FoundLate,
            Plan: source.Pipeline.Plan,
            DataTypes: DataTypeViews(source.Definition.Id));
    }

    /// <summary>Where the cursor stands, in a line: the tracked days and how many of them a read has proven.</summary>
    private static string Position(CheckpointSummary checkpoint)
    {
        if (!checkpoint.FirstRunComplete)
        {
            return "first run under way";
        }
        if (checkpoint.Days.Count == 0)
        {
            return "no day tracked yet";
        }
        var proven = checkpoint.Days.Count(day => day.Proven);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{checkpoint.Days[0].Day:yyyy-MM-dd} to {checkpoint.Days[^1].Day:yyyy-MM-dd}: {checkpoint.Days.Count} days, {checkpoint.Days.Sum(day => day.VerifiedTotal ?? 0):N0} events, {proven} proven");
    }

    private sealed class RunningDataType(ReportingPipeline pipeline, SourceSupervisor supervisor)
    {
        public ReportingPipeline Pipeline { get; set; } = pipeline;

        public SourceSupervisor Supervisor { get; } = supervisor;

        public Task Run { get; set; } = Task.CompletedTask;
    }

    private sealed class RunningSource(SourceDefinition definition, SourcePipeline pipeline, SourceSupervisor supervisor)
    {
        public SourceDefinition Definition { get; set; } = definition;

        public SourcePipeline Pipeline { get; set; } = pipeline;

        public SourceSupervisor Supervisor { get; } = supervisor;

        public Task Run { get; set; } = Task.CompletedTask;
    }
}
