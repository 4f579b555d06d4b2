namespace Kb4Collector.Emulator;

/// <summary>
/// One account's live events, kept sorted ascending by (occurred_date, id) so that the default order
/// (and a single UTC day of it) is paged by index, without sorting per request. Not thread-safe: the
/// emulator state guards it.
/// </summary>
internal sealed class EventTimeline
{
    private readonly List<EmulatorEvent> _ascending = [];
    private readonly Dictionary<string, EmulatorEvent> _byId = new(StringComparer.Ordinal);

    public int Count => _ascending.Count;

    public EmulatorEvent this[int index] => _ascending[index];

    public IReadOnlyList<EmulatorEvent> Ascending => _ascending;

    public static int Compare(EmulatorEvent left, EmulatorEvent right)
    {
        var byTime = left.OccurredTicks.CompareTo(right.OccurredTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(left.Id, right.Id);
    }

    public void Add(EmulatorEvent item)
    {
        _byId.Add(item.Id, item);
        var count = _ascending.Count;
        if (count == 0 || Compare(_ascending[count - 1], item) < 0)
        {
            _ascending.Add(item);
            return;
        }
        var index = _ascending.BinarySearch(item, Comparer<EmulatorEvent>.Create(Compare));
        _ascending.Insert(index < 0 ? ~index : index, item);
    }

    /// <summary>Adds many events at once (the backlog), sorting once.</summary>
    public void AddRange(IEnumerable<EmulatorEvent> items)
    {
        foreach (var item in items)
        {
            _byId.Add(item.Id, item);
            _ascending.Add(item);
        }
        _ascending.Sort(Compare);
    }

    public bool TryGet(string id, out EmulatorEvent item) => _byId.TryGetValue(id, out item!);

    public bool Remove(string id, out EmulatorEvent item)
    {
        if (!_byId.Remove(id, out item!))
        {
            return false;
        }
        var index = _ascending.BinarySearch(item, Comparer<EmulatorEvent>.Create(Compare));
        _ascending.RemoveAt(index);
        return true;
    }

    /// <summary>The index range [start, end) of events that occurred on <paramref name="day"/> (UTC).</summary>
    public (int Start, int End) DayRange(DateOnly day)
    {
        var dayStart = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks;
        return (LowerBound(dayStart), LowerBound(dayStart + TimeSpan.TicksPerDay));
    }

    /// <summary>The latest event by (occurred_date, id), or null.</summary>
    public EmulatorEvent? Latest => _ascending.Count == 0 ? null : _ascending[^1];

    private int LowerBound(long ticks)
    {
        int low = 0, high = _ascending.Count;
        while (low < high)
        {
            var middle = low + ((high - low) >> 1);
            if (_ascending[middle].OccurredTicks < ticks)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }
}
