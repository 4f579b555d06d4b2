using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kb4Collector.KnowBe4;

/// <summary>Pure functions that turn an HTTP answer into a <see cref="KnowBe4FailureKind"/> and a safe message.</summary>
internal static partial class KnowBe4Failures
{
    /// <summary>How much of an error body is read; the rest is discarded.</summary>
    public const int ErrorBodyPrefixBytes = 4096;

    /// <summary>The longest server text quoted in a message.</summary>
    public const int MaxExcerptChars = 200;

    public const string Mask = "********";

    private const string QuotaMessage = "Limit Exceeded";

    public static KnowBe4FailureKind Classify(int statusCode, string? serverText, bool hasAuthenticated) => statusCode switch
    {
        >= 300 and < 400 => KnowBe4FailureKind.Redirected,
        401 or 403 => KnowBe4FailureKind.Unauthorized,
        404 => KnowBe4FailureKind.NotFound,
        408 => KnowBe4FailureKind.ServerError,
        429 when serverText?.Contains(QuotaMessage, StringComparison.OrdinalIgnoreCase) == true => KnowBe4FailureKind.QuotaExhausted,
        429 => KnowBe4FailureKind.RateLimited,
        500 when !hasAuthenticated => KnowBe4FailureKind.Unauthorized,
        >= 400 and < 500 => KnowBe4FailureKind.BadRequest,
        _ => KnowBe4FailureKind.ServerError,
    };

    /// <summary>One line: endpoint, status, what it means for the user, and a short quote of the server's text.</summary>
    public static string Describe(string endpoint, int statusCode, KnowBe4FailureKind kind, TimeSpan? retryAfter, string excerpt)
    {
        var meaning = kind switch
        {
            KnowBe4FailureKind.Unauthorized when statusCode == 500 =>
                "the API has not accepted this key yet, and KnowBe4 answers a wrong API key or region this way; check the API key and the region (or base URL)",
            KnowBe4FailureKind.Unauthorized => "the API key was refused; check the API key and the region (or base URL)",
            KnowBe4FailureKind.QuotaExhausted => "the account's daily API call quota is exhausted; calls work again after the daily reset",
            KnowBe4FailureKind.RateLimited => "rate limited (KnowBe4 allows 4 requests per second)",
            KnowBe4FailureKind.Redirected => "a redirect, which is not followed (the API key stays here); check the base URL",
            KnowBe4FailureKind.NotFound => "not found",
            KnowBe4FailureKind.BadRequest => "the request was refused",
            _ => "server error",
        };
        var builder = new StringBuilder()
            .Append(endpoint).Append(": HTTP ").Append(statusCode.ToString(CultureInfo.InvariantCulture))
            .Append(": ").Append(meaning);
        if (retryAfter is { } delay)
        {
            builder.Append("; retry after ").Append(FormatDelay(delay));
        }
        if (excerpt.Length > 0)
        {
            builder.Append(" (server said: ").Append(excerpt).Append(')');
        }
        return builder.ToString();
    }

    /// <summary>
    /// The server's text from an error body: its JSON <c>message</c> (or <c>error</c>) when it has one, otherwise the
    /// text itself. The key is masked before anything is cut, so no part of it can survive.
    /// </summary>
    public static string ServerText(ReadOnlySpan<byte> body, string apiKey)
    {
        string text;
        try
        {
            var error = JsonSerializer.Deserialize(body, KnowBe4JsonContext.Default.ErrorBody);
            text = error?.Message ?? error?.Error ?? Encoding.UTF8.GetString(body);
        }
        catch (JsonException)
        {
            text = Encoding.UTF8.GetString(body);
        }
        return MaskSecret(text, apiKey);
    }

    /// <summary>A single line of at most <see cref="MaxExcerptChars"/> characters, key masked.</summary>
    public static string Excerpt(string text, string apiKey)
    {
        var masked = MaskSecret(text, apiKey);
        var builder = new StringBuilder(Math.Min(masked.Length, MaxExcerptChars + 1));
        var pendingSpace = false;
        foreach (var character in masked)
        {
            if (char.IsWhiteSpace(character) || char.IsControl(character))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }
            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }
            if (builder.Length >= MaxExcerptChars)
            {
                builder.Append('…');
                break;
            }
            builder.Append(character);
        }
        return builder.ToString();
    }

    /// <summary>
    /// The key masked wherever it appears, in any letter case (a server may echo it lower-cased), and whatever
    /// follows <c>Bearer </c> (a server may echo the header, with a key this client did not send).
    /// </summary>
    public static string MaskSecret(string text, string apiKey)
    {
        var masked = apiKey.Length == 0 ? text : text.Replace(apiKey, Mask, StringComparison.OrdinalIgnoreCase);
        return masked.Contains("bearer", StringComparison.OrdinalIgnoreCase) ? BearerValue().Replace(masked, "$1" + Mask) : masked;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(\bbearer\s+)[^\s""',;}]+", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex BearerValue();

    public static string FormatDelay(TimeSpan delay) => delay.TotalSeconds < 120
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(delay.TotalSeconds):0} s")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(delay.TotalMinutes):0} min");
}
