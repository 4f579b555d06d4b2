using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Reporting;

/// <summary>A page read by cursor: its records, the next cursor (null on the last page), and whether the answer offered cursors at all.</summary>
public sealed record ReportingPage(IReadOnlyList<ReportingRecord> Records, string? NextCursor, bool Cursored);

/// <summary>One record of a Reporting list page: its parsed form (to read keys from) and its exact text (to forward).</summary>
public sealed record ReportingRecord(JsonElement Element, string Json)
{
    /// <summary>A property as text, for keys and identities; tolerates numbers and strings, and <c>a_b</c> / <c>a-b</c> spellings.</summary>
    public string? Text(string name)
    {
        foreach (var candidate in Spellings(name))
        {
            if (Element.TryGetProperty(candidate, out var value))
            {
                return value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                };
            }
        }
        return null;
    }

    private static IEnumerable<string> Spellings(string name)
    {
        yield return name;
        if (name.Contains('_', StringComparison.Ordinal))
        {
            yield return name.Replace('_', '-');
        }
        else if (name.Contains('-', StringComparison.Ordinal))
        {
            yield return name.Replace('-', '_');
        }
    }
}

/// <summary>
/// Client for KnowBe4's Reporting API (<c>https://{region}.api.knowbe4.com/v1/...</c>): bare JSON arrays, paged with
/// <c>page</c> and <c>per_page</c> (at most 500). Failures are <see cref="KnowBe4ApiException"/>s whose endpoint is the
/// method and path template, never the key. Pacing and budgets are the caller's (<see cref="ReportingGate"/>).
/// </summary>
public sealed class ReportingClient
{
    public const int MaxPerPage = 500;

    /// <summary>A page or object larger than this is refused as malformed (a user list of 500 rows is well under it).</summary>
    public const int MaxResponseBytes = 32 * 1024 * 1024;

    private static readonly MediaTypeWithQualityHeaderValue s_acceptJson = new("application/json");

    private readonly HttpClient _http;
    private readonly string _baseUrl;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly TimeSpan _timeout;

    public ReportingClient(HttpClient http, Uri baseUrl, string apiKey, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (string.IsNullOrEmpty(apiKey) || apiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException("The API key must be non-empty and contain no blanks or control characters.", nameof(apiKey));
        }
        _http = http;
        _baseUrl = baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        _timeout = timeout ?? TimeSpan.FromSeconds(60);
    }

    public Uri BaseUrl => new(_baseUrl + "/");

    /// <summary>One page of a list endpoint (<paramref name="template"/> names it in errors, e.g. <c>GET /v1/users</c>).</summary>
    public async Task<IReadOnlyList<ReportingRecord>> ListPageAsync(string path, string template, int page, IReadOnlyDictionary<string, string>? query, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, string>(query ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["page"] = page.ToString(CultureInfo.InvariantCulture),
            ["per_page"] = MaxPerPage.ToString(CultureInfo.InvariantCulture),
        };
        using var document = await GetDocumentAsync(path, template, parameters, cancellationToken);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new KnowBe4ApiException(KnowBe4FailureKind.MalformedBody, template, 200, $"{template}: HTTP 200 with a body that is not a JSON array");
        }
        return Records(document.RootElement);
    }

    /// <summary>
    /// One page by cursor (<paramref name="cursor"/> <c>true</c> asks for the first). An answer that offers cursors is an
    /// object holding the page (<c>data</c>, <c>items</c> or <c>results</c>) and the next cursor (<c>next_cursor</c> or
    /// <c>nextCursor</c>, at the top or under <c>meta</c>/<c>pagination</c>; none on the last page). A bare array is a
    /// server that ignored the cursor: it is page 1, and the caller goes on by page numbers.
    /// </summary>
    public async Task<ReportingPage> ListCursorPageAsync(string path, string template, string cursor, IReadOnlyDictionary<string, string>? query, CancellationToken cancellationToken)
    {
        var parameters = new Dictionary<string, string>(query ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["cursor"] = cursor,
            ["per_page"] = MaxPerPage.ToString(CultureInfo.InvariantCulture),
        };
        using var document = await GetDocumentAsync(path, template, parameters, cancellationToken);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            return new ReportingPage(Records(root), null, Cursored: false);
        }
        if (root.ValueKind == JsonValueKind.Object && s_pageFields.Select(name => root.TryGetProperty(name, out var items) ? items : default).FirstOrDefault(items => items.ValueKind == JsonValueKind.Array) is { ValueKind: JsonValueKind.Array } page)
        {
            return new ReportingPage(Records(page), NextCursor(root), Cursored: true);
        }
        throw new KnowBe4ApiException(KnowBe4FailureKind.MalformedBody, template, 200, $"{template}: HTTP 200 with a body that is neither a JSON array nor an object holding a \"data\" array");
    }

    private static readonly string[] s_pageFields = ["data", "items", "results"];
    private static readonly string[] s_cursorFields = ["next_cursor", "nextCursor"];
    private static readonly string[] s_cursorHolders = ["meta", "pagination"];

    private static string? NextCursor(JsonElement root)
    {
        foreach (var holder in s_cursorHolders.Select(name => root.TryGetProperty(name, out var nested) ? nested : default).Where(nested => nested.ValueKind == JsonValueKind.Object).Prepend(root))
        {
            foreach (var name in s_cursorFields)
            {
                if (holder.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } next)
                {
                    return next;
                }
            }
        }
        return null;
    }

    private static List<ReportingRecord> Records(JsonElement array)
    {
        var records = new List<ReportingRecord>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object)
            {
                records.Add(new ReportingRecord(item.Clone(), item.GetRawText()));
            }
        }
        return records;
    }

    /// <summary>
    /// Every page of a list endpoint until an empty page (never a short one: some endpoints cap pages below <c>per_page</c>).
    /// With <paramref name="cursor"/> (training enrollments), by cursor while the answers offer one, by page numbers otherwise.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<ReportingRecord>> ListAllAsync(
        string path, string template, IReadOnlyDictionary<string, string>? query, bool cursor,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var firstPage = 1;
        if (cursor)
        {
            var current = await ListCursorPageAsync(path, template, "true", query, cancellationToken);
            while (current.Cursored)
            {
                if (current.Records.Count == 0)
                {
                    yield break;
                }
                yield return current.Records;
                if (current.NextCursor is null)
                {
                    yield break;
                }
                current = await ListCursorPageAsync(path, template, current.NextCursor, query, cancellationToken);
            }
            if (current.Records.Count == 0)
            {
                yield break;
            }
            yield return current.Records;
            firstPage = 2;
        }
        for (var page = firstPage; ; page++)
        {
            var records = await ListPageAsync(path, template, page, query, cancellationToken);
            if (records.Count == 0)
            {
                yield break;
            }
            yield return records;
        }
    }

    /// <summary>One object (<c>GET /v1/account</c>, <c>GET /v1/phishing/security_tests/{id}</c>, …).</summary>
    public async Task<ReportingRecord> GetAsync(string path, string template, CancellationToken cancellationToken)
    {
        using var document = await GetDocumentAsync(path, template, null, cancellationToken);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new KnowBe4ApiException(KnowBe4FailureKind.MalformedBody, template, 200, $"{template}: HTTP 200 with a body that is not a JSON object");
        }
        return new ReportingRecord(document.RootElement.Clone(), document.RootElement.GetRawText());
    }

    private async Task<JsonDocument> GetDocumentAsync(string path, string template, IReadOnlyDictionary<string, string>? query, CancellationToken cancellationToken)
    {
        var url = _baseUrl + path + (query is { Count: > 0 } ? "?" + string.Join('&', query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))) : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(s_acceptJson);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException error) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KnowBe4ApiException(KnowBe4FailureKind.Timeout, template, null, $"{template}: no answer within {_timeout.TotalSeconds:0} s", innerException: error);
        }
        catch (HttpRequestException error)
        {
            throw new KnowBe4ApiException(KnowBe4FailureKind.Network, template, null, $"{template}: {error.Message}", innerException: error);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var requestId = response.Headers.TryGetValues("X-Request-Id", out var ids) ? " (X-Request-Id " + ids.First() + ")" : "";
                var retryAfter = response.Headers.RetryAfter?.Delta;
                var kind = Classify(response.StatusCode);
                throw new KnowBe4ApiException(kind, template, status, $"{template}: HTTP {status} {Describe(response.StatusCode)}{requestId}", retryAfter);
            }
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                using var bounded = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, timeout.Token)) > 0)
                {
                    if (bounded.Length + read > MaxResponseBytes)
                    {
                        throw new KnowBe4ApiException(KnowBe4FailureKind.MalformedBody, template, status, $"{template}: the answer exceeds {MaxResponseBytes / (1024 * 1024)} MB");
                    }
                    bounded.Write(buffer, 0, read);
                }
                return JsonDocument.Parse(bounded.GetBuffer().AsMemory(0, (int)bounded.Length));
            }
            catch (JsonException error)
            {
                throw new KnowBe4ApiException(KnowBe4FailureKind.MalformedBody, template, status, $"{template}: HTTP {status} with a body that is not JSON ({error.Message})", innerException: error);
            }
            catch (Exception error) when (error is IOException or HttpRequestException)
            {
                throw new KnowBe4ApiException(KnowBe4FailureKind.Network, template, status, $"{template}: the answer broke off ({error.Message})", innerException: error);
            }
            catch (OperationCanceledException error) when (!cancellationToken.IsCancellationRequested)
            {
                throw new KnowBe4ApiException(KnowBe4FailureKind.Timeout, template, status, $"{template}: the answer did not complete within {_timeout.TotalSeconds:0} s", innerException: error);
            }
        }
    }

    private static KnowBe4FailureKind Classify(HttpStatusCode status) => (int)status switch
    {
        401 or 403 => KnowBe4FailureKind.Unauthorized,
        404 => KnowBe4FailureKind.NotFound,
        406 or 400 or 422 => KnowBe4FailureKind.BadRequest,
        429 => KnowBe4FailureKind.RateLimited,
        >= 300 and < 400 => KnowBe4FailureKind.Redirected,
        _ => KnowBe4FailureKind.ServerError,
    };

    private static string Describe(HttpStatusCode status) => (int)status switch
    {
        401 => "(the Reporting API key is wrong or disabled; Reporting and User Event keys differ)",
        403 => "(forbidden: the Reporting API needs a Platinum or Diamond plan)",
        404 => "(not found)",
        429 => "(a Reporting limit is reached: 4/s, the burst window or the daily window)",
        503 => "(KnowBe4 maintenance)",
        _ => "",
    };
}
