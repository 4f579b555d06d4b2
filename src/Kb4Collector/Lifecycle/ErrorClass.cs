namespace Kb4Collector.Lifecycle;

/// <summary>Sumo's C2C error types; they decide whether and how long a source retries.</summary>
public enum ErrorClass
{
    /// <summary>The configuration cannot work (bad key, wrong region, invalid field): no retries until the config changes or the source is restarted.</summary>
    ThirdPartyConfig,

    /// <summary>KnowBe4 failed (5xx, 408, 429, timeout, reset, malformed body): retries for up to 90 minutes from the streak's first failure.</summary>
    ThirdPartyGeneric,

    /// <summary>The collector's own side failed (sink, LiteDB, an unexpected exception): the same 90-minute window.</summary>
    FirstPartyGeneric,
}
