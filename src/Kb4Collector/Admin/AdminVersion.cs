using System.Reflection;

namespace Kb4Collector.Admin;

/// <summary>The collector's version as built (informational version, without the source revision).</summary>
internal static class AdminVersion
{
    public static string Current { get; } = Read();

    private static string Read()
    {
        var assembly = typeof(AdminVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return assembly.GetName().Version?.ToString() ?? "0.0.0";
        }
        var metadata = informational.IndexOf('+', StringComparison.Ordinal);
        return metadata < 0 ? informational : informational[..metadata];
    }
}
