using System.Text;
using System.Text.Json;
using CsCheck;
using Kb4Collector.Configuration;
using Kb4Collector.KnowBe4;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Drills;

/// <summary>
/// Hostile input, property-based (CsCheck): random and mutated JSON, huge strings, deep nesting, wrong types, invalid
/// UTF-8 and duplicate keys given to the source-file loader and to the KnowBe4 page parser. The loader never throws and
/// says what is wrong in one line per problem; the page parser either reads a page or throws a one-line
/// <see cref="FormatException"/>, nothing else. Fast: part of the default run. A failure prints the case and its seed.
/// </summary>
[Trait("Category", "HostileInput")]
public sealed class HostileInputTests : IDisposable
{
    private const string ValidSource = """
        {
          "api.version": "v1",
          "source": {
            "schemaRef": { "type": "KnowBe4" },
            "sourceType": "Universal",
            "config": {
              "name": "KnowBe4 US",
              "category": "security/knowbe4/events",
              "baseURL": "https://api.events.knowbe4.com",
              "apiKey": "hostile-input-key-0123456789",
              "licensedUsers": 500,
              "pollingInterval": 300,
              "initialLookback": "24h",
              "backdateHorizon": "7d",
              "fields": { "_siemForward": true, "team": "soc" }
            }
          }
        }
        """;

    private static readonly string[] s_sourceKeys =
        ["api.version", "source", "sources", "schemaRef", "type", "sourceType", "config", "name", "category", "baseURL", "apiKey", "licensedUsers", "pollingInterval", "initialLookback", "backdateHorizon", "fields", "dailyCallBudget", "maxQuotaShare"];

    private static readonly string[] s_pageKeys = ["data", "meta", "id", "occurred_date", "count", "total_pages", "current_page", "next_page", "is_last_page", "user", "risk"];

    private static readonly string s_validPage = KnowBe4TestData.Page(KnowBe4TestData.SpecMeta, KnowBe4TestData.SpecEvent, KnowBe4TestData.Event("b", "2024-01-02T03:04:05.007Z"));

    private readonly LifecycleTempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void TheSourceLoaderNeverThrowsAndNamesEveryProblemInOneLine() =>
        Hostile(ValidSource, s_sourceKeys).Sample(AssertLoadsOrSaysWhy, iter: 300, threads: 1, print: Show);

    [Fact]
    public void ThePageParserReadsAPageOrThrowsAOneLineFormatException() =>
        Hostile(s_validPage, s_pageKeys).Sample(AssertParsesOrSaysWhy, iter: 2_000, print: Show);

    /// <summary>Cases random sampling rarely reaches, each spelled out.</summary>
    [Theory]
    [MemberData(nameof(ExtremeNames))]
    public void ExtremeInputsAreRefusedClearly(string name)
    {
        var input = s_extremes[name]();
        AssertLoadsOrSaysWhy(input);
        AssertParsesOrSaysWhy(input);
    }

    public static TheoryData<string> ExtremeNames() => [.. s_extremes.Keys];

    // Built on demand: megabytes of theory data would be serialised at discovery.
    private static readonly Dictionary<string, Func<byte[]>> s_extremes = new()
    {
        { "100,000 nested arrays", () => Encoding.UTF8.GetBytes(new string('[', 100_000) + new string(']', 100_000)) },
        { "100,000 nested objects", () => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "1" + new string('}', 100_000)) },
        { "an 8 MB name", () => Encoding.UTF8.GetBytes(ValidSource.Replace("KnowBe4 US", new string('n', 8 << 20), StringComparison.Ordinal)) },
        { "an 8 MB event id", () => Encoding.UTF8.GetBytes(s_validPage.Replace("786a515c-1cbd-4a8c-a94a-61ad877c893c", new string('i', 8 << 20), StringComparison.Ordinal)) },
        { "invalid UTF-8 in a string", () => Replace(ValidSource, "KnowBe4 US", [0x4B, 0xC3, 0x28, 0xFF, 0xFE]) },
        { "invalid UTF-8 in an event", () => Replace(s_validPage, "My description", [0xED, 0xA0, 0x80, 0xC0, 0xAF]) },
        { "a byte-order mark then nothing", () => [0xEF, 0xBB, 0xBF] },
        { "NUL bytes", () => new byte[64] },
        { "duplicate name", () => Encoding.UTF8.GetBytes(ValidSource.Replace("\"name\": \"KnowBe4 US\",", "\"name\": \"KnowBe4 US\", \"name\": \"Other\",", StringComparison.Ordinal)) },
        { "duplicate data", () => Encoding.UTF8.GetBytes(s_validPage.Replace("\"data\":", "\"data\":[],\"data\":", StringComparison.Ordinal)) },
        // Found by this test: the whole number was quoted, a 10,000-character problem line.
        { "a number of 10,000 digits", () => Encoding.UTF8.GetBytes(ValidSource.Replace("500", new string('9', 10_000), StringComparison.Ordinal)) },
        { "every key of the wrong type", () => Encoding.UTF8.GetBytes("{\"api.version\":1,\"source\":{\"schemaRef\":[],\"sourceType\":{},\"config\":{\"name\":[1],\"baseURL\":true,\"apiKey\":{},\"licensedUsers\":\"x\",\"pollingInterval\":null,\"fields\":[]}}}") },
        { "an empty file", () => Array.Empty<byte>() },
        // Found by the sampler (seed 7xN3T3kI0bT2): System.Text.Json quotes the broken literal, newline and all.
        { "a literal broken by a newline", () => Encoding.UTF8.GetBytes("{\"data\":[{\"id\":\"a\",\"source\":nul\n\u001b[31m,\"occurred_date\":\"2024-01-02T03:04:05.006Z\"}],\"meta\":{}}") },
        // Found by the sampler (seed a8qJfz7xlfH5): System.Text.Json quotes a broken literal up to where it ends, here
        // 150,000 characters further: a problem line that long.
        { "a broken literal 150,000 characters long", () => Encoding.UTF8.GetBytes(ValidSource
            .Replace("\"Universal\",", "", StringComparison.Ordinal).Replace("\"config\"", "fig\"", StringComparison.Ordinal)
            .Replace("api.events.knowbe4.com\"", "ap\"" + new string('x', 150_000), StringComparison.Ordinal)) },
    };

    private void AssertLoadsOrSaysWhy(byte[] content)
    {
        var file = Path.Combine(_folder.Path, "source.json");
        File.WriteAllBytes(file, content);
        var result = new SourceConfigLoader().Load(file);
        if (result.Sources.Count == 0)
        {
            Assert.True(result.HasErrors, "no source was loaded and no error says why");
        }
        foreach (var problem in result.Problems)
        {
            var line = problem.ToString();
            Assert.StartsWith(file, line, StringComparison.Ordinal);
            AssertOneClearLine(line);
            if (line.Length > 2_000)
            {
                Assert.Fail($"a problem line of {line.Length} characters: {line[..200]}…");
            }
        }
    }

    private static void AssertParsesOrSaysWhy(byte[] body)
    {
        RawEventPage page;
        try
        {
            page = RawEventPageParser.Parse(body);
        }
        catch (FormatException refused)
        {
            AssertOneClearLine(refused.Message);
            return;
        }
        foreach (var item in page.Events)
        {
            Assert.False(string.IsNullOrEmpty(item.Id));
            using var document = JsonDocument.Parse(item.Json);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    private static void AssertOneClearLine(string message)
    {
        Assert.False(string.IsNullOrWhiteSpace(message), "an empty message");
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.DoesNotContain(" at Kb4Collector.", message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at System.", message, StringComparison.Ordinal);
    }

    /// <summary>Mutations of a valid document, and random documents built from its keys with values of any type.</summary>
    private static Gen<byte[]> Hostile(string valid, string[] keys)
    {
        var bytes = Encoding.UTF8.GetBytes(valid);
        var mutation = Gen.Frequency(
            (4, Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Byte, (at, value) => (Func<byte[], byte[]>)(b => Set(b, at % Math.Max(b.Length, 1), value)))),
            (3, Gen.Select(Gen.Int[0, bytes.Length], Gen.Int[1, 40], (at, length) => (Func<byte[], byte[]>)(b => Remove(b, at, length)))),
            (3, Gen.Select(Gen.Int[0, bytes.Length], Insertions(keys), (at, inserted) => (Func<byte[], byte[]>)(b => Insert(b, at, inserted)))),
            (1, Gen.Int[0, bytes.Length].Select(at => (Func<byte[], byte[]>)(b => b[..Math.Min(at, b.Length)]))));
        var mutated = mutation.Array[1, 6].Select(steps => steps.Aggregate(bytes, (current, step) => step(current)));
        var random = Value(keys, depth: 4).Select(text => Encoding.UTF8.GetBytes(text));
        return Gen.Frequency((3, mutated), (1, random));
    }

    private static Gen<byte[]> Insertions(string[] keys) => Gen.OneOf(
        Gen.Byte.Array[1, 8],
        Gen.OneOf<byte[]>([0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBB, 0xBF], [0x00]),
        Value(keys, depth: 2).Select(text => Encoding.UTF8.GetBytes(text)),
        Gen.OneOf(keys).Select(key => Encoding.UTF8.GetBytes($"\"{key}\":")),
        Gen.Int[1, 2_000].Select(depth => Encoding.UTF8.GetBytes(new string('[', depth))),
        Gen.Int[1, 200_000].Select(length => Encoding.UTF8.GetBytes("\"" + new string('x', length) + "\"")));

    /// <summary>Any JSON value; objects use the document's own keys (duplicates included) so the parsers look deeper.</summary>
    private static Gen<string> Value(string[] keys, int depth)
    {
        var scalar = Gen.OneOf(
            Gen.OneOf("null", "true", "false", "0", "-1", "1e400", "-0.0", "4294967296", "9223372036854775808", "\"\"", "\"2024-01-02T03:04:05.006Z\"", "\"not a date\"", "\"\\u0000\"", "\"\\ud800\""),
            Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.String.Select(s => JsonSerializer.Serialize(s)));
        if (depth == 0)
        {
            return scalar;
        }
        var inner = Value(keys, depth - 1);
        var array = inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]");
        var member = Gen.Select(Gen.OneOf(Gen.OneOf(keys), Gen.String), inner, (key, value) => JsonSerializer.Serialize(key) + ":" + value);
        var obj = member.Array[0, 6].Select(members => "{" + string.Join(",", members) + "}");
        return Gen.Frequency((2, scalar), (1, array), (3, obj));
    }

    private static byte[] Set(byte[] b, int at, byte value)
    {
        if (b.Length == 0)
        {
            return [value];
        }
        var copy = (byte[])b.Clone();
        copy[at] = value;
        return copy;
    }

    private static byte[] Remove(byte[] b, int at, int length)
    {
        at = Math.Min(at, b.Length);
        length = Math.Min(length, b.Length - at);
        return [.. b[..at], .. b[(at + length)..]];
    }

    private static byte[] Insert(byte[] b, int at, byte[] inserted)
    {
        at = Math.Min(at, b.Length);
        return [.. b[..at], .. inserted, .. b[at..]];
    }

    private static byte[] Replace(string text, string what, byte[] with) => Insert(Encoding.UTF8.GetBytes(text.Replace(what, "", StringComparison.Ordinal)), Encoding.UTF8.GetByteCount(text[..text.IndexOf(what, StringComparison.Ordinal)]), with);

    private static string Show(byte[] input) =>
        input.Length > 400 ? $"{input.Length} bytes: {Encoding.UTF8.GetString(input[..400])}…" : Encoding.UTF8.GetString(input);
}
