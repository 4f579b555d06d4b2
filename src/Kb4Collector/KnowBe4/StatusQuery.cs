namespace Kb4Collector.KnowBe4;

/// <summary>Page and filter of <c>GET /statuses</c>.</summary>
public sealed record StatusQuery
{
    /// <summary>1-based page number.</summary>
    public int? Page
    {
        get;
        init => field = value is null or >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Page), value, "The page must be 1 or more.");
    }

    /// <summary>Page size, 1 to 100.</summary>
    public int? PerPage
    {
        get;
        init => field = value is null or (>= 1 and <= EventQuery.MaxPerPage) ? value : throw new ArgumentOutOfRangeException(nameof(PerPage), value, $"per_page must be between 1 and {EventQuery.MaxPerPage}.");
    }

    /// <summary>Only processed (true) or only pending (false) create requests.</summary>
    public bool? Processed { get; init; }

    public string ToQueryString()
    {
        var builder = new QueryStringBuilder();
        builder.Add("page", Page);
        builder.Add("per_page", PerPage);
        builder.Add("processed", Processed);
        return builder.ToString();
    }
}
