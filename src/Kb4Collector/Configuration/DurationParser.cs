using System.Globalization;
using System.Text;

namespace Kb4Collector.Configuration;

/// <summary>
/// Durations as written in source files: a whole number followed by <c>d</c>, <c>h</c>, <c>m</c> or
/// <c>s</c> (<c>30s</c>, <c>5m</c>, <c>24h</c>, <c>7d</c>), optionally combined from the largest unit
/// down, each unit at most once (<c>1h30m</c>, <c>1d12h</c>). Units are lower case so that <c>m</c> can
/// never be read as months.
/// </summary>
public static class DurationParser
{
    private const string Units = "dhms";

    public const string ExpectedFormat = "a duration like \"30s\", \"5m\", \"24h\", \"7d\" or \"1h30m\"";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        long totalSeconds = 0;
        var nextUnitIndex = 0;
        var position = 0;
        while (position < text.Length)
        {
            var digitsStart = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
            var digitCount = position - digitsStart;
            if (digitCount == 0 || digitCount > 9 || position == text.Length)
            {
                return false;
            }

            var unitIndex = Units.IndexOf(text[position], StringComparison.Ordinal);
            if (unitIndex < nextUnitIndex)
            {
                return false;
            }
            nextUnitIndex = unitIndex + 1;
            position++;

            var amount = long.Parse(text.AsSpan(digitsStart, digitCount), NumberStyles.None, CultureInfo.InvariantCulture);
            totalSeconds += amount * SecondsPerUnit(text[position - 1]);
        }

        if (totalSeconds > TimeSpan.MaxValue.TotalSeconds)
        {
            return false;
        }
        value = TimeSpan.FromSeconds(totalSeconds);
        return true;
    }

    /// <summary>A computed wait or interval in the same notation, rounded up to whole seconds.</summary>
    public static string FormatRoundedUp(TimeSpan value) => Format(TimeSpan.FromSeconds(Math.Ceiling(value.TotalSeconds)));

    /// <summary>Writes a duration back in the same notation (<c>1d12h</c>, <c>90s</c> → <c>1m30s</c>, zero → <c>0s</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.MaxValue)
        {
            return "all";
        }
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Durations in source files are never negative.");
        }

        var remaining = (long)value.TotalSeconds;
        if (remaining == 0)
        {
            return "0s";
        }

        var text = new StringBuilder();
        foreach (var unit in Units)
        {
            var perUnit = SecondsPerUnit(unit);
            var amount = remaining / perUnit;
            if (amount > 0)
            {
                text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
                remaining -= amount * perUnit;
            }
        }
        return text.ToString();
    }

    private static long SecondsPerUnit(char unit) => unit switch
    {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        _ => 1,
    };
}
