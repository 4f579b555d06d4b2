namespace Kb4Collector.Emulator;

/// <summary>An emulated account as callers see it.</summary>
public sealed record EmulatorAccount(
    string Name,
    long AccountId,
    int Seats,
    IReadOnlyList<EmulatorApiKey> ApiKeys,
    IReadOnlyList<string> UserEmails,
    IReadOnlyList<string> EventTypes,
    int LiveEvents,
    long QuotaCallsToday);

/// <summary>An API key: <see cref="Name"/> is what statuses show as <c>api_key</c>; <see cref="Secret"/> is the Bearer token.</summary>
public sealed record EmulatorApiKey(string Name, string Secret, bool Generated)
{
    public override string ToString() => $"{Name} ({DemoKey.Mask})";
}
