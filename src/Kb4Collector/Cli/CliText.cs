using System.Globalization;
using System.Text;

namespace Kb4Collector.Cli;

/// <summary>Small text helpers for command output.</summary>
internal static class CliText
{
    private const int MaxOneLineChars = 200;

    public static string Duration(TimeSpan value) => value.TotalSeconds < 120
        ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.#} s")
        : string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0.#} min");

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
