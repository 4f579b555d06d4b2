namespace Kb4Collector.Demo;

/// <summary>
/// The demo's console: a progress line redrawn in place on an interactive console, or printed once per update when
/// the output is redirected, and ordinary lines that never land on top of a half-drawn progress line.
/// </summary>
internal sealed class DemoConsole(TextWriter output, bool redraw)
{
    private int _drawnLength;

    public async Task ProgressAsync(string line)
    {
        if (!redraw)
        {
            await output.WriteLineAsync(line);
            await output.FlushAsync();
            return;
        }
        await output.WriteAsync("\r" + line.PadRight(_drawnLength));
        await output.FlushAsync();
        _drawnLength = line.Length;
    }

    public async Task LineAsync(string line = "")
    {
        await EndProgressAsync();
        await output.WriteLineAsync(line);
    }

    public async Task EndProgressAsync()
    {
        if (_drawnLength > 0)
        {
            await output.WriteLineAsync();
            _drawnLength = 0;
        }
    }
}
