namespace Kb4Collector.KnowBe4;

/// <summary>The five KnowBe4 regions that host a User Event API.</summary>
public enum KnowBe4Region
{
    Us,
    Eu,
    Ca,
    Uk,
    De,
}

/// <summary>Maps regions to their User Event API base URLs (spec §1.1).</summary>
public static class KnowBe4Regions
{
    private static readonly Uri s_us = new("https://api.events.knowbe4.com/");
    private static readonly Uri s_eu = new("https://api-eu.events.knowbe4.com/");
    private static readonly Uri s_ca = new("https://api-ca.events.knowbe4.com/");
    private static readonly Uri s_uk = new("https://api-uk.events.knowbe4.com/");
    private static readonly Uri s_de = new("https://api-de.events.knowbe4.com/");

    private static readonly Dictionary<string, KnowBe4Region> s_documentedHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["api.events.knowbe4.com"] = KnowBe4Region.Us,
        ["api-eu.events.knowbe4.com"] = KnowBe4Region.Eu,
        ["api-ca.events.knowbe4.com"] = KnowBe4Region.Ca,
        ["api-uk.events.knowbe4.com"] = KnowBe4Region.Uk,
        ["api-de.events.knowbe4.com"] = KnowBe4Region.De,
        ["training.knowbe4.com"] = KnowBe4Region.Us,
        ["eu.knowbe4.com"] = KnowBe4Region.Eu,
        ["ca.knowbe4.com"] = KnowBe4Region.Ca,
        ["uk.knowbe4.com"] = KnowBe4Region.Uk,
        ["de.knowbe4.com"] = KnowBe4Region.De,
        ["us.api.knowbe4.com"] = KnowBe4Region.Us,
        ["eu.api.knowbe4.com"] = KnowBe4Region.Eu,
        ["ca.api.knowbe4.com"] = KnowBe4Region.Ca,
        ["uk.api.knowbe4.com"] = KnowBe4Region.Uk,
        ["de.api.knowbe4.com"] = KnowBe4Region.De,
    };

    /// <summary>The region names as the command line and the source configs spell them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["us", "eu", "ca", "uk", "de"];

    /// <summary>The regions as a source config spells them, for messages.</summary>
    public static string RegionList => "US, EU, CA, UK, DE";

    public static IReadOnlyList<Uri> BaseUrls { get; } = [s_us, s_eu, s_ca, s_uk, s_de];

    public static Uri BaseUrl(KnowBe4Region region) => region switch
    {
        KnowBe4Region.Us => s_us,
        KnowBe4Region.Eu => s_eu,
        KnowBe4Region.Ca => s_ca,
        KnowBe4Region.Uk => s_uk,
        KnowBe4Region.De => s_de,
        _ => throw new ArgumentOutOfRangeException(nameof(region), region, "Unknown KnowBe4 region."),
    };

    /// <summary>The region's Reporting API base URL (<c>https://us.api.knowbe4.com/</c>, …): a different host, key and limits from the User Event API.</summary>
    public static Uri ReportingBaseUrl(KnowBe4Region region) => new($"https://{region.ToString().ToLowerInvariant()}.api.knowbe4.com/");

    /// <summary>Parses "us", "EU", "Ca"... (case-insensitive, surrounding blanks ignored).</summary>
    public static bool TryParse(string? value, out KnowBe4Region region)
    {
        switch (value?.Trim().ToUpperInvariant())
        {
            case "US": region = KnowBe4Region.Us; return true;
            case "EU": region = KnowBe4Region.Eu; return true;
            case "CA": region = KnowBe4Region.Ca; return true;
            case "UK": region = KnowBe4Region.Uk; return true;
            case "DE": region = KnowBe4Region.De; return true;
            default: region = default; return false;
        }
    }

    /// <summary>The region whose API host <paramref name="url"/> names, or null for any other host.</summary>
    public static KnowBe4Region? RegionOf(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        foreach (var region in Enum.GetValues<KnowBe4Region>())
        {
            if (url.IsAbsoluteUri && string.Equals(url.IdnHost, BaseUrl(region).IdnHost, StringComparison.OrdinalIgnoreCase))
            {
                return region;
            }
        }
        return null;
    }

    /// <summary>
    /// The region of any host the KnowBe4 and Sumo Logic documentation shows a user: the console host
    /// (<c>training.knowbe4.com</c>, <c>eu.knowbe4.com</c>, …), the Reporting API host (<c>us.api.knowbe4.com</c>, …)
    /// or the User Event API host (<c>api.events.knowbe4.com</c>, <c>api-eu.events.knowbe4.com</c>, …); null for any other host.
    /// Each maps to the region's User Event API (<see cref="BaseUrl"/>). Scheme, port and path are not checked here.
    /// </summary>
    public static KnowBe4Region? RegionOfDocumentedHost(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsAbsoluteUri && s_documentedHosts.TryGetValue(url.IdnHost, out var region) ? region : null;
    }

    /// <summary>Every documented host, by region: User Event API, console, Reporting API.</summary>
    public static IReadOnlyList<string> DocumentedHosts { get; } = [.. s_documentedHosts.Keys];

    /// <summary>
    /// True when the URL points at one of the five official User Event API hosts on the scheme's default port.
    /// The scheme itself is not checked here.
    /// </summary>
    public static bool IsKnowBe4Host(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || !url.IsDefaultPort)
        {
            return false;
        }
        var host = url.IdnHost;
        return string.Equals(host, s_us.IdnHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, s_eu.IdnHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, s_ca.IdnHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, s_uk.IdnHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, s_de.IdnHost, StringComparison.OrdinalIgnoreCase);
    }
}
