using Kb4Collector.Delivery;

namespace Kb4Collector.Tests.Delivery;

public sealed class SinkTargetTests
{
    [Fact]
    public void ThirtyFieldsAreAccepted()
    {
        var target = new SinkTarget("kb4", "cat", "host", Fields(30), false);

        Assert.Empty(target.Validate(SinkFormat.Sumo));
    }

    [Fact]
    public void MoreThanThirtyFieldsAreRefusedWithTheCount()
    {
        var error = Assert.Single(new SinkTarget("kb4", "cat", "host", Fields(31), false).Validate(SinkFormat.Sumo));

        Assert.Equal("fields", error.Field);
        Assert.Contains("31 fields", error.Reason, StringComparison.Ordinal);
        Assert.Contains("30", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSiemParserCountsAsAFieldButTheSiemForwardSwitchDoesNot()
    {
        var fields = Fields(29);
        fields["_siemForward"] = "true";
        Assert.Empty(SinkTarget.FromSourceFields("kb4", "cat", "host", fields).Validate(SinkFormat.Sumo));

        fields["one-more"] = "v";
        var error = Assert.Single(SinkTarget.FromSourceFields("kb4", "cat", "host", fields).Validate(SinkFormat.Sumo));
        Assert.Contains("_siemparser", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRulesDoNotDependOnTheSinkFormatSoSwitchingItNeverBreaksALoadedSource()
    {
        var error = Assert.Single(new SinkTarget("kb4", "cat", "host", Fields(40), false).Validate(SinkFormat.SplunkHec));

        Assert.Equal("fields", error.Field);
    }

    [Theory]
    [InlineData("env", "a,b", "fields.env")]
    [InlineData("env", "a=b", "fields.env")]
    [InlineData("env", "line\nbreak", "fields.env")]
    [InlineData("env", "café", "fields.env")]
    [InlineData("bad key", "v", "fields.bad key")]
    [InlineData("k=v", "v", "fields.k=v")]
    [InlineData("_siemparser", "/x", "fields._siemparser")]
    public void FieldsSumoCannotCarryAreRefusedNotMangled(string key, string value, string field)
    {
        var target = new SinkTarget("kb4", "cat", "host", new Dictionary<string, string> { [key] = value }, false);

        Assert.Contains(target.Validate(SinkFormat.Sumo), error => error.Field == field);
    }

    [Fact]
    public void HeaderValuesMustBePrintableAscii()
    {
        var errors = new SinkTarget("kb4\r\nX-Evil: 1", "catégorie", "host", new Dictionary<string, string>(), false).Validate(SinkFormat.Sumo);

        Assert.Equal(["name", "category"], errors.Select(error => error.Field));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("false", false)]
    [InlineData("yes", false)]
    public void SiemForwardIsReadFromTheSourceFields(string value, bool expected)
    {
        var target = SinkTarget.FromSourceFields("kb4", "cat", "host", new Dictionary<string, string> { ["_siemForward"] = value });

        Assert.Equal(expected, target.SiemForward);
    }

    [Fact]
    public void TheSumoFieldsHeaderListsFieldsThenTheParser()
    {
        var target = new SinkTarget("kb4", "cat", "host", new Dictionary<string, string> { ["a"] = "1", ["_siemForward"] = "true", ["b"] = "two words" }, true);

        Assert.Equal("a=1,b=two words,_siemparser=/Parsers/System/KnowBe4/KnowBe4 KMSAT", target.SumoFieldsHeader());
        Assert.Null(new SinkTarget("kb4", "cat", "host", new Dictionary<string, string>(), false).SumoFieldsHeader());
    }

    private static Dictionary<string, string> Fields(int count) => Enumerable.Range(0, count).ToDictionary(i => $"field{i}", i => $"value{i}");
}
