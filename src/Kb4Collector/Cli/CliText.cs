using System.Globalization;
using System.Text;

namespace Kb4Collector.Cli;

/// <summary>Small text helpers for command output.</summary>
internal static class CliText
{
    private const int MaxOneLineChars = 200;

    /// <summary>A duration as a user types it (<c>20s</c>, <c>1m30s</c>), as in source files and on the status page.</summary>
    public static string Duration(TimeSpan value) => Configuration.DurationParser.Format(value);

    /// <summary>A count with thousands separators (<c>12,345</c>), the same in every table and on the status page.</summary>
    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Collapses whitespace and control characters and cuts the text for a one-line message.</summary>
    public static string OneLine(string text)
    {
        var line = new StringBuilder(Math.Min(text.Length, MaxOneLineChars + 1));
        var pendingSpace = false;
        foreach (var character in text)
        {
            if (char.IsWhiteSpace(character) || char.IsControl(character))
            {
                pendingSpace = line.Length > 0;
                continue;
            }
            if (line.Length >= MaxOneLineChars)
            {
                line.Append('…');
                break;
            }
            if (pendingSpace)
            {
                line.Append(' ');
                pendingSpace = false;
            }
            line.Append(character);
        }
        return line.ToString();
    }
}
