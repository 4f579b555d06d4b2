namespace Kb4Collector.Daemon;

/// <summary>The collector-wide settings cannot work; the daemon does not start (exit code 2).</summary>
public sealed class DaemonConfigurationException(IReadOnlyList<string> problems)
    : Exception("The collector settings are invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(problem => "  " + problem)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
