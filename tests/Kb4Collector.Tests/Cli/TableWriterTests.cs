using Kb4Collector.Cli;

namespace Kb4Collector.Tests.Cli;

public sealed class TableWriterTests
{
    private static async Task<string[]> WriteAsync(TableWriter table)
    {
        using var output = new StringWriter();
        await table.WriteToAsync(output);
        return output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task ColumnsAreAlignedTwoSpacesApartWithoutTrailingPadding()
    {
        var table = new TableWriter("ID", "NAME", "NOTE");
        table.AddRow("1", "short", "x");
        table.AddRow("12345", "a longer name", null);

        var lines = await WriteAsync(table);

        Assert.Equal(["ID     NAME           NOTE", "1      short          x", "12345  a longer name  -"], lines);
    }

    [Fact]
    public async Task CellsAreSingleLineAndCut()
    {
        var table = new TableWriter("TEXT");
        table.AddRow("a\nb\u001b[2Jc");
        table.AddRow(new string('w', 100));

        var lines = await WriteAsync(table);

        Assert.Equal("a b [2Jc", lines[1]);
        Assert.Equal(TableWriter.MaxCellWidth, lines[2].Length);
        Assert.EndsWith("…", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PropertiesAreAligned()
    {
        using var output = new StringWriter();

        await TableWriter.WritePropertiesAsync(output, [("ID", "e-1"), ("Description", "multi\nline"), ("Source", null)]);

        Assert.Equal(["ID           e-1", "Description  multi line", "Source       -"],
            output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void RowsMustMatchTheHeaders()
    {
        Assert.Throws<ArgumentException>(() => new TableWriter("A", "B").AddRow("only one"));
    }
}
