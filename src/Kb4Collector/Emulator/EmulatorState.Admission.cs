using Microsoft.AspNetCore.WebUtilities;

namespace Kb4Collector.Emulator;

internal enum ResponseMangling
{
    None,
    Truncated,
    Malformed,
}

/// <summary>What the gate decided for one API request: a ready rejection, or the key plus any delay and body mangling.</summary>
internal readonly record struct Admission(EmulatorResponse? Rejection, ApiKeyState? Key, TimeSpan Delay, ResponseMangling Mangling);

internal sealed partial class EmulatorState
{
    private static readonly byte[] TooManyRequestsBody = EmulatorJson.Message("Too Many Requests");
    private static readonly byte[] LimitExceededBody = EmulatorJson.Message("Limit Exceeded");

    /// <summary>
    /// Authenticates and applies, in this order: revoked-key faults, 4 req/s per account, the daily
    /// quota per account (seats × calls per seat, UTC day), then the other scripted faults. Requests
    /// refused by the rate or quota limit do not count as calls.
    /// </summary>
    public Admission Admit(string path, string? authorization, DateTimeOffset now)
    {
        lock (_gate)
        {
            MaterializeLocked(now);
            if (BearerToken(authorization) is not { } token || !_keysBySecret.TryGetValue(token, out var key))
            {
                _unauthorized++;
                return Reject(StatusResponse(_scenario.UnknownKeyStatus));
            }
            key.Requests++;
            foreach (var fault in _faults)
            {
                if (fault.Spec.Kind == EmulatorFaultKind.KeyRevoked && Applies(fault, path, key, now) && Hits(fault))
                {
                    Served(EmulatorFaultKind.KeyRevoked);
                    key.Revoked++;
                    _unauthorized++;
                    return Reject(StatusResponse(fault.Spec.EffectiveStatus));
                }
            }

            var account = key.Account;
            var perSecond = _scenario.Limits.RequestsPerSecond;
            if (perSecond > 0)
            {
                var second = now.UtcTicks / TimeSpan.TicksPerSecond;
                if (account.RateWindowSecond != second)
                {
                    account.RateWindowSecond = second;
                    account.RateWindowCount = 0;
                }
                if (account.RateWindowCount >= perSecond)
                {
                    key.RateLimited++;
                    _rateLimited++;
                    return Reject(EmulatorResponse.Json(429, TooManyRequestsBody));
                }
                account.RateWindowCount++;
            }
            var perSeat = _scenario.Limits.CallsPerSeatPerDay;
            if (perSeat > 0)
            {
                var day = DateOnly.FromDateTime(QuotaClock.GetUtcNow().UtcDateTime).DayNumber;
                if (account.QuotaDay != day)
                {
                    account.QuotaDay = day;
                    account.QuotaCount = 0;
                }
                if (account.QuotaCount >= (long)account.Seats * perSeat)
                {
                    key.QuotaExceeded++;
                    _quotaExceeded++;
                    return Reject(EmulatorResponse.Json(429, LimitExceededBody));
                }
                account.QuotaCount++;
            }
            key.Calls++;

            var delay = TimeSpan.Zero;
            var mangling = ResponseMangling.None;
            foreach (var fault in _faults)
            {
                var kind = fault.Spec.Kind;
                if (kind == EmulatorFaultKind.KeyRevoked || !Applies(fault, path, key, now) || !Hits(fault))
                {
                    continue;
                }
                Served(kind);
                switch (kind)
                {
                    case EmulatorFaultKind.ServerError:
                        key.FaultResponses++;
                        return Reject(StatusResponse(fault.Spec.EffectiveStatus));
                    case EmulatorFaultKind.RateLimited:
                    case EmulatorFaultKind.RateLimitedWithRetryAfter:
                        key.FaultResponses++;
                        var status = fault.Spec.EffectiveStatus;
                        if (status == 429)
                        {
                            _faultTooManyRequests++;
                        }
                        return Reject(status == 429 ? EmulatorResponse.Json(429, TooManyRequestsBody) : StatusResponse(status), kind == EmulatorFaultKind.RateLimitedWithRetryAfter
                            ? fault.Spec.EffectiveRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)
                            : null);
                    case EmulatorFaultKind.Slow:
                        delay += fault.Spec.EffectiveDelay;
                        break;
                    case EmulatorFaultKind.Truncated when mangling == ResponseMangling.None:
                        mangling = ResponseMangling.Truncated;
                        break;
                    case EmulatorFaultKind.Malformed when mangling == ResponseMangling.None:
                        mangling = ResponseMangling.Malformed;
                        break;
                }
            }
            return new Admission(null, key, delay, mangling);
        }
    }

    /// <summary>The account and key name behind a bearer token, for handlers; no counting.</summary>
    internal static string? BearerToken(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = authorization[7..].Trim();
        return token.Length == 0 ? null : token;
    }

    internal static EmulatorResponse StatusResponse(int status) => EmulatorResponse.Message(status, status switch
    {
        504 => "Endpoint request timed out",
        _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
    });

    private static Admission Reject(EmulatorResponse response, string? retryAfter = null) =>
        new(retryAfter is null ? response : response.WithRetryAfter(retryAfter), null, TimeSpan.Zero, ResponseMangling.None);

    private bool Applies(ActiveFault fault, string path, ApiKeyState key, DateTimeOffset now) =>
        fault.Spec.IsActive(now, ScenarioStart)
        && fault.Spec.MatchesPath(path)
        && (fault.Spec.ApiKey is null || string.Equals(fault.Spec.ApiKey, key.Secret, StringComparison.Ordinal));

    private bool Hits(ActiveFault fault)
    {
        fault.Matches++;
        return fault.Spec switch
        {
            { EveryNth: { } nth } => fault.Matches % nth == 0,
            { Probability: { } probability } => _faultRandom.NextDouble() < probability,
            _ => true,
        };
    }

    private void Served(EmulatorFaultKind kind) => _faultsServed[kind] = _faultsServed.GetValueOrDefault(kind) + 1;

    public string AddFault(EmulatorFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        foreach (var (field, problem) in fault.Problems())
        {
            throw new EmulatorScenarioException("fault", field, problem);
        }
        if (fault.ApiKey is { } secret && !_keysBySecret.ContainsKey(secret))
        {
            throw new EmulatorScenarioException("fault", "apiKey", "does not match any key of the emulator");
        }
        lock (_gate)
        {
            return AddFaultLocked(fault);
        }
    }

    private string AddFaultLocked(EmulatorFault fault)
    {
        var id = $"fault-{++_faultSequence}";
        _faults.Add(new ActiveFault(id, fault));
        return id;
    }

    public bool RemoveFault(string id)
    {
        lock (_gate)
        {
            return _faults.RemoveAll(fault => fault.Id == id) > 0;
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    public IReadOnlyList<KeyValuePair<string, EmulatorFault>> Faults()
    {
        lock (_gate)
        {
            return [.. _faults.Select(fault => KeyValuePair.Create(fault.Id, fault.Spec))];
        }
    }
}
