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

    public override string ToString() =>
        Line is { } line ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{File}:{line}:{Column ?? 1}: {Message}")
        : Source is null ? $"{File}: field \"{Field}\": {Message}"
        : $"{File}: source \"{Source}\": field \"{Field}\": {Message}";
}
