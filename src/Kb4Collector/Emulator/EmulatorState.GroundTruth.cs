namespace Kb4Collector.Emulator;

/// <summary>An event to insert directly (test hook); unknown users and event types are created on the fly.</summary>
public sealed record EmulatorEventDraft(string UserEmail, string EventType, DateTimeOffset OccurredDate)
{
    /// <summary>Account name; the first account when null.</summary>
    public string? Account { get; init; }
    public int? RiskLevel { get; init; }
    public int? RiskDecayMode { get; init; } = 0;
    public DateOnly? RiskExpireDate { get; init; }
    public string? ExternalId { get; init; }
    public string? Source { get; init; }
    public string? Description { get; init; }
}

internal sealed partial class EmulatorState
{
    public string AddEvent(EmulatorEventDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var now = Now;
        lock (_gate)
        {
            MaterializeLocked(now);
            var account = FindAccount(draft.Account)
                ?? throw new ArgumentException($"No account named '{draft.Account}'", nameof(draft));
            var user = account.FindUser(draft.UserEmail) ?? account.AddUser(draft.UserEmail, archived: false);
            var item = new EmulatorEvent
            {
                Id = NewId(_apiRandom),
                Account = account,
                User = user,
                Type = account.GetOrAddEventType(draft.EventType),
                OccurredDate = Truncate(draft.OccurredDate),
                ExternalId = draft.ExternalId,
                Source = draft.Source,
                Description = draft.Description,
                RiskLevel = draft.RiskLevel,
                RiskDecayMode = draft.RiskDecayMode,
                RiskExpireDate = draft.RiskExpireDate,
                CreatedAt = now,
            }.Render();
            Store(item);
            return item.Id;
        }
    }

    public bool DeleteEvent(string id)
    {
        var now = Now;
        lock (_gate)
        {
            MaterializeLocked(now);
            foreach (var account in _accounts)
            {
                if (account.Events.TryGet(id, out var item))
                {
                    Remove(item, now);
                    return true;
                }
            }
            return false;
        }
    }

    private AccountState? FindAccount(string? name) =>
        name is null ? _accounts[0] : _accounts.Find(account => account.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public IReadOnlyList<GroundTruthEvent> SnapshotEvents(string? account, bool liveOnly)
    {
        var now = Now;
        lock (_gate)
        {
            MaterializeLocked(now);
            var result = new List<GroundTruthEvent>(_allEvents.Count);
            foreach (var item in _allEvents)
            {
                if ((liveOnly && item.DeletedAt is not null)
                    || (account is not null && !item.Account.Name.Equals(account, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }
                result.Add(new GroundTruthEvent(item.Id, item.Account.Name, item.Account.AccountId, item.OccurredDate, item.CreatedAt, item.DeletedAt, item.Json));
            }
            return result;
        }
    }

    /// <summary>Ground-truth events in creation order, taken in slices so a large run can be streamed without one big copy.</summary>
    public int CopyEvents(int start, Span<GroundTruthEvent> target, string? account, bool liveOnly, out int next)
    {
        var now = Now;
        lock (_gate)
        {
            MaterializeLocked(now);
            var copied = 0;
            var index = start;
            for (; index < _allEvents.Count && copied < target.Length; index++)
            {
                var item = _allEvents[index];
                if ((liveOnly && item.DeletedAt is not null)
                    || (account is not null && !item.Account.Name.Equals(account, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }
                target[copied++] = new GroundTruthEvent(item.Id, item.Account.Name, item.Account.AccountId, item.OccurredDate, item.CreatedAt, item.DeletedAt, item.Json);
            }
            next = index;
            return copied;
        }
    }

    public IReadOnlyDictionary<string, EmulatorKeyCalls> SnapshotCalls()
    {
        lock (_gate)
        {
            return _accounts
                .SelectMany(account => account.Keys)
                .ToDictionary(
                    key => key.Name,
                    key => new EmulatorKeyCalls(key.Account.Name, key.Name, key.Requests, key.Calls, key.RateLimited, key.QuotaExceeded, key.Revoked, key.FaultResponses),
                    StringComparer.Ordinal);
        }
    }

    public TooManyRequestsCounts SnapshotTooManyRequests()
    {
        lock (_gate)
        {
            return new TooManyRequestsCounts(_rateLimited, _quotaExceeded, _faultTooManyRequests);
        }
    }

    public long SnapshotUnauthorized()
    {
        lock (_gate)
        {
            return _unauthorized;
        }
    }

    public IReadOnlyDictionary<EmulatorFaultKind, long> SnapshotFaultsServed()
    {
        lock (_gate)
        {
            return new Dictionary<EmulatorFaultKind, long>(_faultsServed);
        }
    }

    /// <summary>Public view of the accounts (keys included, for in-process callers).</summary>
    public IReadOnlyList<EmulatorAccount> SnapshotAccounts()
    {
        lock (_gate)
        {
            return
            [
                .. _accounts.Select(account => new EmulatorAccount(
                    account.Name,
                    account.AccountId,
                    account.Seats,
                    [.. account.Keys.Select(key => new EmulatorApiKey(key.Name, key.Secret, key.Generated))],
                    [.. account.Users.Select(user => user.Email)],
                    [.. account.EventTypes.Select(type => type.Name)],
                    account.Events.Count,
                    account.QuotaDay == DateOnly.FromDateTime(QuotaClock.GetUtcNow().UtcDateTime).DayNumber ? account.QuotaCount : 0)),
            ];
        }
    }
}
