using Kb4Collector.Quota;
using Kb4Collector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Quota;

public sealed class NotBeforeStoreTests : IDisposable
{
    private readonly DeliveryTestFolder _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ALongWaitSurvivesARestartUntilItPasses()
    {
        var scope = NotBeforeStore.KeyScope("0123456789abcdef");
        using (var database = _folder.OpenDatabase())
        {
            var until = new NotBeforeStore(database, _time).Defer(scope, TimeSpan.FromHours(2), "429 Limit Exceeded");
            Assert.Equal(_time.GetUtcNow().AddHours(2), until);
        }

        using var reopened = _folder.OpenDatabase();
        var store = new NotBeforeStore(reopened, _time);
        Assert.Equal(new NotBefore(scope, _time.GetUtcNow().AddHours(2), "429 Limit Exceeded"), store.Get(scope));
        Assert.Single(store.List());
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Null(store.Get(scope));
        Assert.Empty(store.List());
    }

    [Fact]
    public void AWaitOfAMinuteOrLessIsNotPersisted()
    {
        using var database = _folder.OpenDatabase();
        var store = new NotBeforeStore(database, _time);
        var scope = NotBeforeStore.SourceScope("src-1");

        var until = store.Defer(scope, TimeSpan.FromSeconds(60), "Retry-After 60");

        Assert.Equal(_time.GetUtcNow().AddSeconds(60), until);
        Assert.Null(store.Get(scope));
    }

    [Fact]
    public void TheLaterTimeWinsUntilCleared()
    {
        using var database = _folder.OpenDatabase();
        var store = new NotBeforeStore(database, _time);
        var scope = NotBeforeStore.SourceScope("src-1");
        store.Defer(scope, TimeSpan.FromHours(3), "long");

        var until = store.Defer(scope, TimeSpan.FromMinutes(10), "short");

        Assert.Equal(_time.GetUtcNow().AddHours(3), until);
        Assert.Equal("long", store.Get(scope)!.Reason);
        Assert.True(store.Clear(scope));
        Assert.Null(store.Get(scope));
    }
}
