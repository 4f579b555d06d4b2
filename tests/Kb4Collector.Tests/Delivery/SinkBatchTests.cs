using System.Text;
using Kb4Collector.Delivery;

namespace Kb4Collector.Tests.Delivery;

public sealed class SinkBatchTests
{
    [Theory]
    [InlineData("""{"id":"a","occurred_date":"2022-08-09T10:05:13.890Z"}""", 1660039513890L)]
    [InlineData("""{ "id" : "a" , "occurred_date" : "2022-08-09T10:05:13Z" }""", 1660039513000L)]
    [InlineData("""{"metadata":{"occurred_date":"2000-01-01T00:00:00.000Z"},"occurred_date":"2022-08-09T10:05:13.890Z"}""", 1660039513890L)]
    public void ReadsTheTopLevelOccurredDate(string json, long expected)
    {
        Assert.True(SinkBatch.TryReadOccurredDate(Encoding.UTF8.GetBytes(json), out var unixMilliseconds));
        Assert.Equal(expected, unixMilliseconds);
    }

    [Theory]
    [InlineData("""{"id":"a"}""")]
    [InlineData("""{"metadata":{"occurred_date":"2000-01-01T00:00:00.000Z"}}""")]
    [InlineData("""{"occurred_date":null}""")]
    [InlineData("""{"occurred_date":"yesterday"}""")]
    [InlineData("""{"occurred_date":"2022-08""")]
    [InlineData("""[1,2]""")]
    public void GivesUpQuietlyWithoutAReadableTopLevelOccurredDate(string json)
    {
        Assert.False(SinkBatch.TryReadOccurredDate(Encoding.UTF8.GetBytes(json), out _));
    }

    [Fact]
    public void AnEventLargerThanTheByteLimitGoesAlone()
    {
        using var batch = new SinkBatch(SinkFormat.Ndjson, new SinkTarget("s", "c", "h", new Dictionary<string, string>(), false), 1_024, 10);
        SinkEvent[] events = [new("small", "{}"u8.ToArray()), new("big", Encoding.UTF8.GetBytes("\"" + new string('x', 2_000) + "\"")), new("small2", "{}"u8.ToArray())];

        Assert.Equal(1, batch.Fill(events, 0, 1_024, 10));
        Assert.Equal(1, batch.Fill(events, 1, 1_024, 10));
        Assert.Equal(2_003, batch.Lines(0, 1).Length);
        Assert.Equal(1, batch.Fill(events, 2, 1_024, 10));
    }

    [Fact]
    public void HalvesAreSlicesOfTheSameLines()
    {
        using var batch = new SinkBatch(SinkFormat.Ndjson, new SinkTarget("s", "c", "h", new Dictionary<string, string>(), false), 1_024, 10);
        SinkEvent[] events = [new("1", "{\"a\":1}"u8.ToArray()), new("2", "{\"b\":22}"u8.ToArray()), new("3", "{\"c\":333}"u8.ToArray())];

        Assert.Equal(3, batch.Fill(events, 0, 1_024, 10));

        Assert.Equal("{\"a\":1}\n", Encoding.UTF8.GetString(batch.Lines(0, 1).Span));
        Assert.Equal("{\"b\":22}\n{\"c\":333}\n", Encoding.UTF8.GetString(batch.Lines(1, 3).Span));
    }

    [Theory]
    [InlineData(200, "Accepted")]
    [InlineData(202, "Accepted")]
    [InlineData(400, "Refused")]
    [InlineData(413, "Refused")]
    [InlineData(422, "Refused")]
    [InlineData(301, "Retry")]
    [InlineData(401, "Retry")]
    [InlineData(403, "Retry")]
    [InlineData(404, "Retry")]
    [InlineData(408, "Retry")]
    [InlineData(429, "Retry")]
    [InlineData(500, "Retry")]
    [InlineData(503, "Retry")]
    public void StatusesAreClassified(int status, string expected)
    {
        Assert.Equal(Enum.Parse<SinkResponseClass>(expected), SinkResponseClassifier.Classify(status));
    }
}
