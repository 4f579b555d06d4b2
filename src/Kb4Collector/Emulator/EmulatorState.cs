using System.Globalization;
using System.Text;

namespace Kb4Collector.Emulator;

/// <summary>
/// Everything the emulator knows, behind one lock: accounts, events, statuses, limits, faults and
/// ground truth. Time only moves through <see cref="TimeProvider"/>; arrivals, deletions and create
/// processing that are due are materialised lazily on each request, in time order, from seeded
/// randoms, so the same seed and the same clock give the same state. Scripted bursts join that stream at their
/// instant; a clock that jumps days materialises everything due in between, in order.
/// </summary>
internal sealed partial class EmulatorState
{
    private readonly Lock _gate = new();
    private readonly EmulatorScenario _scenario;
    private readonly Random _scenarioRandom;
    private readonly Random _apiRandom;
    private readonly Random _faultRandom;
    private readonly Random _burstRandom;
    private readonly List<AccountState> _accounts = [];
    private readonly Dictionary<string, ApiKeyState> _keysBySecret = new(StringComparer.Ordinal);
    private readonly List<EmulatorEvent> _allEvents = [];
    private readonly PriorityQueue<StatusRecord, (long DueTicks, long Sequence)> _pendingStatuses = new();
    private readonly List<ActiveFault> _faults = [];
    private readonly Dictionary<EmulatorFaultKind, long> _faultsServed = [];
    private readonly double _arrivalsPerMinute;
    private readonly double _deletionsPerMinute;
    private DateTimeOffset _nextArrival = DateTimeOffset.MaxValue;
    private DateTimeOffset _nextDeletion = DateTimeOffset.MaxValue;
    private long _nextDueTicks = long.MaxValue;
    private long _statusSequence;
    private long _faultSequence;
    private long _unauthorized;
    private long _rateLimited;
    private long _quotaExceeded;
    private long _faultTooManyRequests;

    public EmulatorState(EmulatorScenario scenario, TimeProvider timeProvider, DateTimeOffset scenarioStart, TimeSpan statusProcessingDelay, TimeProvider? quotaClock = null)
    {
        _scenario = scenario;
        TimeProvider = timeProvider;
        QuotaClock = quotaClock ?? timeProvider;
        ScenarioStart = scenarioStart;
        StatusProcessingDelay = statusProcessingDelay;
        _scenarioRandom = new Random(scenario.Seed);
        _apiRandom = new Random(unchecked(scenario.Seed * 31 + 7));
        _faultRandom = new Random(unchecked(scenario.Seed * 31 + 13));
        _burstRandom = new Random(unchecked(scenario.Seed * 31 + 17));
        _arrivalsPerMinute = scenario.Arrivals.PerMinute;
        _deletionsPerMinute = scenario.Arrivals.DeletionsPerMinute;

        for (var i = 0; i < scenario.Accounts.Count; i++)
        {
            _accounts.Add(CreateAccount(scenario.Accounts[i]));
        }
        CreateBacklog();
        foreach (var fault in scenario.Faults ?? [])
        {
            AddFaultLocked(fault);
        }
        foreach (var burst in scenario.Bursts ?? [])
        {
            ScheduleBurstLocked(burst);
        }
        _scanDeletions.AddRange(scenario.ScanDeletions ?? []);
        InitializeReporting();
        if (_arrivalsPerMinute > 0)
        {
            _nextArrival = ScenarioStart + Gap(_arrivalsPerMinute);
        }
        if (_deletionsPerMinute > 0)
        {
            _nextDeletion = ScenarioStart + Gap(_deletionsPerMinute);
        }
        UpdateNextDue();
    }

    public TimeProvider TimeProvider { get; }
    public DateTimeOffset ScenarioStart { get; }
    public TimeSpan StatusProcessingDelay { get; }
    public IReadOnlyList<AccountState> Accounts => _accounts;
    public EmulatorLimits Limits => _scenario.Limits;

    public DateTimeOffset Now => TimeProvider.GetUtcNow();

    /// <summary>The clock the daily quota's UTC day is taken from (see <see cref="EmulatorOptions.QuotaTimeProvider"/>).</summary>
    public TimeProvider QuotaClock { get; }

    /// <summary>Applies every arrival, deletion and create processing due at or before <paramref name="now"/>.</summary>
    public void Materialize(DateTimeOffset now)
    {
        if (now.UtcTicks < Volatile.Read(ref _nextDueTicks))
        {
            return;
        }
        lock (_gate)
        {
            MaterializeLocked(now);
        }
    }

    private void MaterializeLocked(DateTimeOffset now)
    {
        while (true)
        {
            var statusDue = _pendingStatuses.TryPeek(out _, out var priority) ? priority.DueTicks : long.MaxValue;
            var next = Math.Min(Math.Min(Math.Min(_nextArrival.UtcTicks, _nextDeletion.UtcTicks), statusDue), NextBurstTicks);
            if (next > now.UtcTicks)
            {
                break;
            }
            if (next == NextBurstTicks)
            {
                ApplyBurst(_bursts.Dequeue(), new DateTimeOffset(next, TimeSpan.Zero));
            }
            else if (next == _nextArrival.UtcTicks)
            {
                var at = _nextArrival;
                GenerateArrival(at);
                _nextArrival = at + Gap(_arrivalsPerMinute);
            }
            else if (next == _nextDeletion.UtcTicks)
            {
                var at = _nextDeletion;
                GenerateDeletion(at);
                _nextDeletion = at + Gap(_deletionsPerMinute);
            }
            else
            {
                ProcessStatus(_pendingStatuses.Dequeue());
            }
        }
        UpdateNextDue();
    }

    private void UpdateNextDue()
    {
        var statusDue = _pendingStatuses.TryPeek(out _, out var priority) ? priority.DueTicks : long.MaxValue;
        Volatile.Write(ref _nextDueTicks, Math.Min(Math.Min(Math.Min(_nextArrival.UtcTicks, _nextDeletion.UtcTicks), statusDue), NextBurstTicks));
    }

    private TimeSpan Gap(double perMinute)
    {
        var minutes = -Math.Log(1 - _scenarioRandom.NextDouble()) / perMinute;
        return TimeSpan.FromTicks(Math.Max(1, (long)(minutes * TimeSpan.TicksPerMinute)));
    }

    private AccountState CreateAccount(EmulatorAccountSpec spec)
    {
        var random = _scenarioRandom;
        var accountId = spec.AccountId ?? random.Next(10_000, 1_000_000);
        var account = new AccountState(
            spec.Name,
            accountId,
            spec.Seats,
            EmailDomain(spec.Name),
            firstTypeId: 2_372_000_000L + random.Next(0, 100_000) * 10L,
            firstUserId: 30_000_000L + random.Next(0, 9_000_000));
        var userCount = Math.Clamp(spec.Seats, 10, 250);
        for (var i = 0; i < userCount; i++)
        {
            var first = SeedCatalogue.FirstNames[random.Next(SeedCatalogue.FirstNames.Count)];
            var last = SeedCatalogue.LastNames[random.Next(SeedCatalogue.LastNames.Count)];
            var email = $"{first}.{last}@{account.EmailDomain}";
            for (var n = 2; account.HasUser(email); n++)
            {
                email = $"{first}.{last}{n}@{account.EmailDomain}";
            }
            account.AddUser(email, archived: random.NextDouble() < 0.03);
        }
        foreach (var template in SeedCatalogue.EventTypes)
        {
            account.GetOrAddEventType(template.Name, template.Description);
        }
        var secrets = spec.ApiKeys is { Count: > 0 } given ? given : [DemoKey.Create(random, accountId)];
        for (var k = 0; k < secrets.Count; k++)
        {
            var key = new ApiKeyState($"{spec.Name} key {k + 1}", secrets[k], account, generated: spec.ApiKeys is not { Count: > 0 });
            account.Keys.Add(key);
            _keysBySecret.Add(key.Secret, key);
        }
        return account;
    }

    private static string EmailDomain(string accountName)
    {
        var slug = new StringBuilder();
        foreach (var c in accountName.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }
        var text = slug.ToString().Trim('-');
        return (text.Length == 0 ? "account" : text) + ".example.com";
    }

    private void CreateBacklog()
    {
        var backlog = _scenario.Backlog;
        if (backlog.Events == 0)
        {
            return;
        }
        var random = _scenarioRandom;
        var spanMs = (long)TimeSpan.FromDays(backlog.Days).TotalMilliseconds;
        var start = Truncate(ScenarioStart);
        var perAccount = _accounts.Select(_ => new List<EmulatorEvent>()).ToArray();
        for (var i = 0; i < backlog.Events; i++)
        {
            var index = _accounts.Count == 1 ? 0 : random.Next(_accounts.Count);
            var account = _accounts[index];
            var generated = perAccount[index];
            DateTimeOffset occurred;
            if (generated.Count > 0 && random.NextDouble() < _scenario.Arrivals.SameMillisecondFraction)
            {
                occurred = generated[random.Next(generated.Count)].OccurredDate;
            }
            else
            {
                occurred = start.AddMilliseconds(-1 - random.NextInt64(spanMs));
            }
            var item = CreateRandomEvent(random, account, occurred, createdAt: occurred);
            generated.Add(item);
        }
        var all = new List<EmulatorEvent>(backlog.Events);
        for (var i = 0; i < _accounts.Count; i++)
        {
            _accounts[i].Events.AddRange(perAccount[i]);
            _accounts[i].Generated.AddRange(perAccount[i]);
            all.AddRange(perAccount[i]);
        }
        all.Sort(EventTimeline.Compare);
        _allEvents.AddRange(all);
    }

    private void GenerateArrival(DateTimeOffset at)
    {
        var random = _scenarioRandom;
        var arrivals = _scenario.Arrivals;
        var account = _accounts[_accounts.Count == 1 ? 0 : random.Next(_accounts.Count)];
        var roll = random.NextDouble();
        DateTimeOffset occurred;
        if (roll < arrivals.BackdatedFraction)
        {
            var day = new DateTimeOffset(at.UtcDateTime.Date, TimeSpan.Zero).AddDays(-random.Next(1, arrivals.BackdatedMaxDays + 1));
            occurred = random.NextDouble() < 0.5
                ? day
                : day.AddMilliseconds(random.NextInt64((long)TimeSpan.FromDays(1).TotalMilliseconds));
        }
        else if (roll < arrivals.BackdatedFraction + arrivals.SameMillisecondFraction && account.LastArrivalOccurred is { } previous)
        {
            occurred = previous;
        }
        else
        {
            occurred = Truncate(at);
            account.LastArrivalOccurred = occurred;
        }
        var item = CreateRandomEvent(random, account, occurred, createdAt: at);
        account.Generated.Add(item);
        Store(item);
    }

    private void GenerateDeletion(DateTimeOffset at)
    {
        var random = _scenarioRandom;
        var account = _accounts[_accounts.Count == 1 ? 0 : random.Next(_accounts.Count)];
        var generated = account.Generated;
        if (generated.Count == 0)
        {
            return;
        }
        var start = random.Next(generated.Count);
        for (var step = 0; step < generated.Count; step++)
        {
            var candidate = generated[(start + step) % generated.Count];
            if (candidate.DeletedAt is null)
            {
                Remove(candidate, at);
                return;
            }
        }
    }

    private static EmulatorEvent CreateRandomEvent(Random random, AccountState account, DateTimeOffset occurred, DateTimeOffset createdAt)
    {
        var pick = random.Next(SeedCatalogue.TotalWeight);
        var template = SeedCatalogue.EventTypes[0];
        foreach (var candidate in SeedCatalogue.EventTypes)
        {
            if (pick < candidate.Weight)
            {
                template = candidate;
                break;
            }
            pick -= candidate.Weight;
        }
        var type = account.GetOrAddEventType(template.Name, template.Description);
        var user = account.Users[random.Next(account.Users.Count)];
        var id = NewId(random);
        var risk = Math.Clamp(template.BaseRisk + random.Next(-2, 3), -10, 10);
        var decay = random.Next(2);
        DateOnly? expire = random.NextDouble() < 0.9 ? DateOnly.FromDateTime(occurred.UtcDateTime).AddMonths(1) : null;
        var externalId = random.NextDouble() < 0.6
            ? string.Create(CultureInfo.InvariantCulture, $"{template.ExternalIdPrefix}-{random.Next(100_000, 1_000_000)}")
            : null;
        var source = random.NextDouble() < 0.9 ? template.Sources[random.Next(template.Sources.Count)] : null;
        var description = template.Descriptions[random.Next(template.Descriptions.Count)];
        string? metadata = null;
        if (random.NextDouble() < 0.5)
        {
            metadata = template.Name switch
            {
                "Blocked Website Visit" => EmulatorJson.ToText(EmulatorJson.Render(
                    SeedCatalogue.BlockedDomains[random.Next(SeedCatalogue.BlockedDomains.Count)],
                    static (writer, domain) =>
                    {
                        writer.WriteStartObject();
                        writer.WriteString("url", $"https://{domain}/login");
                        writer.WriteString("action", "blocked");
                        writer.WriteEndObject();
                    })),
                "Password Lockout" => string.Create(CultureInfo.InvariantCulture, $"{{\"failed_attempts\":{random.Next(5, 21)}}}"),
                _ => null,
            };
        }
        return new EmulatorEvent
        {
            Id = id,
            Account = account,
            User = user,
            Type = type,
            OccurredDate = occurred,
            ExternalId = externalId,
            Source = source,
            Description = description,
            RiskLevel = risk,
            RiskDecayMode = decay,
            RiskExpireDate = expire,
            MetadataJson = metadata,
            CreatedAt = createdAt,
        }.Render();
    }

    private void Store(EmulatorEvent item)
    {
        item.Account.Events.Add(item);
        _allEvents.Add(item);
    }

    private static void Remove(EmulatorEvent item, DateTimeOffset at)
    {
        item.Account.Events.Remove(item.Id, out _);
        item.DeletedAt = at;
    }

    /// <summary>A UUID v4 string made from the seeded random (random, not time-ordered, like KnowBe4's).</summary>
    internal static string NewId(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }

    internal static DateTimeOffset Truncate(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    private sealed class ActiveFault(string id, EmulatorFault spec)
    {
        public string Id { get; } = id;
        public EmulatorFault Spec { get; } = spec;
        public long Matches { get; set; }
    }
}
