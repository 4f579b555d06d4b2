using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kb4Collector.Emulator;

/// <summary>
/// The emulator's own JSON writing, in the field order of captured KnowBe4 payloads. Event bodies are
/// rendered once; list pages are assembled by concatenating the stored bytes.
/// </summary>
internal static class EmulatorJson
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly byte[] ListStart = "{\"data\":["u8.ToArray();
    private static readonly byte[] ListMetaStart = "],\"meta\":"u8.ToArray();
    private static readonly byte[] ItemStart = "{\"data\":"u8.ToArray();

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string FormatDate(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static byte[] RenderEvent(EmulatorEvent item) => Render(item, static (writer, e) =>
    {
        writer.WriteStartObject();
        writer.WriteString("id", e.Id);
        writer.WriteNumber("account_id", e.Account.AccountId);
        writer.WriteStartObject("user");
        writer.WriteString("email", e.User.Email);
        writer.WriteNumber("id", e.User.Id);
        writer.WriteBoolean("archived", e.User.Archived);
        writer.WriteEndObject();
        WriteNullableString(writer, "external_id", e.ExternalId);
        WriteNullableString(writer, "source", e.Source);
        WriteNullableString(writer, "description", e.Description);
        writer.WriteString("occurred_date", FormatTimestamp(e.OccurredDate));
        writer.WriteStartObject("risk");
        WriteNullableNumber(writer, "level", e.RiskLevel);
        WriteNullableNumber(writer, "decay_mode", e.RiskDecayMode);
        WriteNullableString(writer, "expire_date", e.RiskExpireDate is { } expire ? FormatDate(expire) : null);
        writer.WriteEndObject();
        writer.WritePropertyName("metadata");
        if (e.MetadataJson is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(e.MetadataJson, skipInputValidation: true);
        }
        writer.WriteStartObject("event_type");
        writer.WriteNumber("id", e.Type.Id);
        writer.WriteString("name", e.Type.Name);
        WriteNullableString(writer, "description", e.Type.Description);
        writer.WriteEndObject();
        writer.WriteEndObject();
    });

    public static void WriteEventType(Utf8JsonWriter writer, EmulatorEventType type)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", type.Id);
        writer.WriteNumber("account_id", type.AccountId);
        writer.WriteString("name", type.Name);
        WriteNullableString(writer, "description", type.Description);
        writer.WriteEndObject();
    }

    public static void WriteStatus(Utf8JsonWriter writer, StatusRecord status)
    {
        writer.WriteStartObject();
        writer.WriteString("id", status.Id);
        writer.WriteStartObject("details");
        writer.WriteStartArray("events");
        foreach (var id in status.EventIds)
        {
            writer.WriteStringValue(id);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("failures");
        foreach (var (targetUser, message) in status.Failures)
        {
            writer.WriteStartObject();
            writer.WriteString("target_user", targetUser);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        WriteNullableString(writer, "processed", status.ProcessedAt is { } processed ? FormatTimestamp(processed) : null);
        writer.WriteString("api_key", status.ApiKeyName);
        writer.WriteEndObject();
    }

    public static void WritePageMeta(Utf8JsonWriter writer, PageMeta meta)
    {
        writer.WriteStartObject();
        writer.WriteNumber("count", meta.Count);
        writer.WriteNumber("limit_value", meta.LimitValue);
        writer.WriteNumber("total_pages", meta.TotalPages);
        writer.WriteNumber("current_page", meta.CurrentPage);
        WriteNullableNumber(writer, "next_page", meta.NextPage);
        WriteNullableNumber(writer, "prev_page", meta.PrevPage);
        writer.WriteBoolean("is_first_page", meta.IsFirstPage);
        writer.WriteBoolean("is_last_page", meta.IsLastPage);
        writer.WriteBoolean("is_out_of_range", meta.IsOutOfRange);
        writer.WriteEndObject();
    }

    /// <summary><c>{"data":[e1,e2,...],"meta":{...}}</c> from pre-rendered events, in a pooled buffer.</summary>
    public static EmulatorResponse EventPage(ReadOnlySpan<EmulatorEvent> events, PageMeta meta)
    {
        var metaBytes = Render(meta, static (writer, m) => WritePageMeta(writer, m));
        var length = ListStart.Length + ListMetaStart.Length + metaBytes.Length + 1 + Math.Max(0, events.Length - 1);
        foreach (var item in events)
        {
            length += item.Json.Length;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var span = buffer.AsSpan();
        var position = Copy(ListStart, span, 0);
        for (var i = 0; i < events.Length; i++)
        {
            if (i > 0)
            {
                span[position++] = (byte)',';
            }
            position = Copy(events[i].Json, span, position);
        }
        position = Copy(ListMetaStart, span, position);
        position = Copy(metaBytes, span, position);
        span[position++] = (byte)'}';
        return EmulatorResponse.Pooled(200, buffer, position);
    }

    /// <summary><c>{"data": item}</c> around pre-rendered bytes.</summary>
    public static EmulatorResponse Item(byte[] itemJson)
    {
        var body = new byte[ItemStart.Length + itemJson.Length + 1];
        var position = Copy(ItemStart, body, 0);
        position = Copy(itemJson, body, position);
        body[position] = (byte)'}';
        return EmulatorResponse.Json(200, body);
    }

    public static byte[] Render<T>(T state, Action<Utf8JsonWriter, T> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        write(writer, state);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Message(string message) => Render(message, static (writer, text) =>
    {
        writer.WriteStartObject();
        writer.WriteString("message", text);
        writer.WriteEndObject();
    });

    public static string ToText(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> target, int position)
    {
        source.CopyTo(target[position..]);
        return position + source.Length;
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNullableNumber(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}

/// <summary>Kaminari paging values as KnowBe4 returns them in <c>meta</c>.</summary>
internal readonly record struct PageMeta(
    int Count,
    int LimitValue,
    long TotalPages,
    long CurrentPage,
    long? NextPage,
    long? PrevPage,
    bool IsFirstPage,
    bool IsLastPage,
    bool IsOutOfRange)
{
    /// <summary>
    /// Kaminari semantics: total_pages = ceil(total / per_page); last_page? = current == total_pages;
    /// out_of_range? = current &gt; total_pages (so an empty list is page 1 of 0, out of range);
    /// next/prev are null on the last/first page and whenever out of range.
    /// </summary>
    public static PageMeta For(long total, PageRequest request, out long offset)
    {
        var totalPages = (total + request.PerPage - 1) / request.PerPage;
        var page = request.Page;
        offset = (page - 1) * (long)request.PerPage;
        var count = (int)Math.Clamp(total - offset, 0, request.PerPage);
        var isFirst = page == 1;
        var isLast = page == totalPages;
        var outOfRange = page > totalPages;
        return new PageMeta(
            count,
            request.PerPage,
            totalPages,
            page,
            isLast || outOfRange ? null : page + 1,
            isFirst || outOfRange ? null : page - 1,
            isFirst,
            isLast,
            outOfRange);
    }
}

/// <summary>A requested page: 1-based <see cref="Page"/> (invalid or &lt; 1 → 1) and <see cref="PerPage"/> (default 50, at most 100).</summary>
internal readonly record struct PageRequest(long Page, int PerPage)
{
    public const int DefaultPerPage = 50;
    public const int MaxPerPage = 100;

    public static PageRequest Parse(string? page, string? perPage)
    {
        var pageNumber = long.TryParse(page, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsedPage) && parsedPage >= 1
            ? Math.Min(parsedPage, int.MaxValue)
            : 1;
        var size = int.TryParse(perPage, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsedSize) && parsedSize >= 1
            ? Math.Min(parsedSize, MaxPerPage)
            : DefaultPerPage;
        return new PageRequest(pageNumber, size);
    }
}

/// <summary>A response body ready to write: plain bytes or a pooled buffer returned on dispose.</summary>
internal sealed class EmulatorResponse : IDisposable
{
    private bool _pooled;

    private EmulatorResponse(int status, byte[]? body, int length, bool pooled)
    {
        Status = status;
        Body = body;
        Length = length;
        _pooled = pooled;
    }

    public int Status { get; }
    public byte[]? Body { get; private set; }
    public int Length { get; }
    public string? RetryAfter { get; init; }

    public ReadOnlyMemory<byte> Content => Body is null ? ReadOnlyMemory<byte>.Empty : Body.AsMemory(0, Length);

    public static EmulatorResponse Json(int status, byte[] body) => new(status, body, body.Length, pooled: false);

    public static EmulatorResponse Pooled(int status, byte[] rented, int length) => new(status, rented, length, pooled: true);

    public static EmulatorResponse Empty(int status) => new(status, null, 0, pooled: false);

    public static EmulatorResponse Message(int status, string message) => Json(status, EmulatorJson.Message(message));

    public static EmulatorResponse Write<T>(int status, T state, Action<Utf8JsonWriter, T> write) =>
        Json(status, EmulatorJson.Render(state, write));

    /// <summary>The same body with a Retry-After header; only for non-pooled bodies (messages).</summary>
    public EmulatorResponse WithRetryAfter(string retryAfter) => new(Status, Body, Length, pooled: false) { RetryAfter = retryAfter };

    public void Dispose()
    {
        if (_pooled && Body is not null)
        {
            ArrayPool<byte>.Shared.Return(Body);
        }
        _pooled = false;
        Body = null;
    }
}
