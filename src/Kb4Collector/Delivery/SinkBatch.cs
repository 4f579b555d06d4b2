using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Kb4Collector.Delivery;

/// <summary>
/// One request's worth of lines in the sink's format, built into a pooled buffer. Line offsets are kept so a
/// refused batch can be split into halves by slicing, without rebuilding anything.
/// </summary>
internal sealed class SinkBatch : IDisposable
{
    public const string HecSourceType = "knowbe4:kmsat:event";

    private readonly SinkFormat _format;
    private readonly byte[]? _hecPrefix;
    private readonly PooledBuffer _body;
    private readonly int[] _lineEnds;

    public SinkBatch(SinkFormat format, SinkTarget target, int maxBatchBytes, int maxBatchEvents)
    {
        _format = format;
        _hecPrefix = format == SinkFormat.SplunkHec ? BuildHecPrefix(target) : null;
        _body = new PooledBuffer(maxBatchBytes + 4096);
        _lineEnds = ArrayPool<int>.Shared.Rent(maxBatchEvents);
    }

    /// <summary>Index in the caller's event list of this batch's first line.</summary>
    public int FirstEvent { get; private set; }

    public int Count { get; private set; }

    /// <summary>
    /// Fills the batch from <paramref name="events"/>[<paramref name="start"/>..] up to the byte and event limits
    /// and returns how many events it took (at least one: an event larger than the byte limit goes alone).
    /// </summary>
    public int Fill(IReadOnlyList<SinkEvent> events, int start, int maxBatchBytes, int maxBatchEvents)
    {
        _body.Reset();
        FirstEvent = start;
        Count = 0;
        for (var i = start; i < events.Count && Count < maxBatchEvents; i++)
        {
            var mark = _body.WrittenCount;
            WriteLine(events[i].Json.Span);
            if (_body.WrittenCount > maxBatchBytes && Count > 0)
            {
                _body.Truncate(mark);
                break;
            }
            _lineEnds[Count++] = _body.WrittenCount;
        }
        return Count;
    }

    /// <summary>The body bytes of lines [<paramref name="from"/>, <paramref name="to"/>) of this batch.</summary>
    public ReadOnlyMemory<byte> Lines(int from, int to)
    {
        var begin = from == 0 ? 0 : _lineEnds[from - 1];
        return _body.WrittenMemory[begin.._lineEnds[to - 1]];
    }

    public void Dispose()
    {
        _body.Dispose();
        ArrayPool<int>.Shared.Return(_lineEnds);
    }

    private void WriteLine(ReadOnlySpan<byte> json)
    {
        if (_hecPrefix is null)
        {
            WriteEvent(json);
            _body.Write((byte)'\n');
            return;
        }

        _body.Write((byte)'{');
        if (TryReadOccurredDate(json, out var unixMilliseconds))
        {
            _body.Write("\"time\":"u8);
            WriteEpochSeconds(unixMilliseconds);
            _body.Write((byte)',');
        }
        _body.Write(_hecPrefix);
        WriteEvent(json);
        _body.Write("}\n"u8);
    }

    private void WriteEvent(ReadOnlySpan<byte> json)
    {
        var at = _body.WrittenCount;
        _body.Write(json);
        // Raw CR/LF can only be insignificant whitespace in valid JSON (inside strings they are escaped), yet in a
        // line-oriented body they would split one event into several messages: turn them into spaces.
        if (json.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            var written = _body.WrittenSpan[at..];
            written.Replace((byte)'\r', (byte)' ');
            written.Replace((byte)'\n', (byte)' ');
        }
    }

    private void WriteEpochSeconds(long unixMilliseconds)
    {
        var span = _body.GetSpan(24);
        Utf8Formatter.TryFormat(unixMilliseconds / 1000, span, out var length);
        span[length++] = (byte)'.';
        var millis = (int)(unixMilliseconds % 1000);
        span[length++] = (byte)('0' + (millis / 100));
        span[length++] = (byte)('0' + (millis / 10 % 10));
        span[length++] = (byte)('0' + (millis % 10));
        _body.Advance(length);
    }

    /// <summary>Reads the top-level <c>occurred_date</c> of a KnowBe4 event as Unix milliseconds, without materialising the event.</summary>
    internal static bool TryReadOccurredDate(ReadOnlySpan<byte> json, out long unixMilliseconds)
    {
        unixMilliseconds = 0;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isOccurredDate = reader.ValueTextEquals("occurred_date"u8);
                if (!reader.Read())
                {
                    return false;
                }
                if (isOccurredDate)
                {
                    if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var occurred) && occurred.Year >= 1970)
                    {
                        unixMilliseconds = occurred.ToUnixTimeMilliseconds();
                        return true;
                    }
                    return false;
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] BuildHecPrefix(SinkTarget target)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            if (!string.IsNullOrEmpty(target.Host))
            {
                writer.WriteString("host", target.Host);
            }
            writer.WriteString("source", target.SourceName);
            writer.WriteString("sourcetype", HecSourceType);
            var wroteFields = false;
            foreach (var (key, value) in target.SentFields())
            {
                if (!wroteFields)
                {
                    writer.WriteStartObject("fields");
                    wroteFields = true;
                }
                writer.WriteString(key, value);
            }
            if (wroteFields)
            {
                writer.WriteEndObject();
            }
            writer.WritePropertyName("event");
            writer.Flush();
        }
        // Drop the opening '{': each line writes its own, followed by the optional "time".
        return output.WrittenSpan[1..].ToArray();
    }
}
