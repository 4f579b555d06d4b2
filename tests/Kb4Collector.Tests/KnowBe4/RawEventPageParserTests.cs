using System.Text;
using System.Text.Json;
using Kb4Collector.KnowBe4;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.KnowBe4;

public sealed class RawEventPageParserTests
{
    private static RawEventPage Parse(string body) => RawEventPageParser.Parse(Encoding.UTF8.GetBytes(body));

    [Fact]
    public void SpecPayloadYieldsTheEventBytesIdTimeAndMeta()
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent);

        var page = Parse(body);

        var rawEvent = Assert.Single(page.Events);
        Assert.Equal("786a515c-1cbd-4a8c-a94a-61ad877c893c", rawEvent.Id);
        Assert.Equal(new DateTimeOffset(2022, 8, 9, 10, 5, 13, 890, TimeSpan.Zero), rawEvent.OccurredDate);
        // Byte for byte, whitespace and all: the forwarder sends exactly what KnowBe4 sent.
        Assert.Equal(KnowBe4TestData.SpecEvent, Encoding.UTF8.GetString(rawEvent.Json.Span));
        Assert.Equal(new PageMeta(3, 50, 1, 1, null, null, true, true, false), page.Meta);
    }

    [Fact]
    public void EventSlicesPointIntoTheBodyBufferWithoutCopies()
    {
        var body = Encoding.UTF8.GetBytes(KnowBe4TestData.Page(KnowBe4TestData.SpecMeta,
            KnowBe4TestData.Event("a", "2024-01-02T03:04:05.006Z"), KnowBe4TestData.Event("b", "2024-01-02T03:04:05.007Z")));

        var page = RawEventPageParser.Parse(body);

        Assert.Equal(["a", "b"], page.Events.Select(e => e.Id));
        foreach (var rawEvent in page.Events)
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(rawEvent.Json, out var segment));
            Assert.Same(body, segment.Array);
            using var document = JsonDocument.Parse(rawEvent.Json);
            Assert.Equal(rawEvent.Id, document.RootElement.GetProperty("id").GetString());
        }
    }

    [Fact]
    public void EscapedStringsNestedMetadataAndUnknownFieldsStayVerbatim()
    {
        const string tricky = """
            {"risk":{"level":-10,"factor":1.5e2},"description":"quote \" brace } bracket ] \\ \u00e9 \ud83d\ude00 \n","metadata":{"nested":{"deep":[{"id":"not-this-one","occurred_date":"1999-01-01T00:00:00Z"}],"x":null}},"new_field":[1,2,{"a":"}"}],"\u0069d":"esc\/aped-id","occurred_date":"2023-01-13T13:52:04.529Z"}
            """;
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, tricky);

        var page = Parse(body);

        var rawEvent = Assert.Single(page.Events);
        // The escaped property name "\u0069d" is "id", and the value is unescaped; nested ids are not the event's.
        Assert.Equal("esc/aped-id", rawEvent.Id);
        Assert.Equal(new DateTimeOffset(2023, 1, 13, 13, 52, 4, 529, TimeSpan.Zero), rawEvent.OccurredDate);
        Assert.Equal(tricky, Encoding.UTF8.GetString(rawEvent.Json.Span));
    }

    [Fact]
    public void MetaBeforeDataAndUnknownTopLevelFieldsAreAccepted()
    {
        var body = "{\"meta\":" + KnowBe4TestData.Meta(2, 3, 1) + ",\"links\":{\"self\":\"x\"},\"data\":[" + KnowBe4TestData.Event("a", "2024-01-01T00:00:00.000Z") + "]}";

        var page = Parse(body);

        Assert.Equal("a", Assert.Single(page.Events).Id);
        Assert.Equal(2, page.Meta.CurrentPage);
        Assert.Equal(3, page.Meta.NextPage);
        Assert.Equal(1, page.Meta.PrevPage);
    }

    [Fact]
    public void EmptyPageIsValid()
    {
        var page = Parse("""{"data":[],"meta":{"count":0,"limit_value":50,"total_pages":0,"current_page":1,"next_page":null,"prev_page":null,"is_first_page":true,"is_last_page":true,"is_out_of_range":false}}""");

        Assert.Empty(page.Events);
        Assert.Null(page.Meta.NextPage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20)]
    public void TruncatedBodyIsRejectedAtAnyCut(int keepFromEnd)
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent).TrimEnd();
        var cut = body[..(body.Length - 1 - keepFromEnd)];

        var exception = Assert.Throws<FormatException>(() => Parse(cut));

        Assert.Contains("invalid JSON", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedInsideAnEventIsRejected()
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent);

        Assert.Throws<FormatException>(() => Parse(body[..(body.IndexOf("occurred_date", StringComparison.Ordinal) + 5)]));
    }

    [Theory]
    [InlineData("""{"occurred_date":"2024-01-01T00:00:00Z"}""", "index 1 has no valid 'id'")]
    [InlineData("""{"id":42,"occurred_date":"2024-01-01T00:00:00Z"}""", "index 1 has no valid 'id'")]
    [InlineData("""{"id":"","occurred_date":"2024-01-01T00:00:00Z"}""", "index 1 has no valid 'id'")]
    [InlineData("""{"id":"x"}""", "index 1 has no valid 'occurred_date'")]
    [InlineData("""{"id":"x","occurred_date":"yesterday"}""", "index 1 has no valid 'occurred_date'")]
    [InlineData("""{"id":"x","occurred_date":null}""", "index 1 has no valid 'occurred_date'")]
    [InlineData("""["id","x"]""", "event at index 1 is not a JSON object")]
    public void EventWithoutValidIdOrTimeIsRejectedNamingItsIndex(string badEvent, string expected)
    {
        var body = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.Event("ok", "2024-01-01T00:00:00.000Z"), badEvent);

        var exception = Assert.Throws<FormatException>(() => Parse(body));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"meta":{"count":0}}""", "no 'data' array")]
    [InlineData("""{"data":[]}""", "no 'meta' object")]
    [InlineData("""{"data":{},"meta":{}}""", "'data' is not an array")]
    [InlineData("""[]""", "not a JSON object")]
    [InlineData("""{"data":[],"meta":{}} {}""", "invalid JSON")]
    [InlineData("""{"data":[],"meta":{"current_page":"one"}}""", "invalid JSON")]
    [InlineData("", "invalid JSON")]
    [InlineData("<html>Bad gateway</html>", "invalid JSON")]
    public void BodyThatIsNotAnEventsPageIsRejected(string body, string expected)
    {
        var exception = Assert.Throws<FormatException>(() => Parse(body));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
    }
}
