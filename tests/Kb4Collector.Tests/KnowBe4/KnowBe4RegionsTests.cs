using Kb4Collector.KnowBe4;

namespace Kb4Collector.Tests.KnowBe4;

public sealed class KnowBe4RegionsTests
{
    [Theory]
    [InlineData(KnowBe4Region.Us, "https://api.events.knowbe4.com/")]
    [InlineData(KnowBe4Region.Eu, "https://api-eu.events.knowbe4.com/")]
    [InlineData(KnowBe4Region.Ca, "https://api-ca.events.knowbe4.com/")]
    [InlineData(KnowBe4Region.Uk, "https://api-uk.events.knowbe4.com/")]
    [InlineData(KnowBe4Region.De, "https://api-de.events.knowbe4.com/")]
    public void EachRegionHasItsBaseUrl(KnowBe4Region region, string expected)
    {
        Assert.Equal(new Uri(expected), KnowBe4Regions.BaseUrl(region));
        Assert.True(KnowBe4Regions.IsKnowBe4Host(KnowBe4Regions.BaseUrl(region)));
    }

    [Theory]
    [InlineData("us", KnowBe4Region.Us)]
    [InlineData("EU", KnowBe4Region.Eu)]
    [InlineData("Ca", KnowBe4Region.Ca)]
    [InlineData(" uk ", KnowBe4Region.Uk)]
    [InlineData("de", KnowBe4Region.De)]
    public void RegionNamesParseCaseInsensitively(string text, KnowBe4Region expected)
    {
        Assert.True(KnowBe4Regions.TryParse(text, out var region));
        Assert.Equal(expected, region);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("fr")]
    [InlineData("usa")]
    public void UnknownRegionsDoNotParse(string? text)
    {
        Assert.False(KnowBe4Regions.TryParse(text, out _));
    }

    [Theory]
    [InlineData("https://API-EU.events.knowbe4.com/events", true)]
    [InlineData("https://api.events.knowbe4.com", true)]
    [InlineData("https://api.events.knowbe4.com:8443/", false)]
    [InlineData("https://api.events.knowbe4.com.evil.example/", false)]
    [InlineData("https://eu.api.knowbe4.com/v1", false)]
    [InlineData("https://backend-api.events.knowbe4.com/", false)]
    [InlineData("http://127.0.0.1:8080/", false)]
    public void OnlyTheFiveOfficialHostsAreKnowBe4Hosts(string url, bool expected)
    {
        Assert.Equal(expected, KnowBe4Regions.IsKnowBe4Host(new Uri(url)));
    }
}
