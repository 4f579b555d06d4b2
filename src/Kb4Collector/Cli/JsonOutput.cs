using System.Text;

namespace Kb4Collector.Cli;

/// <summary>Writes API bodies to the output exactly as received (UTF-8 text), one document per line.</summary>
internal static class JsonOutput
{
    public static async Task WriteAsync(TextWriter output, ReadOnlyMemory<byte> json)
    {
        var text = Encoding.UTF8.GetString(json.Span);
        await output.WriteAsync(text);
        if (!text.EndsWith('\n'))
        {
            await output.WriteLineAsync();
        }
    }
}
