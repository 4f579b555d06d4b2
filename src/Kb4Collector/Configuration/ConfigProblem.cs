namespace Kb4Collector.Configuration;

public enum ConfigSeverity
{
    Warning,
    Error,
}

/// <summary>
/// One finding about a source configuration file. <see cref="Field"/> is a path inside the source
/// object (<c>config.baseURL</c>) or, when the source has no usable name, inside the file
/// (<c>sources[1].config.name</c>); <c>$</c> means the file as a whole. Malformed JSON carries its one-based
/// <see cref="Line"/> and <see cref="Column"/> and prints as <c>file:line:column: what was expected</c>.
/// Messages never contain a secret.
/// </summary>
public sealed record ConfigProblem(string File, string? Source, string Field, string Message, ConfigSeverity Severity, int? Line = null, int? Column = null)
{
    public bool IsError => Severity == ConfigSeverity.Error;

    /// <summary>One line: a file or source named with a newline or ESC cannot forge another line in a log or in <c>validate</c>'s output.</summary>
    public override string ToString() =>
        Line is { } line ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Text.Escape(File)}:{line}:{Column ?? 1}: {Text.Escape(Message)}")
        : Source is null ? $"{Text.Escape(File)}: field \"{Field}\": {Text.Escape(Message)}"
        : $"{Text.Escape(File)}: source \"{Text.Escape(Source)}\": field \"{Field}\": {Text.Escape(Message)}";
}
