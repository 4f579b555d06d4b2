using System.Text.Json;

namespace Kb4Collector.Configuration;

/// <summary>One source object found in a file: its name when usable, and its definition when valid.</summary>
internal sealed record SourceEntry(string? Name, SourceDefinition? Definition, string Location);

/// <summary>What one file yielded. <see cref="Broken"/> files contribute no sources at all.</summary>
internal sealed record SourceFileOutcome(IReadOnlyList<SourceEntry> Entries, bool Broken);

/// <summary>Reads one JSON file in Sumo's envelope (<c>{"api.version":"v1","source":{...}}</c> or <c>"sources":[...]</c>).</summary>
internal sealed partial class SourceFileParser(SourceConfigLoaderOptions options)
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    private readonly SourceEntryValidator _entryValidator = new(options);

    public SourceFileOutcome Parse(string file, List<ConfigProblem> problems)
    {
        var sink = new ProblemSink(file, problems);
        if (!TryRead(file, sink, out var bytes))
        {
            return new SourceFileOutcome([], Broken: true);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(SkipByteOrderMark(bytes), DocumentOptions);
        }
        catch (JsonException exception)
        {
            sink.SyntaxError((int)(exception.LineNumber ?? 0) + 1, (int)(exception.BytePositionInLine ?? 0) + 1, DescribeMalformedJson(exception));
            return new SourceFileOutcome([], Broken: true);
        }

        using (document)
        {
            return ParseEnvelope(file, document.RootElement, sink);
        }
    }

    private SourceFileOutcome ParseEnvelope(string file, JsonElement root, ProblemSink sink)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            sink.Error("$", $"the file must hold a JSON object like {{\"api.version\":\"v1\",\"source\":{{...}}}}, not {Text.Describe(root.ValueKind)}");
            return new SourceFileOutcome([], Broken: true);
        }

        var envelope = new JsonObjectScope(root, "", sink, SourceKeys.Envelope);
        CheckApiVersion(envelope, sink);

        var hasSource = envelope.TryGet("source", out var single);
        var hasSources = envelope.TryGet("sources", out var many);
        if (hasSource && hasSources)
        {
            sink.Error("sources", "a file holds either \"source\" (one object) or \"sources\" (an array), not both");
        }
        else if (!hasSource && !hasSources && !envelope.IsMiscased("source") && !envelope.IsMiscased("sources"))
        {
            sink.Error("source", "missing: a file holds \"source\" (one source object) or \"sources\" (an array of them)");
        }
        else if (hasSource && single.ValueKind != JsonValueKind.Object)
        {
            sink.Error("source", $"must be an object, not {Text.Describe(single.ValueKind)}");
        }
        else if (hasSources && many.ValueKind != JsonValueKind.Array)
        {
            sink.Error("sources", $"must be an array of source objects, not {Text.Describe(many.ValueKind)}");
        }
        else if (hasSources && many.GetArrayLength() > SourceConfigLoaderOptions.MaxSourcesPerFile)
        {
            sink.Error("sources", $"holds {many.GetArrayLength()} sources; a file may define at most {SourceConfigLoaderOptions.MaxSourcesPerFile} (split them across files)");
        }

        if (sink.ErrorCount > 0)
        {
            return new SourceFileOutcome([], Broken: true);
        }

        var entries = new List<SourceEntry>();
        if (hasSource)
        {
            entries.Add(_entryValidator.Validate(file, single, "source", sink));
        }
        else
        {
            var index = 0;
            foreach (var element in many.EnumerateArray())
            {
                entries.Add(_entryValidator.Validate(file, element, $"sources[{index}]", sink));
                index++;
            }
            if (index == 0)
            {
                sink.Warning("sources", "the array is empty; this file defines no source");
            }
        }
        return new SourceFileOutcome(entries, Broken: false);
    }

    private static void CheckApiVersion(JsonObjectScope envelope, ProblemSink sink)
    {
        if (!envelope.TryGet("api.version", out var version))
        {
            if (!envelope.IsMiscased("api.version"))
            {
                sink.Error("api.version", "missing: Sumo source files start with \"api.version\": \"v1\"");
            }
            return;
        }
        if (version.ValueKind != JsonValueKind.String || version.GetString() != "v1")
        {
            var shown = version.ValueKind == JsonValueKind.String ? Text.Quote(version.GetString()!) : Text.Describe(version.ValueKind);
            sink.Error("api.version", $"must be \"v1\", not {shown}");
        }
    }

    private static bool TryRead(string file, ProblemSink sink, out byte[] bytes)
    {
        bytes = [];
        try
        {
            bytes = BoundedFile.Read(file, SourceConfigLoaderOptions.MaxSourceFileBytes);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            sink.Error("$", $"the file cannot be read: {FileErrors.Describe(exception)}");
            return false;
        }
        // System.Text.Json only meets bad UTF-8 when a string is decoded, deep in validation; refuse the file up front.
        if (System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var valid, out _, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
        {
            sink.Error("$", $"the file is not valid UTF-8 (at byte {valid + 1}); save it as UTF-8");
            return false;
        }
        return true;
    }

    private static ReadOnlyMemory<byte> SkipByteOrderMark(byte[] bytes) =>
        bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes.AsMemory(3) : bytes.AsMemory();

    [System.Text.RegularExpressions.GeneratedRegex(@"^'(?<found>.{1,4})' is (?<context>(an )?invalid (start of a value|start of a property name|after a property name|after a value))", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex UnexpectedCharacter();

    private const int MaxReasonLength = 200;

    /// <summary>What the parser expected, in plain words, without System.Text.Json's advice about reader options or its own positions.</summary>
    private static string DescribeMalformedJson(JsonException exception)
    {
        var reason = exception.Message;
        foreach (var marker in (string[])[" Path:", " LineNumber:"])
        {
            var cut = reason.IndexOf(marker, StringComparison.Ordinal);
            if (cut >= 0)
            {
                reason = reason[..cut];
            }
        }

        if (reason.Contains("trailing comma", StringComparison.OrdinalIgnoreCase))
        {
            return "a comma before '}' or ']' is not allowed in JSON: remove it";
        }
        if (reason.Contains("comment", StringComparison.OrdinalIgnoreCase) || reason.StartsWith("'/' is", StringComparison.Ordinal))
        {
            return "comments are not allowed in JSON: remove them";
        }
        if (UnexpectedCharacter().Match(reason) is { Success: true } unexpected)
        {
            var found = unexpected.Groups["found"].Value;
            var context = unexpected.Groups["context"].Value;
            if (context.Contains("after a property name", StringComparison.Ordinal))
            {
                return $"expected ':' after the key, not '{found}'";
            }
            if (context.Contains("after a value", StringComparison.Ordinal))
            {
                return $"expected ',' or a closing '}}' or ']' after the value, not '{found}'";
            }
            if (context.Contains("start of a property name", StringComparison.Ordinal))
            {
                return $"expected a key in double quotes, not '{found}'";
            }
            if (context.Contains("start of a value", StringComparison.Ordinal))
            {
                return $"expected a value (\"text\", a number, {{...}}, [...], true, false or null), not '{found}'";
            }
        }
        if (reason.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "the file is empty: expected a JSON object like {\"api.version\":\"v1\",\"source\":{...}}";
        }
        if (reason.Contains("Expected depth to be zero", StringComparison.Ordinal) || reason.Contains("reached end of data", StringComparison.Ordinal))
        {
            return "unexpected end of file: a closing '\"', '}' or ']' is missing";
        }

        var sentences = reason.Split(". ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(sentence => !sentence.Contains("reader options", StringComparison.OrdinalIgnoreCase)
                && !sentence.Contains("isFinalBlock", StringComparison.Ordinal)
                && !sentence.Contains("in this mode", StringComparison.Ordinal));
        var plain = string.Join(". ", sentences).TrimEnd('.', ' ');
        // System.Text.Json quotes a broken literal up to where it ends, which may be the end of the file.
        if (plain.Length <= MaxReasonLength)
        {
            return plain.Length == 0 ? "not valid JSON" : plain;
        }
        var shown = char.IsHighSurrogate(plain[MaxReasonLength - 1]) ? MaxReasonLength - 1 : MaxReasonLength;
        return plain[..shown] + "…";
    }
}

internal static class FileErrors
{
    public static string Describe(Exception exception) => exception switch
    {
        FileNotFoundException or DirectoryNotFoundException => "it does not exist",
        UnauthorizedAccessException => "permission denied",
        _ => exception.Message,
    };
}
