using Kb4Collector.Storage;
using LiteDB;

namespace Kb4Collector.Health;

/// <summary>
/// Health events in LiteDB (<c>health_events</c>). A problem that repeats while its event is unresolved updates
/// that event (count, last time, latest description) instead of adding one; a recovery resolves the source's
/// open events and records a Healthy event for each. Safe to call from several threads (LiteDB serialises writes).
/// </summary>
public sealed class HealthEventStore
{
    public const string CollectionName = "health_events";

    /// <summary>Resolved events are kept this long after they were resolved; open ones are kept until they resolve.</summary>
    public static readonly TimeSpan ResolvedRetention = TimeSpan.FromDays(90);

    private readonly ILiteCollection<HealthEventDocument> _events;

    public HealthEventStore(CollectorDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _events = database.Database.GetCollection<HealthEventDocument>(CollectionName);
        _events.EnsureIndex(e => e.SourceId);
        _events.EnsureIndex(e => e.Resolved);
    }

    /// <summary>Opens an Unhealthy event for the problem, or counts a repeat on the source's open event of the same name.</summary>
    public HealthEvent ReportUnhealthy(HealthResourceIdentity resource, HealthProblem problem, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(problem);
        var open = _events.FindOne(e => e.SourceId == resource.Id && !e.Resolved && e.EventName == problem.EventName);
        if (open is not null)
        {
            open.Count++;
            open.LastSeenAt = at;
            open.Description = problem.Description;
            open.Severity = problem.Severity;
            open.Name = problem.Name;
            _events.Update(open);
            return open.ToHealthEvent();
        }

        var created = NewDocument(resource, problem, HealthStatus.Unhealthy, at);
        _events.Insert(created);
        return created.ToHealthEvent();
    }

    /// <summary>
    /// Resolves every open event of the source and records a Healthy event (already resolved) for each, carrying
    /// <paramref name="description"/>. Returns the Healthy events; none when nothing was open.
    /// </summary>
    public IReadOnlyList<HealthEvent> Recover(HealthResourceIdentity resource, string description, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var healthy = new List<HealthEvent>();
        foreach (var open in ResolveOpen(resource.Id, at))
        {
            var recovery = NewDocument(resource, new HealthProblem(open.EventName, open.Severity, open.Name, description), HealthStatus.Healthy, at);
            recovery.Resolved = true;
            recovery.ResolvedAt = at;
            _events.Insert(recovery);
            healthy.Add(recovery.ToHealthEvent());
        }

        return healthy;
    }

    /// <summary>Resolves the source's open events without a recovery (the source was deleted). Returns how many.</summary>
    public int ResolveAll(string sourceId, DateTimeOffset at) => ResolveOpen(sourceId, at).Count;

    /// <summary>Unresolved events first, newest first within each group.</summary>
    public IReadOnlyList<HealthEvent> List(int limit = 100, string? sourceId = null, bool unresolvedOnly = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var unresolved = Newest(false, sourceId, limit);
        if (unresolvedOnly || unresolved.Count >= limit)
        {
            return unresolved;
        }

        return [.. unresolved, .. Newest(true, sourceId, limit - unresolved.Count)];
    }

    /// <summary>Deletes events resolved more than <see cref="ResolvedRetention"/> before <paramref name="now"/>; returns how many.</summary>
    public int Prune(DateTimeOffset now)
    {
        var cutoff = now - ResolvedRetention;
        return _events.DeleteMany(e => e.Resolved && e.ResolvedAt < cutoff);
    }

    private List<HealthEvent> Newest(bool resolved, string? sourceId, int limit)
    {
        var query = _events.Query().Where(e => e.Resolved == resolved);
        if (sourceId is not null)
        {
            query = query.Where(e => e.SourceId == sourceId);
        }

        return query.OrderByDescending(e => e.Id).Limit(limit).ToEnumerable().Select(e => e.ToHealthEvent()).ToList();
    }

    private List<HealthEventDocument> ResolveOpen(string sourceId, DateTimeOffset at)
    {
        var open = _events.Find(e => e.SourceId == sourceId && !e.Resolved).ToList();
        foreach (var document in open)
        {
            document.Resolved = true;
            document.ResolvedAt = at;
            _events.Update(document);
        }

        return open;
    }

    private static HealthEventDocument NewDocument(HealthResourceIdentity resource, HealthProblem problem, HealthStatus status, DateTimeOffset at) => new()
    {
        EventId = Guid.NewGuid(),
        SourceId = resource.Id,
        SourceName = resource.Name,
        CollectorId = resource.CollectorId,
        CollectorName = resource.CollectorName,
        EventName = problem.EventName,
        Severity = problem.Severity,
        Status = status,
        Name = problem.Name,
        Description = problem.Description,
        EventTime = at,
        LastSeenAt = at,
        Count = 1,
    };
}
