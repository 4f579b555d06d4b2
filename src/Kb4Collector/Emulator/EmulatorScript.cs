using System.Text.Json.Serialization;

namespace Kb4Collector.Emulator;

/// <summary>Where on its UTC day a burst puts the occurred dates of the events it creates.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EmulatorBurstTime>))]
public enum EmulatorBurstTime
{
    /// <summary>Seeded random milliseconds of the day, never later than the burst itself.</summary>
    Spread,

    /// <summary>All on one seeded random millisecond of the day (never later than the burst).</summary>
    SharedMillisecond,

    /// <summary>All at 00:00:00.000 of the day.</summary>
    Midnight,

    /// <summary>All at 23:59:59.999 of the day (in the future when the day is the burst's own).</summary>
    LastMillisecond,
}

/// <summary>
/// A scripted change of the account at one instant of the emulator clock: <see cref="Create"/> events on one UTC day
/// and <see cref="Delete"/> existing events of another, applied lazily (like the arrivals) once the clock reaches
/// <see cref="At"/>. Days are absolute (<see cref="CreateOn"/>, <see cref="DeleteOn"/>) or counted back from the burst's
/// own UTC day (<see cref="CreateDaysBack"/>, <see cref="DeleteDaysBack"/>). Which events are deleted is picked by a
/// random seeded from the scenario seed, so the same scenario and clock delete the same ids.
/// </summary>
public sealed record EmulatorBurst
{
    public EmulatorTime At { get; init; }

    /// <summary>Account name; the first account when null.</summary>
    public string? Account { get; init; }

    public int Create { get; init; }
    public DateOnly? CreateOn { get; init; }
    public int CreateDaysBack { get; init; }
    public EmulatorBurstTime CreateAt { get; init; } = EmulatorBurstTime.Spread;

    /// <summary>How many live events of the delete day to delete (all of them when the day has fewer).</summary>
    public int Delete { get; init; }
    public DateOnly? DeleteOn { get; init; }
    public int DeleteDaysBack { get; init; }

    internal DateOnly CreateDay(DateTimeOffset at) => CreateOn ?? DateOnly.FromDateTime(at.UtcDateTime).AddDays(-CreateDaysBack);

    internal DateOnly DeleteDay(DateTimeOffset at) => DeleteOn ?? DateOnly.FromDateTime(at.UtcDateTime).AddDays(-DeleteDaysBack);

    internal IEnumerable<(string Field, string Problem)> Problems()
    {
        if (Create is < 0 or > 1_000_000)
        {
            yield return ("create", $"must be between 0 and 1000000 (got {Create})");
        }
        if (Delete is < 0 or > 1_000_000)
        {
            yield return ("delete", $"must be between 0 and 1000000 (got {Delete})");
        }
        if (CreateDaysBack is < 0 or > 3650)
        {
            yield return ("createDaysBack", $"must be between 0 and 3650 (got {CreateDaysBack})");
        }
        if (DeleteDaysBack is < 0 or > 3650)
        {
            yield return ("deleteDaysBack", $"must be between 0 and 3650 (got {DeleteDaysBack})");
        }
        if (!Enum.IsDefined(CreateAt))
        {
            yield return ("createAt", $"must be spread, sharedMillisecond, midnight or lastMillisecond (got {CreateAt})");
        }
    }
}

/// <summary>
/// Deletes events under a reader: the first List Events call for page <see cref="Page"/> filtered on
/// <c>occurred_date=</c><see cref="Day"/> (or, when <see cref="Day"/> is null, one without that filter) first deletes the
/// <see cref="Count"/> events at 0-based positions <see cref="Position"/>.. of that listing <em>in the call's own order</em>,
/// then serves the page. Positions before <c>(Page - 1) × per_page</c> are events the scan has already passed; later
/// ones are still unread. Fires once.
/// </summary>
public sealed record EmulatorScanDeletion
{
    public DateOnly? Day { get; init; }
    public int Page { get; init; } = 2;
    public int Position { get; init; }
    public int Count { get; init; } = 1;

    /// <summary>Account name; the first account when null.</summary>
    public string? Account { get; init; }

    internal IEnumerable<(string Field, string Problem)> Problems()
    {
        if (Page < 1)
        {
            yield return ("page", $"must be 1 or more (got {Page})");
        }
        if (Position < 0)
        {
            yield return ("position", $"must be 0 or more (got {Position})");
        }
        if (Count < 1)
        {
            yield return ("count", $"must be 1 or more (got {Count})");
        }
    }
}
