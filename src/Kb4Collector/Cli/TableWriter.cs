using System.Globalization;
using System.Text;

namespace Kb4Collector.Cli;

/// <summary>
/// Plain-text tables for people: a header row and left-aligned columns two spaces apart. Cells are made
/// single-line and cut at <see cref="MaxCellWidth"/> so that one long description cannot wreck the layout.
/// </summary>
internal sealed class TableWriter(params string[] headers)
{
    public const int MaxCellWidth = 60;
    private const string Empty = "-";

    private readonly List<string[]> _rows = [];

    public int RowCount => _rows.Count;

    public void AddRow(params string?[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"Expected {headers.Length} cells, got {cells.Length}.", nameof(cells));
        }
        _rows.Add(Array.ConvertAll(cells, cell => Cell(cell, MaxCellWidth)));
    }

    public async Task WriteToAsync(TextWriter writer)
    {
        var widths = new int[headers.Length];
        for (var column = 0; column < headers.Length; column++)
        {
            widths[column] = headers[column].Length;
            foreach (var row in _rows)
            {
                widths[column] = Math.Max(widths[column], row[column].Length);
            }
        }
        await writer.WriteLineAsync(Line(headers, widths));
        foreach (var row in _rows)
        {
            await writer.WriteLineAsync(Line(row, widths));
        }
    }

    /// <summary>Writes "Name   value" lines with aligned values (for a single item).</summary>
    /// <param name="minNameWidth">Lets blocks written one after the other line up.</param>
    public static async Task WritePropertiesAsync(TextWriter writer, IReadOnlyList<(string Name, string? Value)> properties, int minNameWidth = 0)
    {
        var width = Math.Max(minNameWidth, properties.Count == 0 ? 0 : properties.Max(property => property.Name.Length));
        foreach (var (name, value) in properties)
        {
            await writer.WriteLineAsync($"{name.PadRight(width)}  {Cell(value, int.MaxValue)}");
        }
    }

    public static string Timestamp(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? Empty;

    public static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? Empty;

    private static string Line(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var column = 0; column < cells.Length; column++)
        {
            if (column > 0)
            {
                line.Append("  ");
            }
            line.Append(column == cells.Length - 1 ? cells[column] : cells[column].PadRight(widths[column]));
        }
        return line.ToString();
    }

    /// <summary>One line, no control characters (a hostile value cannot move the cursor), cut with an ellipsis.</summary>
    private static string Cell(string? value, int maxWidth)
    {
        if (string.IsNullOrEmpty(value))
        {
            return Empty;
        }
        var cell = new StringBuilder(Math.Min(value.Length, maxWidth));
        foreach (var character in value)
        {
            if (cell.Length == maxWidth)
            {
                cell[maxWidth - 1] = '…';
                break;
            }
            cell.Append(char.IsControl(character) ? ' ' : character);
        }
        return cell.ToString();
    }
}
