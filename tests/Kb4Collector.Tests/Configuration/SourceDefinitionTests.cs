using Kb4Collector.Configuration;

namespace Kb4Collector.Tests.Configuration;

public sealed class SourceDefinitionTests
{
    private const string Key = "eyJhbGciOiJIUzI1NiJ9.cHJpdmF0ZS1rZXk.signature";

    private static SourceDefinition Definition(string name = "KnowBe4 US", string key = Key) => new()
    {
        Name = name,
        BaseUrl = new Uri("https://api.events.knowbe4.com/"),
        ApiKey = key,
        LicensedUsers = 100,
        SourceFile = "config/sources/us.json",
    };

    [Fact]
    public void PrintingTheRecordMasksTheKey()
    {
        var text = Definition().ToString();

        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.Contains("ApiKey = ********", text, StringComparison.Ordinal);
        Assert.Contains("Name = KnowBe4 US", text, StringComparison.Ordinal);
    }

    [Fact]
    public void DefinitionsWithTheSameSettingsAreEqual()
    {
        var original = Definition() with { Fields = new Dictionary<string, string> { ["a"] = "1" } };
        var copy = Definition() with { Fields = new Dictionary<string, string> { ["a"] = "1" } };

        Assert.Equal(original, copy);
        Assert.Equal(original.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(original, copy with { ApiKeyReference = "env:KB4_KEY" });
        Assert.NotEqual(original, copy with { Fields = new Dictionary<string, string> { ["a"] = "2" } });
    }

    [Fact]
    public void TheKeyFingerprintIsTheSha256HexPrefix()
    {
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Key)))[..16];

        Assert.Equal(expected, Definition().ApiKeyFingerprint);
    }

    [Theory]
    [InlineData("KnowBe4 US", "knowbe4-us-")]
    [InlineData("  Acme / EU  (prod) ", "acme-eu-prod-")]
    [InlineData("Ünïcode only ☃", "n-code-only-")]
    [InlineData("☃☃", "source-")]
    public void TheIdIsASlugPlusAHashOfTheName(string name, string prefix)
    {
        var id = SourceDefinition.IdFor(name);

        Assert.StartsWith(prefix, id, StringComparison.Ordinal);
        Assert.Equal(prefix.Length + 10, id.Length);
        Assert.Matches("^[a-z0-9-]+$", id);
    }

    [Fact]
    public void TheIdIgnoresCaseLikeNameUniqueness()
    {
        Assert.Equal(SourceDefinition.IdFor("KnowBe4 US"), SourceDefinition.IdFor("knowbe4 us"));
        Assert.NotEqual(SourceDefinition.IdFor("KnowBe4 US"), SourceDefinition.IdFor("KnowBe4-US"));
    }

    [Fact]
    public void TheIdSlugIsCappedAtFortyCharacters()
    {
        var id = SourceDefinition.IdFor(new string('a', 100));

        Assert.Equal(40 + 1 + 10, id.Length);
    }

    [Fact]
    public void EditsThatKeepTheNameKeepTheIdAndChangeTheConfigFingerprint()
    {
        var original = Definition();
        var edited = original with { PollingInterval = TimeSpan.FromMinutes(10) };

        Assert.Equal(original.Id, edited.Id);
        Assert.NotEqual(original.ConfigFingerprint, edited.ConfigFingerprint);
        Assert.Equal(original.QueryFingerprint, edited.QueryFingerprint);
    }

    [Fact]
    public void TheQueryFingerprintFollowsTheBaseUrlNotTheKey()
    {
        var original = Definition();

        // A rotated key keeps the checkpoint: event ids are global UUIDs.
        Assert.Equal(original.QueryFingerprint, (original with { ApiKey = "another-key" }).QueryFingerprint);
        Assert.NotEqual(original.LegacyQueryFingerprint, (original with { ApiKey = "another-key" }).LegacyQueryFingerprint);
        Assert.NotEqual(original.QueryFingerprint, (original with { BaseUrl = new Uri("https://api-eu.events.knowbe4.com/") }).QueryFingerprint);
        Assert.Equal(original.QueryFingerprint, (original with { Category = "other", LicensedUsers = 5 }).QueryFingerprint);
    }

    [Fact]
    public void TheConfigFingerprintCoversFieldsAndIsStable()
    {
        var original = Definition() with { Fields = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };
        var sameFieldsOtherOrder = original with { Fields = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" } };
        var otherValue = original with { Fields = new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" } };

        Assert.Equal(original.ConfigFingerprint, sameFieldsOtherOrder.ConfigFingerprint);
        Assert.NotEqual(original.ConfigFingerprint, otherValue.ConfigFingerprint);
        Assert.NotEqual(original.ConfigFingerprint, (original with { Description = "" }).ConfigFingerprint);
        Assert.Equal(16, original.ConfigFingerprint.Length);
    }
}
