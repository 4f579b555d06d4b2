using System.Text.Json.Serialization;

namespace Kb4Collector.Emulator;

[JsonConverter(typeof(JsonStringEnumConverter<EmulatorFaultKind>))]
public enum EmulatorFaultKind
{
    /// <summary>Answers with a 5xx (default 500) and an API Gateway style <c>{"message": ...}</c> body.</summary>
    ServerError,

    /// <summary>Answers 429 <c>{"message":"Too Many Requests"}</c> without <c>Retry-After</c>.</summary>
    RateLimited,

    /// <summary>Answers 429 <c>{"message":"Too Many Requests"}</c> with <c>Retry-After: N</c>.</summary>
    RateLimitedWithRetryAfter,

    /// <summary>Delays the real response by <see cref="EmulatorFault.Delay"/> on the emulator clock.</summary>
    Slow,

    /// <summary>Announces the full Content-Length, sends half of the body, then drops the connection.</summary>
    Truncated,

    /// <summary>Sends 200 with a body that is not valid JSON (the first half of the real body).</summary>
    Malformed,

    /// <summary>Treats the key (or every key when <see cref="EmulatorFault.ApiKey"/> is empty) as unknown: 401 by default.</summary>
    KeyRevoked,
}

/// <summary>
/// One scripted fault. Active while <see cref="From"/> ≤ now &lt; <see cref="To"/> (either bound optional),
/// on requests whose path starts with one of <see cref="Paths"/> (all when empty) and that use
/// <see cref="ApiKey"/> (all keys when empty). It hits every matching request, or every
/// <see cref="EveryNth"/> one, or each with <see cref="Probability"/> (seeded).
/// </summary>
public sealed record EmulatorFault
{
    public EmulatorFaultKind Kind { get; init; }
    public EmulatorTime? From { get; init; }
    public EmulatorTime? To { get; init; }
    public double? Probability { get; init; }
    public int? EveryNth { get; init; }
    public int? Status { get; init; }
    public TimeSpan? Delay { get; init; }
    public int? RetryAfterSeconds { get; init; }
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>The key (secret as configured) the fault is limited to; empty for every key.</summary>
    public string? ApiKey { get; init; }

    internal static readonly TimeSpan DefaultSlowDelay = TimeSpan.FromSeconds(2);

    internal int EffectiveStatus => Status ?? Kind switch
    {
        EmulatorFaultKind.ServerError => 500,
        EmulatorFaultKind.RateLimited or EmulatorFaultKind.RateLimitedWithRetryAfter => 429,
        EmulatorFaultKind.KeyRevoked => 401,
        _ => 200,
    };

    internal int EffectiveRetryAfterSeconds => RetryAfterSeconds ?? 1;

    internal TimeSpan EffectiveDelay => Delay ?? DefaultSlowDelay;

    /// <summary>Returns the problems of this fault, each as (field, message), with field relative to the fault.</summary>
    internal IEnumerable<(string Field, string Problem)> Problems()
    {
        if (!Enum.IsDefined(Kind))
        {
            yield return ("kind", "is not a known fault kind");
        }
        if (Probability is { } probability && (double.IsNaN(probability) || probability <= 0 || probability > 1))
        {
            yield return ("probability", $"must be greater than 0 and at most 1 (got {probability})");
        }
        if (EveryNth is < 1)
        {
            yield return ("everyNth", $"must be 1 or more (got {EveryNth})");
        }
        if (Probability is not null && EveryNth is not null)
        {
            yield return ("everyNth", "cannot be combined with probability");
        }
        if (Status is { } status)
        {
            var allowed = Kind switch
            {
                EmulatorFaultKind.ServerError => status is >= 500 and <= 599,
                EmulatorFaultKind.RateLimited or EmulatorFaultKind.RateLimitedWithRetryAfter => status is >= 400 and <= 599,
                EmulatorFaultKind.KeyRevoked => status is 401 or 403 or 500,
                _ => false,
            };
            if (!allowed)
            {
                yield return ("status", Kind switch
                {
                    EmulatorFaultKind.ServerError => $"must be a 5xx status for ServerError (got {status})",
                    EmulatorFaultKind.KeyRevoked => $"must be 401, 403 or 500 for KeyRevoked (got {status})",
                    EmulatorFaultKind.RateLimited or EmulatorFaultKind.RateLimitedWithRetryAfter => $"must be a 4xx or 5xx status (got {status})",
                    _ => $"is not used by {Kind}",
                });
            }
        }
        if (Delay is { } delay && (delay <= TimeSpan.Zero || delay > TimeSpan.FromMinutes(10)))
        {
            yield return ("delay", $"must be more than 0 and at most 00:10:00 (got {delay})");
        }
        if (RetryAfterSeconds is < 0)
        {
            yield return ("retryAfterSeconds", $"must be 0 or more (got {RetryAfterSeconds})");
        }
        if (From is { } from && To is { } to && from.IsOffset == to.IsOffset && from.CompareTo(to) >= 0)
        {
            yield return ("to", "must be later than from");
        }
        if (Paths is { } paths)
        {
            for (var i = 0; i < paths.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(paths[i]) || !paths[i].StartsWith('/'))
                {
                    yield return ($"paths[{i}]", "must be a path starting with '/'");
                }
            }
        }
    }

    internal bool IsActive(DateTimeOffset now, DateTimeOffset scenarioStart) =>
        (From is not { } from || from.Resolve(scenarioStart) <= now) &&
        (To is not { } to || now < to.Resolve(scenarioStart));

    internal bool MatchesPath(string path)
    {
        if (Paths is not { Count: > 0 } paths)
        {
            return true;
        }
        foreach (var prefix in paths)
        {
            if (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
