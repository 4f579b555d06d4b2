using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Kb4Collector.Daemon;

/// <summary>Writes the daemon's logs to a given writer (the demo's log file, tests capturing every line).</summary>
internal sealed class TextWriterLogSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            formatter.Format(logEvent, output);
            output.Flush();
        }
    }
}
