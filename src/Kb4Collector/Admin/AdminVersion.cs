using System.Reflection;

namespace Kb4Collector.Admin;

/// <summary>
/// The collector's version as built: the informational version without the source revision, the commit (the SDK's
/// SourceRevisionId, set by packaging/build-release.sh) and the build date (the BuildDate assembly metadata).
/// </summary>
internal static class AdminVersion
{
    private static readonly Assembly s_assembly = typeof(AdminVersion).Assembly;
    private static readonly string s_informational = s_assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";

    public static string Current { get; } = ReadVersion();

    /// <summary>The commit the binary was built from, or null when the build did not know it.</summary>
    public static string? Commit { get; } = s_informational.IndexOf('+', StringComparison.Ordinal) is var plus and >= 0 && plus < s_informational.Length - 1
        ? s_informational[(plus + 1)..]
        : null;

    /// <summary>The UTC build date a release build stamps, or null for a development build.</summary>
    public static string? BuildDate { get; } = s_assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(attribute => attribute.Key == "BuildDate")?.Value is { Length: > 0 } date ? date : null;

    /// <summary>What <c>kb4collector --version</c> prints.</summary>
    public static string Describe() =>
        $"kb4collector {Current} (commit {Commit ?? "unknown"}, built {BuildDate ?? "unknown: a development build"})";

    private static string ReadVersion()
    {
        if (string.IsNullOrEmpty(s_informational))
        {
            return s_assembly.GetName().Version?.ToString() ?? "0.0.0";
        }
        var metadata = s_informational.IndexOf('+', StringComparison.Ordinal);
        return metadata < 0 ? s_informational : s_informational[..metadata];
    }
}
