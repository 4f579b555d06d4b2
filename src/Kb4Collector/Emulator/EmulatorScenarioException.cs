namespace Kb4Collector.Emulator;

/// <summary>An emulator scenario that cannot be used; the message names the source (file) and the field.</summary>
public sealed class EmulatorScenarioException : Exception
{
    public EmulatorScenarioException()
    {
    }

    public EmulatorScenarioException(string message) : base(message)
    {
    }

    public EmulatorScenarioException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public EmulatorScenarioException(string sourceName, string field, string problem, Exception? innerException = null)
        : base($"{sourceName}: {field} {problem}", innerException)
    {
        SourceName = sourceName;
        Field = field;
    }

    public string? SourceName { get; }
    public string? Field { get; }
}
