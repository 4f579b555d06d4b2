namespace Kb4Collector.KnowBe4;

/// <summary>What went wrong on a User Event API call, as the collector needs to tell it apart.</summary>
public enum KnowBe4FailureKind
{
    /// <summary>401/403, or a 500 answered to a key that has never authenticated (KnowBe4 does that for a wrong key or region).</summary>
    Unauthorized,

    /// <summary>The account's daily call quota is spent (429 <c>{"message":"Limit Exceeded"}</c>).</summary>
    QuotaExhausted,

    /// <summary>Too many requests per second (429 other than the daily quota).</summary>
    RateLimited,

    /// <summary>404 for an id that does not exist.</summary>
    NotFound,

    /// <summary>400/422: the request itself was refused (for example a create without a target user).</summary>
    BadRequest,

    /// <summary>5xx (other than the unauthenticated 500) or 408.</summary>
    ServerError,

    /// <summary>No complete answer within the client's timeout.</summary>
    Timeout,

    /// <summary>Connection refused, reset or closed before an HTTP answer.</summary>
    Network,

    /// <summary>A 2xx whose body is not the JSON the API documents, is truncated, or exceeds the size cap.</summary>
    MalformedBody,

    /// <summary>
    /// A 2xx page whose paging cannot be followed to an end: <c>next_page</c> not after <c>current_page</c>, a page
    /// other than the one asked for, or a page beyond <c>total_pages</c>. Following it would spend the day's calls
    /// on a loop; it is a third-party failure (ThirdPartyGeneric) like a malformed body.
    /// </summary>
    MalformedPaging,

    /// <summary>
    /// A 3xx. Redirects are never followed (the key would travel to wherever Location points); the base URL is wrong
    /// or KnowBe4 moved, which retrying does not fix: a configuration error naming the Location.
    /// </summary>
    Redirected,
}
