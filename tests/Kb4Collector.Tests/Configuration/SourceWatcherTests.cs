using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

public sealed class SourceWatcherTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(10);

    private readonly TempSourceFolder _folder = new();
    private readonly SourceRegistry _registry = new();
    private readonly FakeLogger<SourceWatcher> _logger = new();

    public void Dispose() => _folder.Dispose();

    private SourceWatcher CreateWatcher(TimeProvider timeProvider, bool fileSystemEvents, string? path = null) => new(
        path ?? _folder.Path,
        new SourceConfigLoader(Options()),
        _registry,
        timeProvider,
        _logger,
        new SourceWatcherOptions
        {
            Debounce = TimeSpan.FromMilliseconds(50),
            // With real time only notifications may drive reloads; fake time drives the rescan explicitly.
            RescanInterval = timeProvider == TimeProvider.System ? TimeSpan.FromHours(1) : RescanInterval,
            UseFileSystemEvents = fileSystemEvents,
        });

    /// <summary>Reads reloads until one matches, failing after a bounded wait.</summary>
    private static async Task<SourceReload> WaitForReloadAsync(SourceWatcher watcher, Func<SourceReload, bool> match, Action? whileWaiting = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Bound);
        while (true)
        {
            whileWaiting?.Invoke();
            var read = watcher.Reloads.ReadAsync(timeout.Token).AsTask();
            var reload = await read.WaitAsync(timeout.Token);
            if (match(reload))
            {
                return reload;
            }
        }
    }

    [Fact]
    public async Task StartLoadsSynchronouslyAndQueuesTheInitialReload()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        using var watcher = CreateWatcher(new FakeTimeProvider(), fileSystemEvents: false);

        watcher.Start();

        Assert.Equal("A", Assert.Single(_registry.Sources).Name);
        Assert.True(watcher.Reloads.TryRead(out var initial));
        Assert.Equal(ReloadTrigger.Initial, initial.Trigger);
        Assert.Equal("A", Assert.Single(initial.Changes.Added).Name);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task FileNotificationsAddUpdateKeepAndRemoveSources()
    {
        using var watcher = CreateWatcher(TimeProvider.System, fileSystemEvents: true);
        watcher.Start();
        Assert.True(watcher.IsWatchingFileSystem);
        await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);

        _folder.Write("us.json", SourceJson.Single(SourceJson.Config("KnowBe4 US")));
        var added = await WaitForReloadAsync(watcher, reload => reload.Changes.Added.Count == 1);
        Assert.Equal(ReloadTrigger.FileSystem, added.Trigger);
        Assert.Equal("KnowBe4 US", added.Changes.Added[0].Name);

        _folder.Write("us.json", SourceJson.Single(SourceJson.Config("KnowBe4 US").With("pollingInterval", 120)));
        var updated = await WaitForReloadAsync(watcher, reload => reload.Changes.Updated.Count == 1);
        Assert.False(updated.Changes.Updated[0].QueryChanged);
        Assert.Equal(TimeSpan.FromSeconds(120), updated.Changes.Updated[0].Current.PollingInterval);

        _folder.Write("us.json", "{ broken");
        var broken = await WaitForReloadAsync(watcher, reload => reload.Problems.Any(problem => problem.Line is not null));
        Assert.Empty(broken.Changes.Removed);
        Assert.Equal("KnowBe4 US", Assert.Single(broken.Changes.Retained).Name);
        Assert.Single(_registry.Sources);

        _folder.Delete("us.json");
        var removed = await WaitForReloadAsync(watcher, reload => reload.Changes.Removed.Count == 1);
        Assert.Equal("KnowBe4 US", removed.Changes.Removed[0].Name);
        Assert.Empty(_registry.Sources);
    }

    [Fact]
    public async Task ThePeriodicRescanAppliesChangesWithoutNotifications()
    {
        var time = new FakeTimeProvider();
        using var watcher = CreateWatcher(time, fileSystemEvents: false);
        watcher.Start();
        await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);

        _folder.Write("eu.json", SourceJson.Single(SourceJson.Config("KnowBe4 EU").Without("baseURL").With("region", "EU")));
        time.Advance(RescanInterval);
        var added = await WaitForReloadAsync(watcher, reload => reload.Changes.Added.Count == 1);

        Assert.Equal(ReloadTrigger.Rescan, added.Trigger);
        Assert.Equal("KnowBe4 EU", added.Changes.Added[0].Name);
        Assert.Equal(time.GetUtcNow(), added.At);
    }

    [Fact]
    public async Task ARescanWithoutChangesQueuesNothing()
    {
        var time = new FakeTimeProvider();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        using var watcher = CreateWatcher(time, fileSystemEvents: false);
        watcher.Start();
        await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);

        time.Advance(RescanInterval);
        await WaitUntilAsync(() => watcher.LastLoadedAt == time.GetUtcNow());

        Assert.False(watcher.Reloads.TryRead(out _));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Bound);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    [Fact]
    public async Task AWatchedSingleFileIsFollowed()
    {
        var file = _folder.Write("sources.json", SourceJson.Single(SourceJson.Config("A")));
        _folder.Write("other.json", SourceJson.Single(SourceJson.Config("Other")));
        using var watcher = CreateWatcher(TimeProvider.System, fileSystemEvents: true, path: file);
        watcher.Start();
        var initial = await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);
        Assert.Equal("A", Assert.Single(initial.Changes.Added).Name);

        _folder.Write("sources.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B")));
        var added = await WaitForReloadAsync(watcher, reload => reload.Changes.Added.Count == 1);

        Assert.Equal("B", added.Changes.Added[0].Name);
        Assert.Equal(["A", "B"], _registry.Sources.Select(source => source.Name));
    }

    [Fact]
    public async Task AFolderCreatedLaterIsPickedUpByTheRescan()
    {
        var time = new FakeTimeProvider();
        var later = _folder.PathOf("later");
        using var watcher = CreateWatcher(time, fileSystemEvents: true, path: later);
        watcher.Start();
        var initial = await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);
        Assert.False(watcher.IsWatchingFileSystem);
        Assert.Contains(initial.Problems, problem => problem.Message == "no such file or folder");

        Directory.CreateDirectory(later);
        File.WriteAllText(Path.Combine(later, "a.json"), SourceJson.Single(SourceJson.Config("A")));
        time.Advance(RescanInterval);
        var added = await WaitForReloadAsync(watcher, reload => reload.Changes.Added.Count == 1);

        Assert.Equal("A", added.Changes.Added[0].Name);
        Assert.True(watcher.IsWatchingFileSystem);
    }

    [Fact]
    public async Task ProblemsAreLoggedOnceAndNeverWithTheKey()
    {
        var time = new FakeTimeProvider();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A").With("region", "Mars")));
        using var watcher = CreateWatcher(time, fileSystemEvents: false);
        watcher.Start();
        await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);

        time.Advance(RescanInterval);
        watcher.RequestReload();
        await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Requested);

        var errors = _logger.Collector.GetSnapshot().Where(record => record.Message.Contains("unknown region", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains("a.json: source \"A\": field \"config.region\"", errors[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), record => record.Message.Contains(SourceJson.TestKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisposingCompletesTheReloadQueue()
    {
        var watcher = CreateWatcher(new FakeTimeProvider(), fileSystemEvents: true);
        watcher.Start();
        await WaitForReloadAsync(watcher, reload => reload.Trigger == ReloadTrigger.Initial);

        await watcher.DisposeAsync();

        Assert.False(watcher.IsWatchingFileSystem);
        Assert.False(await watcher.Reloads.WaitToReadAsync(TestContext.Current.CancellationToken));
    }
}
