using Serilog.Core;
using Serilog.Events;

namespace Kb4Collector.Daemon;

/// <summary>
/// Escapes control characters (newline, ESC, ...) in every string the daemon logs, as <c>\uXXXX</c>: a source or
/// file named with a newline cannot forge a line of the text log, nor an ESC sequence repaint a terminal.
/// </summary>
internal sealed class ControlCharacterEscaper : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            if (value is ScalarValue { Value: string text } && Configuration.Text.HasControlCharacters(text))
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(Configuration.Text.Escape(text))));
            }
        }
    }
}
