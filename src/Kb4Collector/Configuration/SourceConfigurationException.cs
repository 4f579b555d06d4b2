namespace Kb4Collector.Configuration;

/// <summary>
/// A source's configuration cannot work as written (missing or invalid field, unresolvable key reference).
/// The message names the file, the source, the field and the reason, never a secret.
/// </summary>
public sealed class SourceConfigurationException : Exception
{
    public SourceConfigurationException(string message, string? field = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Field = field;
    }

    public string? Field { get; }
}
