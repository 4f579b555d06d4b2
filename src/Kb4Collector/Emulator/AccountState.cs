namespace Kb4Collector.Emulator;

/// <summary>One emulated KnowBe4 account: users, event types, events, create statuses and limit counters.</summary>
internal sealed class AccountState
{
    private readonly Dictionary<string, EmulatorUser> _usersByEmail = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<long, EmulatorUser> _usersById = [];
    private readonly Dictionary<string, EmulatorEventType> _typesByName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<long, EmulatorEventType> _typesById = [];
    private readonly List<EmulatorEventType> _types = [];
    private readonly List<EmulatorUser> _users = [];
    private readonly Dictionary<string, StatusRecord> _statusesById = new(StringComparer.Ordinal);
    private long _nextTypeId;
    private long _nextUserId;

    public AccountState(string name, long accountId, int seats, string emailDomain, long firstTypeId, long firstUserId)
    {
        Name = name;
        AccountId = accountId;
        Seats = seats;
        EmailDomain = emailDomain;
        _nextTypeId = firstTypeId;
        _nextUserId = firstUserId;
    }

    public string Name { get; }
    public long AccountId { get; }
    public int Seats { get; }
    public string EmailDomain { get; }
    public List<ApiKeyState> Keys { get; } = [];
    public EventTimeline Events { get; } = new();
    public List<StatusRecord> Statuses { get; } = [];
    public IReadOnlyList<EmulatorUser> Users => _users;
    public IReadOnlyList<EmulatorEventType> EventTypes => _types;

    /// <summary>Events the scenario generator made for this account, in creation order (for same-millisecond and deletion picks).</summary>
    public List<EmulatorEvent> Generated { get; } = [];
    public DateTimeOffset? LastArrivalOccurred { get; set; }

    public long RateWindowSecond { get; set; } = long.MinValue;
    public int RateWindowCount { get; set; }
    public int QuotaDay { get; set; } = int.MinValue;
    public long QuotaCount { get; set; }

    public EmulatorUser AddUser(string email, bool archived)
    {
        var user = new EmulatorUser(_nextUserId++, email, archived);
        _users.Add(user);
        _usersByEmail.Add(email, user);
        _usersById.Add(user.Id, user);
        return user;
    }

    public bool HasUser(string email) => _usersByEmail.ContainsKey(email);

    /// <summary>Finds a user by email (case-insensitive) or by numeric KSAT user id.</summary>
    public EmulatorUser? FindUser(string emailOrId) =>
        _usersByEmail.TryGetValue(emailOrId, out var user) ? user
        : long.TryParse(emailOrId, out var id) && _usersById.TryGetValue(id, out user) ? user
        : null;

    public EmulatorEventType GetOrAddEventType(string name, string? description = null)
    {
        if (_typesByName.TryGetValue(name, out var type))
        {
            return type;
        }
        type = new EmulatorEventType(_nextTypeId++, AccountId, name, description);
        _types.Add(type);
        _typesByName.Add(name, type);
        _typesById.Add(type.Id, type);
        return type;
    }

    public EmulatorEventType? FindEventType(string name) => _typesByName.GetValueOrDefault(name);

    public EmulatorEventType? FindEventType(long id) => _typesById.GetValueOrDefault(id);

    public void AddStatus(StatusRecord status)
    {
        Statuses.Add(status);
        _statusesById.Add(status.Id, status);
    }

    public StatusRecord? FindStatus(string id) => _statusesById.GetValueOrDefault(id);
}
