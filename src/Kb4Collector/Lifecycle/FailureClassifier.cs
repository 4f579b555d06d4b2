using System.Globalization;
using Kb4Collector.Configuration;
using Kb4Collector.Delivery;
using Kb4Collector.KnowBe4;
using LiteDB;

namespace Kb4Collector.Lifecycle;

/// <summary>Maps every failure of a source's work to Sumo's error classes (DESIGN §4).</summary>
public static class FailureClassifier
{
    /// <param name="error">What the source's work threw.</param>
    /// <param name="everAuthenticated">Whether this source's current configuration has ever had an authenticated call succeed.</param>
    public static FailureClassification Classify(Exception error, bool everAuthenticated)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            SourceConfigurationException configuration =>
                new(ErrorClass.ThirdPartyConfig, $"Invalid source configuration: {configuration.Message}"),
            Storage.StorageUnavailableException storage =>
                new(ErrorClass.ThirdPartyConfig, $"Local storage cannot be used: {storage.Message}"),
            KnowBe4ApiException api => ClassifyApiFailure(api, everAuthenticated),
            SinkException sink =>
                new(ErrorClass.FirstPartyGeneric, $"The HTTP log sink {sink.Endpoint} did not accept a batch ({Status(sink.StatusCode)}): {sink.Message}", sink.RetryAfter),
            LiteException or IOException =>
                new(ErrorClass.FirstPartyGeneric, $"Local storage failed ({error.GetType().Name}): {error.Message}"),
            _ => new(ErrorClass.FirstPartyGeneric, $"Unexpected {error.GetType().Name} in the source runner: {error.Message}"),
        };
    }

    private static FailureClassification ClassifyApiFailure(KnowBe4ApiException api, bool everAuthenticated)
    {
        var call = $"KnowBe4 {api.Endpoint} ({Status(api.StatusCode)})";
        return api.Kind switch
        {
            // The client reports a 500 as Unauthorized until one of its own calls has succeeded (KnowBe4 answers a wrong
            // key or region that way), and as ServerError after that. A key that worked in an earlier run of the same
            // configuration is not wrong: its 500 is an outage, retried like any other.
            KnowBe4FailureKind.Unauthorized when api.StatusCode == 500 && everAuthenticated =>
                new(ErrorClass.ThirdPartyGeneric, $"{call} failed (ServerError) although this API key has worked before: {api.Message}"),
            KnowBe4FailureKind.Unauthorized when api.StatusCode == 500 =>
                new(ErrorClass.ThirdPartyConfig, $"{call} failed before the source ever authenticated; KnowBe4 answers a wrong API key or region this way: {api.Message}"),
            KnowBe4FailureKind.Unauthorized =>
                new(ErrorClass.ThirdPartyConfig, $"{call} refused the API key: {api.Message}"),
            KnowBe4FailureKind.Redirected =>
                new(ErrorClass.ThirdPartyConfig, $"{call} answered with a redirect, which is not followed: {api.Message}"),
            KnowBe4FailureKind.QuotaExhausted =>
                // The message says which limit: the User Event API's daily quota, or a Reporting key's minute or daily window.
                FailureClassification.QuotaExhausted($"{call}: a call limit of this API key is reached: {api.Message}", api.RetryAfter),
            // RateLimited, ServerError (5xx, 408; a 500 once a call of the run succeeded, even before the first poll
            // completed), Timeout, Network, MalformedBody, and NotFound/BadRequest on the collection path.
            _ => new(ErrorClass.ThirdPartyGeneric, $"{call} failed ({api.Kind}): {api.Message}", api.RetryAfter),
        };
    }

    private static string Status(int? statusCode) =>
        statusCode is { } code ? "HTTP " + code.ToString(CultureInfo.InvariantCulture) : "no HTTP answer";
}
