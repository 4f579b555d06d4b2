using Kb4Collector.Configuration;

namespace Kb4Collector.Tests.Configuration;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("24h", 86_400)]
    [InlineData("7d", 604_800)]
    [InlineData("0s", 0)]
    [InlineData("1h30m", 5_400)]
    [InlineData("1d12h", 129_600)]
    [InlineData("2d3h4m5s", 183_845)]
    [InlineData("90s", 90)]
    [InlineData("001m", 60)]
    public void ParsesValidDurations(string text, long expectedSeconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("s")]
    [InlineData("1w")]
    [InlineData("5M")]
    [InlineData("24H")]
    [InlineData("1.5h")]
    [InlineData("-5m")]
    [InlineData(" 5m")]
    [InlineData("5m ")]
    [InlineData("5 m")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("1ms")]
    [InlineData("1234567890s")]
    [InlineData("PT5M")]
    [InlineData("00:05:00")]
    public void RefusesEverythingElse(string? text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(30, "30s")]
    [InlineData(90, "1m30s")]
    [InlineData(3_600, "1h")]
    [InlineData(86_400, "1d")]
    [InlineData(129_600, "1d12h")]
    [InlineData(2_678_400, "31d")]
    public void FormatsInTheSameNotation(long seconds, string expected)
    {
        var text = DurationParser.Format(TimeSpan.FromSeconds(seconds));

        Assert.Equal(expected, text);
        Assert.True(DurationParser.TryParse(text, out var roundTrip));
        Assert.Equal(TimeSpan.FromSeconds(seconds), roundTrip);
    }
}
