using Kb4Collector.KnowBe4;

namespace Kb4Collector.Tests.KnowBe4;

public sealed class EventQueryTests
{
    [Fact]
    public void EmptyQueryHasNoQueryString()
    {
        Assert.Equal("", new EventQuery().ToQueryString());
        Assert.Equal("", new StatusQuery().ToQueryString());
    }

    [Fact]
    public void EveryFilterIsWrittenWithItsApiNameAndEscaped()
    {
        var query = new EventQuery
        {
            Page = 2,
            PerPage = 100,
            EventType = "User submitted SPAM & more",
            TargetUser = "jane+kb4@example.com",
            ExternalId = "INC/42?x=1",
            Source = "Help desk #3",
            OccurredDate = new DateOnly(2024, 2, 29),
            RiskLevel = -10,
            RiskDecayMode = 1,
            RiskExpireDate = new DateOnly(2024, 3, 31),
            OrderBy = EventOrderBy.OccurredDate,
            OrderDirection = SortDirection.Asc,
        };

        Assert.Equal(
            "?page=2&per_page=100&event_type=User%20submitted%20SPAM%20%26%20more&target_user=jane%2Bkb4%40example.com"
            + "&external_id=INC%2F42%3Fx%3D1&source=Help%20desk%20%233&occurred_date=2024-02-29&risk_level=-10"
            + "&risk_decay_mode=1&risk_expire_date=2024-03-31&order_by=occurred_date&order_direction=asc",
            query.ToQueryString());
    }

    [Theory]
    [InlineData(EventOrderBy.Id, SortDirection.Desc, "?order_by=id&order_direction=desc")]
    [InlineData(EventOrderBy.EventType, SortDirection.Asc, "?order_by=event_type&order_direction=asc")]
    public void SortKeysUseTheApiSpelling(EventOrderBy orderBy, SortDirection direction, string expected)
    {
        Assert.Equal(expected, new EventQuery { OrderBy = orderBy, OrderDirection = direction }.ToQueryString());
    }

    [Fact]
    public void OnlySetValuesAppear()
    {
        Assert.Equal("?risk_level=0", new EventQuery { RiskLevel = 0 }.ToQueryString());
        Assert.Equal("?occurred_date=2024-01-05", new EventQuery { OccurredDate = new DateOnly(2024, 1, 5) }.ToQueryString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-1)]
    public void PerPageOutsideOneToHundredIsRefused(int perPage)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventQuery { PerPage = perPage });
        Assert.Throws<ArgumentOutOfRangeException>(() => new StatusQuery { PerPage = perPage });
    }

    [Fact]
    public void OutOfRangeValuesAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventQuery { Page = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventQuery { RiskLevel = 11 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventQuery { RiskLevel = -11 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventQuery { RiskDecayMode = 2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CreateEventRequest("a@b.c", "t") { RiskLevel = 11 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CreateEventRequest("a@b.c", "t") { RiskDecayMode = -1 });
    }

    [Fact]
    public void PageCanBeAdvancedWithWith()
    {
        var first = new EventQuery { PerPage = 100, OccurredDate = new DateOnly(2024, 1, 1) };

        Assert.Equal("?page=3&per_page=100&occurred_date=2024-01-01", (first with { Page = 3 }).ToQueryString());
    }

    [Fact]
    public void StatusQueryWritesPagingAndProcessed()
    {
        Assert.Equal("?page=2&per_page=10&processed=false", new StatusQuery { Page = 2, PerPage = 10, Processed = false }.ToQueryString());
        Assert.Equal("?processed=true", new StatusQuery { Processed = true }.ToQueryString());
    }
}
