using System.Net;
using System.Threading.RateLimiting;
using Kb4Collector.Quota;
using Microsoft.Extensions.Time.Testing;

namespace Kb4Collector.Tests.Quota;

public sealed class ApiKeyRateLimitersTests
{
    private static readonly DateTimeOffset Start = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void AFingerprintNamesTheKeyWithoutRevealingIt()
    {
        var fingerprint = ApiKeyFingerprint.Of("eyJhbGciOiJIUzI1NiJ9.secret-key");

        Assert.Matches("^[0-9a-f]{16}$", fingerprint);
        Assert.Equal(fingerprint, ApiKeyFingerprint.Of("eyJhbGciOiJIUzI1NiJ9.secret-key"));
        Assert.NotEqual(fingerprint, ApiKeyFingerprint.Of("eyJhbGciOiJIUzI1NiJ9.other-key"));
    }

    [Fact]
    public async Task TheWindowKeepsAMarginOverOneSecond()
    {
        var time = new FakeTimeProvider(Start);
        using var limiters = new ApiKeyRateLimiters(time);
        var limiter = limiters.For(ApiKeyFingerprint.Of("key-a"));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => limiter.AcquireAsync(1, Ct).AsTask()));

        var fifth = limiter.AcquireAsync(1, Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(fifth.IsCompleted);
        time.Advance(ApiKeyRateLimiters.Window - TimeSpan.FromSeconds(1));

        Assert.True((await fifth).IsAcquired);
        Assert.InRange(ApiKeyRateLimiters.Window, TimeSpan.FromMilliseconds(1010), TimeSpan.FromMilliseconds(1100));
    }

    [Fact]
    public async Task SourcesWithTheSameKeyShareOneLimiter()
    {
        var time = new FakeTimeProvider(Start);
        using var limiters = new ApiKeyRateLimiters(time);
        var key = ApiKeyFingerprint.Of("key-a");
        var sourceOne = limiters.For(key);
        var sourceTwo = limiters.For(key);

        var first = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => sourceOne.AcquireAsync(1, Ct).AsTask()));
        var second = Enumerable.Range(0, 3).Select(_ => sourceTwo.AcquireAsync(1, Ct).AsTask()).ToList();

        Assert.Same(sourceOne, sourceTwo);
        Assert.All(first, lease => Assert.True(lease.IsAcquired));
        Assert.Equal(1, second.Count(task => task.IsCompleted));
        time.Advance(ApiKeyRateLimiters.Window);
        Assert.All(second, task => Assert.True(task.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task DifferentKeysArePacedIndependently()
    {
        var time = new FakeTimeProvider(Start);
        using var limiters = new ApiKeyRateLimiters(time);

        var leases = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => limiters.For(ApiKeyFingerprint.Of("key-a")).AcquireAsync(1, Ct).AsTask())
                .Concat(Enumerable.Range(0, 4).Select(_ => limiters.For(ApiKeyFingerprint.Of("key-b")).AcquireAsync(1, Ct).AsTask())));

        Assert.All(leases, lease => Assert.True(lease.IsAcquired));
        Assert.NotSame(limiters.For(ApiKeyFingerprint.Of("key-a")), limiters.For(ApiKeyFingerprint.Of("key-b")));
    }

    [Fact]
    public async Task TheHandlerPacesEveryRequestOfAnHttpClient()
    {
        var time = new FakeTimeProvider(Start);
        using var limiters = new ApiKeyRateLimiters(time);
        var server = new CountingHandler();
        var handler = limiters.CreateHandler("0123456789abcdef");
        handler.InnerHandler = server;
        using var client = new HttpClient(handler);

        var limiter = limiters.For("0123456789abcdef");
        var requests = Enumerable.Range(0, 6).Select(_ => client.GetAsync(new Uri("http://127.0.0.1/events"), Ct)).ToList();
        await WaitUntil(() => server.Count == 4 && limiter.GetStatistics()!.CurrentQueuedCount == 2);
        Assert.Equal(4, server.Count);
        Assert.Equal(2, limiter.GetStatistics()!.CurrentQueuedCount);

        time.Advance(ApiKeyRateLimiters.Window);
        await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(6, server.Count);
    }

    [Fact]
    public async Task TheHandlerFailsARequestThePacingRefuses()
    {
        var limiter = new RollingWindowRateLimiter(1, TimeSpan.FromSeconds(1), 0, new FakeTimeProvider(Start));
        using var client = new HttpClient(new RateLimitingHandler(limiter) { InnerHandler = new CountingHandler() });
        await client.GetAsync(new Uri("http://127.0.0.1/events"), Ct);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://127.0.0.1/events"), Ct));
        limiter.Dispose();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(5, Ct);
        }
    }

    private sealed class CountingHandler : HttpMessageHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
