namespace Kb4Collector.KnowBe4;

/// <summary>Kaminari-style paging of <c>GET /events</c> (spec §2.1).</summary>
public sealed record PageMeta(
    int Count = 0,
    int LimitValue = 0,
    int TotalPages = 0,
    int CurrentPage = 0,
    int? NextPage = null,
    int? PrevPage = null,
    bool IsFirstPage = false,
    bool IsLastPage = false,
    bool IsOutOfRange = false);

/// <summary>One page of <c>GET /events</c>, typed.</summary>
public sealed record EventPage(IReadOnlyList<UserEvent> Events, PageMeta Meta);
