using Kb4Collector.KnowBe4;
using Polly;
using Polly.Retry;

namespace Kb4Collector.Collection;

/// <summary>
/// How a poll absorbs a lone transient failure of a KnowBe4 call (5xx, 408, 429 Too Many Requests, a timeout, a reset,
/// a truncated page) before the source goes to Error: a few attempts with jittered exponential backoff, honouring a
/// <c>Retry-After</c> up to <see cref="MaxRetryAfter"/>. A longer <c>Retry-After</c> is left to the source's retry schedule.
/// </summary>
public sealed record CallRetry
{
    public static readonly CallRetry Default = new();

    /// <summary>No waiting between attempts, for tests on a fake clock.</summary>
    public static readonly CallRetry Immediate = new() { BaseDelay = TimeSpan.Zero, MaxRetryAfter = TimeSpan.Zero };

    public int Attempts { get; init; } = 3;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    public static bool IsTransient(Exception failure, TimeSpan maxRetryAfter) => failure switch
    {
        KnowBe4ApiException api => api.Kind is KnowBe4FailureKind.ServerError or KnowBe4FailureKind.Timeout or KnowBe4FailureKind.Network
                or KnowBe4FailureKind.RateLimited or KnowBe4FailureKind.MalformedBody
            && (api.RetryAfter is not { } wait || wait <= maxRetryAfter),
        HttpRequestException => true,
        _ => false,
    };

    /// <summary>The Polly pipeline for one source's calls; <paramref name="onRetry"/> sees each failure that is retried.</summary>
    public ResiliencePipeline<FetchOutcome> Build(TimeProvider timeProvider, Action<Exception, int, TimeSpan> onRetry)
    {
        if (Attempts <= 0)
        {
            return ResiliencePipeline<FetchOutcome>.Empty;
        }
        var maxRetryAfter = MaxRetryAfter;
        return new ResiliencePipelineBuilder<FetchOutcome> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<FetchOutcome>
            {
                MaxRetryAttempts = Attempts,
                Delay = BaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = BaseDelay > TimeSpan.Zero,
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } failure && IsTransient(failure, maxRetryAfter)),
                DelayGenerator = arguments => ValueTask.FromResult(
                    arguments.Outcome.Exception is KnowBe4ApiException { RetryAfter: { } wait } ? (TimeSpan?)wait : null),
                OnRetry = arguments =>
                {
                    onRetry(arguments.Outcome.Exception!, arguments.AttemptNumber + 1, arguments.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }
}
