using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;

namespace Kb4Collector.Cli;

/// <summary>
/// Options whose values are checked while parsing, so a bad value is a usage error (exit 2) with a message
/// that names the option and the expected form.
/// </summary>
internal static class CliOptions
{
    public static Option<int?> Integer(string name, string description, int min, int max) => new(name)
    {
        Description = description,
        HelpName = min == int.MinValue ? "N" : string.Create(CultureInfo.InvariantCulture, $"{min}..{(max == int.MaxValue ? "" : max)}"),
        CustomParser = result =>
        {
            var text = SingleToken(result);
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                result.AddError($"Invalid value '{text}' for {name}: expected a whole number.");
                return null;
            }
            if (value < min || value > max)
            {
                result.AddError(max == int.MaxValue
                    ? string.Create(CultureInfo.InvariantCulture, $"Invalid value {value} for {name}: it must be {min} or more.")
                    : string.Create(CultureInfo.InvariantCulture, $"Invalid value {value} for {name}: it must be between {min} and {max}."));
                return null;
            }
            return value;
        },
    };

    public static Option<DateOnly?> Date(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "YYYY-MM-DD",
        CustomParser = result =>
        {
            var text = SingleToken(result);
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                return value;
            }
            result.AddError($"Invalid date '{text}' for {name}: expected YYYY-MM-DD.");
            return null;
        },
    };

    /// <summary>An option that accepts one of a few words (case-insensitive), mapped to values.</summary>
    public static Option<T?> Choice<T>(string name, string description, IReadOnlyList<(string Word, T Value)> choices) where T : struct
    {
        var words = string.Join('|', choices.Select(choice => choice.Word));
        return new Option<T?>(name)
        {
            Description = description,
            HelpName = words,
            CustomParser = result =>
            {
                var text = SingleToken(result);
                foreach (var (word, value) in choices)
                {
                    if (string.Equals(word, text, StringComparison.OrdinalIgnoreCase))
                    {
                        return value;
                    }
                }
                result.AddError($"Invalid value '{text}' for {name}: expected {words}.");
                return null;
            },
        };
    }

    public static Option<bool?> Boolean(string name, string description) =>
        Choice(name, description, [("true", true), ("false", false)]);

    /// <summary>An absolute http(s) URL without query or fragment.</summary>
    public static Option<Uri?> Url(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "URL",
        CustomParser = result =>
        {
            var text = SingleToken(result);
            if (Uri.TryCreate(text, UriKind.Absolute, out var url)
                && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
                && url.Query.Length == 0 && url.Fragment.Length == 0 && url.UserInfo.Length == 0)
            {
                return url;
            }
            result.AddError($"Invalid URL '{text}' for {name}: expected an absolute http:// or https:// URL without query, fragment or credentials.");
            return null;
        },
    };

    /// <summary>A JSON object given on the command line.</summary>
    public static Option<JsonElement?> JsonObject(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "JSON",
        CustomParser = result =>
        {
            var text = SingleToken(result);
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return document.RootElement.Clone();
                }
            }
            catch (JsonException)
            {
            }
            result.AddError($"Invalid value for {name}: expected a JSON object such as '{{\"ticket\":\"INC-1\"}}'.");
            return null;
        },
    };

    /// <summary>A duration: seconds ("90"), or with a unit ("90s", "5m", "1h").</summary>
    public static Option<TimeSpan> Duration(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = description,
        HelpName = "DURATION",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = SingleToken(result);
            if (TryParseDuration(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }
            result.AddError($"Invalid duration '{text}' for {name}: expected seconds or a number with s, m or h (for example 30s, 5m).");
            return default;
        },
    };

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length == 0)
        {
            return false;
        }
        var (number, unit) = char.IsLetter(text[^1]) ? (text[..^1], char.ToLowerInvariant(text[^1])) : (text, 's');
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }
        switch (unit)
        {
            case 's': value = TimeSpan.FromSeconds(amount); return true;
            case 'm': value = TimeSpan.FromMinutes(amount); return true;
            case 'h': value = TimeSpan.FromHours(amount); return true;
            default: return false;
        }
    }

    /// <summary>A required option whose text must not be blank.</summary>
    public static Option<string> RequiredText(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Required = true,
        CustomParser = result =>
        {
            var text = SingleToken(result);
            if (string.IsNullOrWhiteSpace(text))
            {
                result.AddError($"{name} must not be blank.");
            }
            return text;
        },
    };

    /// <summary>The id argument of <c>get</c> and <c>delete</c>: any non-blank text (the client escapes it).</summary>
    public static Argument<string> Id(string description) => new("id")
    {
        Description = description,
        CustomParser = result =>
        {
            var text = SingleToken(result);
            if (string.IsNullOrWhiteSpace(text))
            {
                result.AddError("The id must not be blank.");
            }
            return text;
        },
    };

    private static string SingleToken(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
}
