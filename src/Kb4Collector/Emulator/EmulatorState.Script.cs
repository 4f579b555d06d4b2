namespace Kb4Collector.Emulator;

/// <summary>Scripted bursts (applied as the clock reaches them) and deletions under a reader (applied as a page is served).</summary>
internal sealed partial class EmulatorState
{
    private readonly PriorityQueue<EmulatorBurst, (long DueTicks, long Sequence)> _bursts = new();
    private readonly List<EmulatorScanDeletion> _scanDeletions = [];
    private long _burstSequence;

    /// <summary>Schedules a burst; one already due is applied at the next request or ground-truth read.</summary>
    public void ScheduleBurst(EmulatorBurst burst)
    {
        ArgumentNullException.ThrowIfNull(burst);
        ThrowOnProblems("burst", burst.Problems(), burst.Account);
        lock (_gate)
        {
            ScheduleBurstLocked(burst);
            UpdateNextDue();
        }
    }

    /// <summary>Arms a deletion under a reader (see <see cref="EmulatorScanDeletion"/>).</summary>
    public void AddScanDeletion(EmulatorScanDeletion deletion)
    {
        ArgumentNullException.ThrowIfNull(deletion);
        ThrowOnProblems("scanDeletion", deletion.Problems(), deletion.Account);
        lock (_gate)
        {
            _scanDeletions.Add(deletion);
        }
    }

    private void ThrowOnProblems(string what, IEnumerable<(string Field, string Problem)> problems, string? account)
    {
        foreach (var (field, problem) in problems)
        {
            throw new EmulatorScenarioException(what, field, problem);
        }
        if (FindAccount(account) is null)
        {
            throw new EmulatorScenarioException(what, "account", $"no account is named '{account}'");
        }
    }

    private void ScheduleBurstLocked(EmulatorBurst burst) =>
        _bursts.Enqueue(burst, (burst.At.Resolve(ScenarioStart).UtcTicks, ++_burstSequence));

    private long NextBurstTicks => _bursts.TryPeek(out _, out var priority) ? priority.DueTicks : long.MaxValue;

    private void ApplyBurst(EmulatorBurst burst, DateTimeOffset at)
    {
        var random = _burstRandom;
        var account = FindAccount(burst.Account)!;
        if (burst.Create > 0)
        {
            var dayStart = new DateTimeOffset(burst.CreateDay(at).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
            var latest = Math.Min((long)TimeSpan.FromDays(1).TotalMilliseconds - 1, Math.Max(0, (long)(Truncate(at) - dayStart).TotalMilliseconds));
            var shared = dayStart.AddMilliseconds(random.NextInt64(latest + 1));
            for (var i = 0; i < burst.Create; i++)
            {
                var occurred = burst.CreateAt switch
                {
                    EmulatorBurstTime.SharedMillisecond => shared,
                    EmulatorBurstTime.Midnight => dayStart,
                    EmulatorBurstTime.LastMillisecond => dayStart.AddDays(1).AddMilliseconds(-1),
                    _ => dayStart.AddMilliseconds(random.NextInt64(latest + 1)),
                };
                var item = CreateRandomEvent(random, account, occurred, createdAt: at);
                account.Generated.Add(item);
                Store(item);
            }
        }
        if (burst.Delete > 0)
        {
            var (start, end) = account.Events.DayRange(burst.DeleteDay(at));
            var candidates = new List<EmulatorEvent>(end - start);
            for (var i = start; i < end; i++)
            {
                candidates.Add(account.Events[i]);
            }
            for (var deleted = 0; deleted < burst.Delete && candidates.Count > 0; deleted++)
            {
                var pick = random.Next(candidates.Count);
                Remove(candidates[pick], at);
                candidates[pick] = candidates[^1];
                candidates.RemoveAt(candidates.Count - 1);
            }
        }
    }

    /// <summary>Applies the armed deletions that match this List Events call, before its page is cut.</summary>
    private void ApplyScanDeletionsLocked(AccountState account, EventQuery query, DateTimeOffset now)
    {
        for (var r = 0; r < _scanDeletions.Count; r++)
        {
            var rule = _scanDeletions[r];
            if (rule.Day != query.OccurredDate || rule.Page != query.Paging.Page || FindAccount(rule.Account) != account)
            {
                continue;
            }
            _scanDeletions.RemoveAt(r--);
            var listed = Listing(account.Events, query);
            foreach (var item in listed.Skip(rule.Position).Take(rule.Count).ToList())
            {
                Remove(item, now);
            }
        }
    }
}
