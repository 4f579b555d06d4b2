namespace Kb4Collector.Configuration;

/// <summary>The five KnowBe4 User Event API regions and their base URLs.</summary>
public static class KnowBe4Regions
{
    public static IReadOnlyDictionary<string, Uri> BaseUrls { get; } = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase)
    {
        ["US"] = new("https://api.events.knowbe4.com/"),
        ["EU"] = new("https://api-eu.events.knowbe4.com/"),
        ["CA"] = new("https://api-ca.events.knowbe4.com/"),
        ["UK"] = new("https://api-uk.events.knowbe4.com/"),
        ["DE"] = new("https://api-de.events.knowbe4.com/"),
    };

    public static string RegionList => string.Join(", ", BaseUrls.Keys);

    public static bool TryGetBaseUrl(string region, out Uri baseUrl) => BaseUrls.TryGetValue(region, out baseUrl!);

    /// <summary>The region whose host <paramref name="baseUrl"/> names, or null when it is not a KnowBe4 regional host.</summary>
    public static string? RegionOf(Uri baseUrl)
    {
        foreach (var (region, url) in BaseUrls)
        {
            if (string.Equals(url.Host, baseUrl.Host, StringComparison.OrdinalIgnoreCase))
            {
                return region;
            }
        }
        return null;
    }
}
