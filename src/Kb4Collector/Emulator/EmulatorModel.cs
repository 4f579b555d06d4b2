namespace Kb4Collector.Emulator;

internal sealed record EmulatorUser(long Id, string Email, bool Archived);

internal sealed record EmulatorEventType(long Id, long AccountId, string Name, string? Description);

/// <summary>A stored event. <see cref="Json"/> is rendered once at creation and served as is.</summary>
internal sealed class EmulatorEvent
{
    public required string Id { get; init; }
    public required AccountState Account { get; init; }
    public required EmulatorUser User { get; init; }
    public required EmulatorEventType Type { get; init; }
    public required DateTimeOffset OccurredDate { get; init; }
    public string? ExternalId { get; init; }
    public string? Source { get; init; }
    public string? Description { get; init; }
    public int? RiskLevel { get; init; }
    public int? RiskDecayMode { get; init; }
    public DateOnly? RiskExpireDate { get; init; }

    /// <summary>The raw JSON of the <c>metadata</c> object, or null.</summary>
    public string? MetadataJson { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeletedAt { get; set; }
    public byte[] Json { get; private set; } = [];

    public long OccurredTicks => OccurredDate.UtcTicks;

    public EmulatorEvent Render()
    {
        Json = EmulatorJson.RenderEvent(this);
        return this;
    }
}

/// <summary>A POST /events request and what came of it.</summary>
internal sealed class StatusRecord
{
    public required string Id { get; init; }
    public required AccountState Account { get; init; }
    public required string ApiKeyName { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public required long Sequence { get; init; }
    public required CreateEventRequest Request { get; init; }
    public DateTimeOffset? ProcessedAt { get; set; }
    public List<string> EventIds { get; } = [];
    public List<(string TargetUser, string Message)> Failures { get; } = [];
}

/// <summary>A validated POST /events body.</summary>
internal sealed record CreateEventRequest(
    string TargetUser,
    string EventType,
    string? ExternalId,
    string? Source,
    string? Description,
    DateTimeOffset? OccurredDate,
    int? RiskLevel,
    int? RiskDecayMode,
    DateOnly? RiskExpireDate,
    string? MetadataJson);

/// <summary>An API key known to the emulator and what it did.</summary>
internal sealed class ApiKeyState(string name, string secret, AccountState account, bool generated)
{
    public string Name { get; } = name;
    public string Secret { get; } = secret;
    public AccountState Account { get; } = account;
    public bool Generated { get; } = generated;
    public long Requests { get; set; }
    public long Calls { get; set; }
    public long RateLimited { get; set; }
    public long QuotaExceeded { get; set; }
    public long Revoked { get; set; }
    public long FaultResponses { get; set; }
}
