using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Kb4Collector.Admin;

/// <summary>Responses in the admin endpoint's JSON, errors in Sumo's shape, and query values checked the same way.</summary>
internal static class AdminResults
{
    public static IResult Json<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode = StatusCodes.Status200OK) =>
        Results.Json(value, typeInfo, contentType: "application/json; charset=utf-8", statusCode: statusCode);

    public static IResult Error(int status, string code, string message) =>
        Json(new AdminError(status, code, message), AdminJsonContext.Default.AdminError, status);

    public static IResult SourceNotFound(string id) =>
        Error(StatusCodes.Status404NotFound, "notfound", $"No source with id {Quote(id)} runs in this collector.");

    public static IResult InvalidParameter(string message) =>
        Error(StatusCodes.Status400BadRequest, "invalid.parameter", message);

    /// <summary>A whole-number query value in [<paramref name="min"/>, <paramref name="max"/>], or the default when absent.</summary>
    public static bool TryInteger(HttpRequest request, string name, int defaultValue, int min, int max, out int value, [NotNullWhen(false)] out IResult? problem)
    {
        value = defaultValue;
        problem = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }
        problem = InvalidParameter(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {min} to {max}."));
        return false;
    }

    /// <summary><c>true</c> or <c>false</c> (any case), false when absent.</summary>
    public static bool TryBoolean(HttpRequest request, string name, out bool value, [NotNullWhen(false)] out IResult? problem)
    {
        value = false;
        problem = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0 || bool.TryParse(text, out value))
        {
            return true;
        }
        problem = InvalidParameter($"{name} must be true or false.");
        return false;
    }

    /// <summary>Quotes a value taken from a request for a message, cut and without control characters.</summary>
    public static string Quote(string value)
    {
        const int MaxLength = 100;
        var printable = new string([.. value.Take(MaxLength).Select(character => char.IsControl(character) ? ' ' : character)]);
        return "\"" + printable + (value.Length > MaxLength ? "…" : "") + "\"";
    }
}
