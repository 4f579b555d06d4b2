using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kb4Collector.Configuration;

public enum ReloadTrigger
{
    /// <summary>The first load, done by <see cref="SourceWatcher.Start"/>.</summary>
    Initial,

    /// <summary>A file system notification (after the debounce delay).</summary>
    FileSystem,

    /// <summary>The periodic rescan that catches what notifications miss (network shares, overflows, key files).</summary>
    Rescan,

    /// <summary><see cref="SourceWatcher.RequestReload"/>.</summary>
    Requested,
}

/// <summary>One applied reload: what changed in the registry and the problems of that load.</summary>
public sealed record SourceReload(ReloadTrigger Trigger, DateTimeOffset At, SourceChanges Changes, IReadOnlyList<ConfigProblem> Problems);

public sealed record SourceWatcherOptions
{
    /// <summary>How often the path is loaded again even without a notification (Sumo checks about every second).</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait after a notification so that a burst of writes becomes one reload.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Use <see cref="FileSystemWatcher"/> notifications; when false, only the rescan applies changes.</summary>
    public bool UseFileSystemEvents { get; init; } = true;
}

/// <summary>
/// Keeps a <see cref="SourceRegistry"/> in step with a source file or folder. <see cref="Start"/> loads
/// once synchronously; afterwards file notifications (debounced) and a periodic rescan driven by the
/// <see cref="TimeProvider"/> trigger reloads, one at a time on a background loop. Every reload that
/// changed the registry or the set of problems, plus the initial load and every requested one, is
/// queued on <see cref="Reloads"/> in order; consume it to start, restart and stop runners.
/// The watcher logs the changes and each new problem itself.
/// </summary>
public sealed class SourceWatcher : IDisposable, IAsyncDisposable
{
    private readonly string _path;
    private readonly SourceConfigLoader _loader;
    private readonly SourceRegistry _registry;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SourceWatcher> _logger;
    private readonly SourceWatcherOptions _options;
    private readonly Channel<ReloadTrigger> _triggers = Channel.CreateUnbounded<ReloadTrigger>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<SourceReload> _reloads = Channel.CreateUnbounded<SourceReload>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _watcherLock = new();
    private FileSystemWatcher? _fileWatcher;
    private bool _fileWatcherFailed;
    private bool _watchUnavailableLogged;
    private ITimer? _rescanTimer;
    private Task _loop = Task.CompletedTask;
    private IReadOnlyList<ConfigProblem> _lastProblems = [];
    private long _lastLoadedAtTicks = -1;
    private bool _started;
    private bool _disposed;

    public SourceWatcher(
        string path,
        SourceConfigLoader loader,
        SourceRegistry registry,
        TimeProvider timeProvider,
        ILogger<SourceWatcher> logger,
        SourceWatcherOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = path;
        _loader = loader;
        _registry = registry;
        _timeProvider = timeProvider;
        _logger = logger;
        _options = options ?? new SourceWatcherOptions();
    }

    /// <summary>Applied reloads, oldest first. Unbounded: every diff must be seen, in order.</summary>
    public ChannelReader<SourceReload> Reloads => _reloads.Reader;

    /// <summary>True while file system notifications are active (otherwise only the rescan applies changes).</summary>
    public bool IsWatchingFileSystem
    {
        get
        {
            lock (_watcherLock)
            {
                return _fileWatcher is not null;
            }
        }
    }

    /// <summary>When the path was last loaded (whether or not that changed anything); null before <see cref="Start"/>.</summary>
    public DateTimeOffset? LastLoadedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastLoadedAtTicks);
            return ticks < 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Loads and applies the sources now (the result is the first item of <see cref="Reloads"/>), then starts watching.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            throw new InvalidOperationException("The source watcher is already started.");
        }
        _started = true;

        Reload(ReloadTrigger.Initial);
        EnsureFileWatcher();
        _rescanTimer = _timeProvider.CreateTimer(
            static state => ((SourceWatcher)state!)._triggers.Writer.TryWrite(ReloadTrigger.Rescan),
            this,
            _options.RescanInterval,
            _options.RescanInterval);
        _loop = RunAsync(_stopping.Token);
    }

    /// <summary>Asks for a reload now (e.g. on SIGHUP or from the admin endpoint); its result is always queued.</summary>
    public void RequestReload() => _triggers.Writer.TryWrite(ReloadTrigger.Requested);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            while (await _triggers.Reader.WaitToReadAsync(cancellationToken))
            {
                var trigger = DrainTriggers();
                if (trigger == ReloadTrigger.FileSystem)
                {
                    // Editors and copy tools write in several steps: let the burst finish, then load once.
                    await Task.Delay(_options.Debounce, _timeProvider, cancellationToken);
                    var later = DrainTriggers();
                    if (later is { } other && other != ReloadTrigger.FileSystem)
                    {
                        trigger = other;
                    }
                }
                if (trigger == ReloadTrigger.Rescan)
                {
                    EnsureFileWatcher();
                }
                Reload(trigger ?? ReloadTrigger.Rescan);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Empties the trigger queue and returns the most significant trigger seen (Requested over Rescan over FileSystem).</summary>
    private ReloadTrigger? DrainTriggers()
    {
        ReloadTrigger? strongest = null;
        while (_triggers.Reader.TryRead(out var trigger))
        {
            if (strongest is null || trigger > strongest)
            {
                strongest = trigger;
            }
        }
        return strongest;
    }

    private void Reload(ReloadTrigger trigger)
    {
        SourceLoadResult result;
        SourceChanges changes;
        try
        {
            var loadedAt = _timeProvider.GetUtcNow();
            result = _loader.Load(_path);
            changes = _registry.Apply(result);
            Interlocked.Exchange(ref _lastLoadedAtTicks, loadedAt.UtcTicks);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The loader reports bad input as problems; anything thrown here is a defect. Keep the
            // current sources and try again on the next trigger rather than stopping configuration updates.
            Log.ReloadFailed(_logger, exception, _path);
            return;
        }

        var problemsChanged = !result.Problems.SequenceEqual(_lastProblems);
        if (trigger is ReloadTrigger.Initial or ReloadTrigger.Requested || !changes.IsEmpty || problemsChanged)
        {
            LogReload(trigger, result, changes);
            _lastProblems = result.Problems;
            _reloads.Writer.TryWrite(new SourceReload(trigger, _timeProvider.GetUtcNow(), changes, result.Problems));
        }
    }

    private void LogReload(ReloadTrigger trigger, SourceLoadResult result, SourceChanges changes)
    {
        var known = _lastProblems.ToHashSet();
        foreach (var problem in result.Problems.Where(problem => !known.Contains(problem)))
        {
            if (problem.IsError)
            {
                Log.ConfigError(_logger, problem.ToString());
            }
            else
            {
                Log.ConfigWarning(_logger, problem.ToString());
            }
        }
        foreach (var source in changes.Added)
        {
            Log.SourceAdded(_logger, source.Name, source.Id, source.SourceFile);
        }
        foreach (var update in changes.Updated)
        {
            Log.SourceUpdated(_logger, update.Current.Name, update.Current.Id, update.QueryChanged);
        }
        foreach (var source in changes.Removed)
        {
            Log.SourceRemoved(_logger, source.Name, source.Id);
        }
        foreach (var source in changes.Retained)
        {
            Log.SourceRetained(_logger, source.Name, source.Id, source.SourceFile);
        }
        var errors = result.Problems.Count(problem => problem.IsError);
        Log.Reloaded(_logger, trigger, _path, _registry.Sources.Count, errors, result.Problems.Count - errors);
    }

    private void EnsureFileWatcher()
    {
        if (!_options.UseFileSystemEvents)
        {
            return;
        }
        lock (_watcherLock)
        {
            if (_fileWatcherFailed)
            {
                // After an error (buffer overflow, folder removed) start over with a fresh watcher.
                _fileWatcher?.Dispose();
                _fileWatcher = null;
                _fileWatcherFailed = false;
            }
            if (_fileWatcher is not null && !Directory.Exists(_fileWatcher.Path))
            {
                // The watched folder went away; a new watcher is made once it is back.
                _fileWatcher.Dispose();
                _fileWatcher = null;
            }
            if (_fileWatcher is not null || _disposed)
            {
                return;
            }

            var fullPath = Path.GetFullPath(_path);
            var watchesFolder = Directory.Exists(fullPath);
            if (!watchesFolder && !File.Exists(fullPath))
            {
                LogWatchUnavailable("the path does not exist");
                return;
            }
            var folder = watchesFolder ? fullPath : Path.GetDirectoryName(fullPath);
            if (folder is null)
            {
                return;
            }

            var fileName = watchesFolder ? null : Path.GetFileName(fullPath);
            FileSystemWatcher? watcher = null;
            try
            {
                watcher = new FileSystemWatcher(folder)
                {
                    IncludeSubdirectories = false,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                FileSystemEventHandler onChange = (_, change) => OnFileEvent(change.Name, null, fileName);
                watcher.Created += onChange;
                watcher.Changed += onChange;
                watcher.Deleted += onChange;
                watcher.Renamed += (_, rename) => OnFileEvent(rename.Name, rename.OldName, fileName);
                watcher.Error += (_, error) =>
                {
                    Log.WatchError(_logger, error.GetException(), _path);
                    lock (_watcherLock)
                    {
                        _fileWatcherFailed = true;
                    }
                    _triggers.Writer.TryWrite(ReloadTrigger.Rescan);
                };
                watcher.EnableRaisingEvents = true;
                _fileWatcher = watcher;
                watcher = null;
                _watchUnavailableLogged = false;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Out of inotify instances, unsupported file system, permissions: fall back to the rescan.
                LogWatchUnavailable(exception.Message);
            }
            finally
            {
                watcher?.Dispose();
            }
        }
    }

    private void OnFileEvent(string? name, string? oldName, string? watchedFileName)
    {
        if (Matches(name, watchedFileName) || Matches(oldName, watchedFileName))
        {
            _triggers.Writer.TryWrite(ReloadTrigger.FileSystem);
        }
    }

    private static bool Matches(string? name, string? watchedFileName) => name is not null && (watchedFileName is null
        ? SourceConfigLoader.IsSourceFileName(name)
        : string.Equals(Path.GetFileName(name), watchedFileName, StringComparison.Ordinal));

    private void LogWatchUnavailable(string reason)
    {
        if (!_watchUnavailableLogged)
        {
            _watchUnavailableLogged = true;
            Log.WatchUnavailable(_logger, _path, reason);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stopping.Cancel();
        _rescanTimer?.Dispose();
        lock (_watcherLock)
        {
            _fileWatcher?.Dispose();
            _fileWatcher = null;
        }
        _triggers.Writer.TryComplete();
        _reloads.Writer.TryComplete();
    }

    /// <summary>Stops watching and waits for a reload in progress to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        var loop = _loop;
        Dispose();
        await loop;
        _stopping.Dispose();
    }
}
