using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kb4Collector.Emulator;

/// <summary>
/// What an emulator run holds and does: accounts and keys, a seeded backlog, live arrivals, limits and
/// scripted faults. Loaded from a JSON file (<see cref="Load"/>) or built in code. Same seed and same
/// clock give the same events, ids included.
/// </summary>
public sealed record EmulatorScenario
{
    public IReadOnlyList<EmulatorAccountSpec> Accounts { get; init; } = [new EmulatorAccountSpec()];
    public EmulatorBacklog Backlog { get; init; } = new();
    public EmulatorArrivals Arrivals { get; init; } = new();
    public EmulatorLimits Limits { get; init; } = new();

    /// <summary>The Reporting API's data and limits (<c>/v1/...</c>).</summary>
    public EmulatorReporting Reporting { get; init; } = new();
    public IReadOnlyList<EmulatorFault> Faults { get; init; } = [];

    /// <summary>Scripted creations and deletions at given instants (see <see cref="EmulatorBurst"/>).</summary>
    public IReadOnlyList<EmulatorBurst> Bursts { get; init; } = [];

    /// <summary>Deletions under a reader, armed from the start (see <see cref="EmulatorScanDeletion"/>).</summary>
    public IReadOnlyList<EmulatorScanDeletion> ScanDeletions { get; init; } = [];
    public int Seed { get; init; } = 1;

    /// <summary>Status for a missing or unknown key: 401 (default) or 500/403, which KnowBe4 has been seen to answer for a wrong key or region.</summary>
    public int UnknownKeyStatus { get; init; } = 401;

    private static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    internal static JsonSerializerOptions JsonOptions => SerializerOptions;

    /// <summary>Reads and validates a scenario file; errors name the file and the field.</summary>
    public static EmulatorScenario Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new EmulatorScenarioException(path, "$", $"cannot be read: {exception.Message}", exception);
        }
        return Parse(json, path);
    }

    /// <summary>Parses and validates scenario JSON; <paramref name="sourceName"/> names it in errors.</summary>
    public static EmulatorScenario Parse(string json, string sourceName)
    {
        EmulatorScenario? scenario;
        try
        {
            scenario = JsonSerializer.Deserialize<EmulatorScenario>(json, SerializerOptions);
        }
        catch (JsonException exception)
        {
            var field = string.IsNullOrEmpty(exception.Path) ? "$" : exception.Path;
            var line = exception.LineNumber is { } number ? $" (line {number + 1})" : string.Empty;
            throw new EmulatorScenarioException(sourceName, field, $"is invalid{line}: {FirstSentence(exception.Message)}", exception);
        }
        if (scenario is null)
        {
            throw new EmulatorScenarioException(sourceName, "$", "must be a JSON object");
        }
        scenario.Validate(sourceName);
        return scenario;
    }

    /// <summary>Throws <see cref="EmulatorScenarioException"/> for the first problem found.</summary>
    public void Validate(string sourceName = "scenario")
    {
        foreach (var (field, problem) in Problems())
        {
            throw new EmulatorScenarioException(sourceName, field, problem);
        }
    }

    internal IEnumerable<(string Field, string Problem)> Problems()
    {
        if (Accounts is not { Count: > 0 })
        {
            yield return ("accounts", "must list at least one account");
            yield break;
        }
        foreach (var problem in (Reporting ?? new EmulatorReporting()).Problems())
        {
            yield return problem;
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var accountIds = new HashSet<long>();
        for (var i = 0; i < Accounts.Count; i++)
        {
            var account = Accounts[i];
            var prefix = $"accounts[{i}]";
            if (account is null)
            {
                yield return (prefix, "must be an object");
                continue;
            }
            if (string.IsNullOrWhiteSpace(account.Name))
            {
                yield return ($"{prefix}.name", "must not be empty");
            }
            else if (!names.Add(account.Name))
            {
                yield return ($"{prefix}.name", $"'{account.Name}' is used by another account");
            }
            if (account.Seats < 0)
            {
                yield return ($"{prefix}.seats", $"must be 0 or more (got {account.Seats})");
            }
            if (account.AccountId is { } accountId && (accountId <= 0 || !accountIds.Add(accountId)))
            {
                yield return ($"{prefix}.accountId", accountId <= 0 ? $"must be positive (got {accountId})" : $"{accountId} is used by another account");
            }
            var apiKeys = account.ApiKeys ?? [];
            for (var k = 0; k < apiKeys.Count; k++)
            {
                if (string.IsNullOrWhiteSpace(apiKeys[k]) || apiKeys[k].Any(char.IsWhiteSpace))
                {
                    yield return ($"{prefix}.apiKeys[{k}]", "must be a non-empty string without spaces");
                }
                else if (!keys.Add(apiKeys[k]))
                {
                    yield return ($"{prefix}.apiKeys[{k}]", "is used more than once (keys identify one account)");
                }
            }
        }
        if (Backlog is null)
        {
            yield return ("backlog", "must be an object");
        }
        else
        {
            if (Backlog.Events is < 0 or > 5_000_000)
            {
                yield return ("backlog.events", $"must be between 0 and 5000000 (got {Backlog.Events})");
            }
            if (Backlog.Days is < 1 or > 3650)
            {
                yield return ("backlog.days", $"must be between 1 and 3650 (got {Backlog.Days})");
            }
        }
        if (Arrivals is null)
        {
            yield return ("arrivals", "must be an object");
        }
        else
        {
            if (!IsRate(Arrivals.PerMinute))
            {
                yield return ("arrivals.perMinute", $"must be between 0 and 600000 (got {Arrivals.PerMinute})");
            }
            if (!IsRate(Arrivals.DeletionsPerMinute))
            {
                yield return ("arrivals.deletionsPerMinute", $"must be between 0 and 600000 (got {Arrivals.DeletionsPerMinute})");
            }
            if (!IsFraction(Arrivals.BackdatedFraction))
            {
                yield return ("arrivals.backdatedFraction", $"must be between 0 and 1 (got {Arrivals.BackdatedFraction})");
            }
            if (!IsFraction(Arrivals.SameMillisecondFraction))
            {
                yield return ("arrivals.sameMillisecondFraction", $"must be between 0 and 1 (got {Arrivals.SameMillisecondFraction})");
            }
            if (IsFraction(Arrivals.BackdatedFraction) && IsFraction(Arrivals.SameMillisecondFraction)
                && Arrivals.BackdatedFraction + Arrivals.SameMillisecondFraction > 1)
            {
                yield return ("arrivals.sameMillisecondFraction", "plus backdatedFraction must not exceed 1");
            }
            if (Arrivals.BackdatedMaxDays is < 1 or > 365)
            {
                yield return ("arrivals.backdatedMaxDays", $"must be between 1 and 365 (got {Arrivals.BackdatedMaxDays})");
            }
        }
        if (Limits is null)
        {
            yield return ("limits", "must be an object");
        }
        else
        {
            if (Limits.RequestsPerSecond < 0)
            {
                yield return ("limits.requestsPerSecond", $"must be 0 (off) or more (got {Limits.RequestsPerSecond})");
            }
            if (Limits.CallsPerSeatPerDay < 0)
            {
                yield return ("limits.callsPerSeatPerDay", $"must be 0 (off) or more (got {Limits.CallsPerSeatPerDay})");
            }
        }
        var faults = Faults ?? [];
        for (var i = 0; i < faults.Count; i++)
        {
            if (faults[i] is null)
            {
                yield return ($"faults[{i}]", "must be an object");
                continue;
            }
            foreach (var (field, problem) in faults[i].Problems())
            {
                yield return ($"faults[{i}].{field}", problem);
            }
            if (faults[i].ApiKey is { } faultKey && !keys.Contains(faultKey))
            {
                yield return ($"faults[{i}].apiKey", "does not match any key listed under accounts[].apiKeys");
            }
        }
        foreach (var problem in ScriptProblems("bursts", Bursts, burst => burst.Problems(), burst => burst.Account, names)
            .Concat(ScriptProblems("scanDeletions", ScanDeletions, deletion => deletion.Problems(), deletion => deletion.Account, names)))
        {
            yield return problem;
        }
        if (UnknownKeyStatus is not (401 or 403 or 500))
        {
            yield return ("unknownKeyStatus", $"must be 401, 403 or 500 (got {UnknownKeyStatus})");
        }
    }

    /// <summary>The problems of a list of scripted changes, each also naming an account that must exist.</summary>
    private static IEnumerable<(string Field, string Problem)> ScriptProblems<T>(
        string list,
        IReadOnlyList<T>? items,
        Func<T, IEnumerable<(string Field, string Problem)>> problems,
        Func<T, string?> account,
        HashSet<string> accountNames)
        where T : class
    {
        items ??= [];
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { } item)
            {
                yield return ($"{list}[{i}]", "must be an object");
                continue;
            }
            foreach (var (field, problem) in problems(item))
            {
                yield return ($"{list}[{i}].{field}", problem);
            }
            if (account(item) is { } name && !accountNames.Contains(name))
            {
                yield return ($"{list}[{i}].account", $"no account is named '{name}'");
            }
        }
    }

    private static bool IsFraction(double value) => value is >= 0 and <= 1;

    private static bool IsRate(double value) => value is >= 0 and <= 600_000;

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}

/// <summary>One KnowBe4 account: its keys (secrets; generated when empty) and licensed seats (the daily quota is seats × callsPerSeatPerDay).</summary>
public sealed record EmulatorAccountSpec
{
    public string Name { get; init; } = "Demo Account";
    public IReadOnlyList<string> ApiKeys { get; init; } = [];
    public int Seats { get; init; } = 100;

    /// <summary>Reporting API keys (Bearer tokens for <c>/v1/...</c>); one is generated from the seed when empty.</summary>
    public IReadOnlyList<string> ReportingApiKeys { get; init; } = [];

    /// <summary>The KnowBe4 account id; derived from the seed when absent.</summary>
    public long? AccountId { get; init; }
}

/// <summary>Events that already exist at start, their occurred dates spread over the last <see cref="Days"/> days.</summary>
public sealed record EmulatorBacklog
{
    public int Events { get; init; }
    public int Days { get; init; } = 30;
}

/// <summary>Events arriving while the emulator runs (a seeded Poisson process on the emulator clock).</summary>
public sealed record EmulatorArrivals
{
    public double PerMinute { get; init; }

    /// <summary>Fraction of arrivals whose occurred date lies 1..<see cref="BackdatedMaxDays"/> UTC days back.</summary>
    public double BackdatedFraction { get; init; }
    public int BackdatedMaxDays { get; init; } = 7;

    /// <summary>Fraction of arrivals sharing the exact occurred millisecond of the account's previous arrival.</summary>
    public double SameMillisecondFraction { get; init; }
    public double DeletionsPerMinute { get; init; }
}

/// <summary>Server-side limits per account; 0 switches a limit off.</summary>
public sealed record EmulatorLimits
{
    public int RequestsPerSecond { get; init; } = 4;
    public int CallsPerSeatPerDay { get; init; } = 10;

    public static EmulatorLimits Off { get; } = new() { RequestsPerSecond = 0, CallsPerSeatPerDay = 0 };
}
