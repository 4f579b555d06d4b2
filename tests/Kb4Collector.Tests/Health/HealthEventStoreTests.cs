using Kb4Collector.Health;
using Kb4Collector.Storage;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Health;

public sealed class HealthEventStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly HealthResourceIdentity SourceA = new("local", "collector-1", "a", "Source A");
    private static readonly HealthResourceIdentity SourceB = new("local", "collector-1", "b", "Source B");
    private static readonly HealthProblem ServerErrors = new(HealthEventNames.ThirdPartyGenericError, HealthSeverity.Error, "Third-party API error", "KnowBe4 GET /events (HTTP 503) failed");
    private static readonly HealthProblem Quota = new(HealthEventNames.ThirdPartyQuotaWarning, HealthSeverity.Warning, "KnowBe4 daily API quota exhausted", "GET /events (HTTP 429) Limit Exceeded");

    private readonly LifecycleTempFolder _folder = new();
    private readonly CollectorDatabase _database;
    private readonly HealthEventStore _store;

    public HealthEventStoreTests()
    {
        _database = CollectorDatabase.Open(_folder.Path);
        _store = new HealthEventStore(_database);
    }

    public void Dispose()
    {
        _database.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void AProblemOpensAnUnhealthyEventInSumosShape()
    {
        var raised = _store.ReportUnhealthy(SourceA, ServerErrors, T0);

        Assert.Equal(HealthStatus.Unhealthy, raised.Status);
        Assert.Equal("Health-Change", raised.EventType);
        Assert.Equal(HealthSeverity.Error, raised.SeverityLevel);
        Assert.Equal(HealthEventNames.ThirdPartyGenericError, raised.EventName);
        Assert.Equal(new HealthEventDetails(HealthEventNames.ThirdPartyGenericError, "Third-party API error", ServerErrors.Description), raised.Details);
        Assert.Equal(SourceA, raised.ResourceIdentity);
        Assert.Equal("SourceResource", raised.ResourceIdentity.Type);
        Assert.Equal(T0, raised.EventTime);
        Assert.Equal(1, raised.Count);
        Assert.False(raised.Resolved);
        Assert.NotEqual(Guid.Empty, raised.EventId);
    }

    [Fact]
    public void ARepeatUpdatesTheOpenEventInsteadOfAddingOne()
    {
        var first = _store.ReportUnhealthy(SourceA, ServerErrors, T0);
        _store.ReportUnhealthy(SourceA, ServerErrors with { Description = "KnowBe4 GET /events (HTTP 502) failed" }, T0.AddMinutes(1));
        var third = _store.ReportUnhealthy(SourceA, ServerErrors, T0.AddMinutes(2));

        var all = _store.List();
        var only = Assert.Single(all);
        Assert.Equal(first.EventId, only.EventId);
        Assert.Equal(third, only);
        Assert.Equal(3, only.Count);
        Assert.Equal(T0, only.EventTime);
        Assert.Equal(T0.AddMinutes(2), only.LastSeenAt);
    }

    [Fact]
    public void DifferentNamesAndDifferentSourcesGetTheirOwnEvents()
    {
        _store.ReportUnhealthy(SourceA, ServerErrors, T0);
        _store.ReportUnhealthy(SourceA, Quota, T0.AddMinutes(1));
        _store.ReportUnhealthy(SourceB, ServerErrors, T0.AddMinutes(2));

        Assert.Equal(3, _store.List().Count);
        Assert.Equal(2, _store.List(sourceId: "a").Count);
    }

    [Fact]
    public void RecoveryResolvesTheOpenEventsAndRecordsHealthyOnes()
    {
        _store.ReportUnhealthy(SourceA, ServerErrors, T0);
        _store.ReportUnhealthy(SourceB, ServerErrors, T0);

        var healthy = Assert.Single(_store.Recover(SourceA, "Collection resumed", T0.AddMinutes(30)));

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(HealthEventNames.ThirdPartyGenericError, healthy.EventName);
        Assert.Equal("Collection resumed", healthy.Details.Description);
        Assert.True(healthy.Resolved);
        var resolved = Assert.Single(_store.List(sourceId: "a"), e => e.Status == HealthStatus.Unhealthy);
        Assert.Equal(T0.AddMinutes(30), resolved.ResolvedAt);
        Assert.Single(_store.List(unresolvedOnly: true));
        Assert.Empty(_store.Recover(SourceA, "again", T0.AddMinutes(31)));
    }

    [Fact]
    public void AfterRecoveryTheSameProblemOpensANewEvent()
    {
        var first = _store.ReportUnhealthy(SourceA, ServerErrors, T0);
        _store.Recover(SourceA, "Collection resumed", T0.AddMinutes(1));

        var second = _store.ReportUnhealthy(SourceA, ServerErrors, T0.AddMinutes(2));

        Assert.NotEqual(first.EventId, second.EventId);
        Assert.Equal(1, second.Count);
    }

    [Fact]
    public void ListingShowsUnresolvedFirstAndNewestFirstWithin()
    {
        _store.ReportUnhealthy(SourceA, ServerErrors, T0);
        _store.Recover(SourceA, "Collection resumed", T0.AddMinutes(1));
        _store.ReportUnhealthy(SourceB, ServerErrors, T0.AddMinutes(2));
        _store.ReportUnhealthy(SourceA, Quota, T0.AddMinutes(3));

        var listed = _store.List();

        Assert.Equal(
            [
                (SourceA.Id, HealthEventNames.ThirdPartyQuotaWarning, false),
                (SourceB.Id, HealthEventNames.ThirdPartyGenericError, false),
                (SourceA.Id, HealthEventNames.ThirdPartyGenericError, true),
                (SourceA.Id, HealthEventNames.ThirdPartyGenericError, true),
            ],
            listed.Select(e => (e.ResourceIdentity.Id, e.EventName, e.Resolved)));
        Assert.Equal(HealthStatus.Healthy, listed[2].Status);
        Assert.Equal(2, _store.List(limit: 2).Count);
        Assert.Equal(3, _store.List(limit: 3).Count);
    }

    [Fact]
    public void ResolvingADeletedSourcesEventsAddsNoRecovery()
    {
        _store.ReportUnhealthy(SourceA, ServerErrors, T0);
        _store.ReportUnhealthy(SourceA, Quota, T0);

        Assert.Equal(2, _store.ResolveAll(SourceA.Id, T0.AddMinutes(1)));
        Assert.Empty(_store.List(unresolvedOnly: true));
        Assert.Equal(2, _store.List().Count);
    }

    [Fact]
    public void EventsSurviveReopeningTheDatabase()
    {
        var raised = _store.ReportUnhealthy(SourceA, ServerErrors, T0.AddTicks(1234));
        _database.Dispose();

        using var reopened = CollectorDatabase.Open(_folder.Path);
        var stored = Assert.Single(new HealthEventStore(reopened).List());

        Assert.Equal(raised.EventId, stored.EventId);
        Assert.Equal(T0, stored.EventTime); // LiteDB keeps milliseconds
        Assert.Equal(TimeSpan.Zero, stored.EventTime.Offset);
    }
}
