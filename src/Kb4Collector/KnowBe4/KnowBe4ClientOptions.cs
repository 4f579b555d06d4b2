namespace Kb4Collector.KnowBe4;

/// <summary>Where and how <see cref="KnowBe4Client"/> calls the User Event API.</summary>
/// <param name="BaseUrl">The API's base URL, for example <c>https://api-eu.events.knowbe4.com</c> (a path prefix is kept).</param>
/// <param name="ApiKey">The User Event API key, sent as <c>Authorization: Bearer</c>. Never printed.</param>
public sealed record KnowBe4ClientOptions(Uri BaseUrl, string ApiKey)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public const int DefaultMaxResponseBytes = 16 * 1024 * 1024;

    /// <summary>How long one call may take, from sending the request to the last byte of the body.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The largest response body accepted; a bigger 2xx body is a <see cref="KnowBe4FailureKind.MalformedBody"/>.</summary>
    public int MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    // The key must never reach a log or an exception message through the record's generated ToString.
    public override string ToString() => $"KnowBe4ClientOptions {{ BaseUrl = {BaseUrl}, ApiKey = ********, Timeout = {Timeout}, MaxResponseBytes = {MaxResponseBytes} }}";
}
