namespace Kb4Collector.Configuration;

/// <summary>
/// What one load of a source file or folder produced.
/// </summary>
/// <param name="Path">The file or folder that was loaded.</param>
/// <param name="Files">The JSON files that were read, in load order.</param>
/// <param name="Sources">The valid sources, in file order then order within the file.</param>
/// <param name="Problems">Every error and warning, in file order.</param>
/// <param name="RejectedSources">Sources that were found but refused (invalid, or a duplicate name).</param>
/// <param name="BrokenFiles">Files that could not be read as a source envelope at all (unreadable, malformed JSON, bad envelope).</param>
/// <param name="PathAvailable">False when <paramref name="Path"/> itself could not be found or listed.</param>
public sealed record SourceLoadResult(
    string Path,
    IReadOnlyList<string> Files,
    IReadOnlyList<SourceDefinition> Sources,
    IReadOnlyList<ConfigProblem> Problems,
    IReadOnlyList<RejectedSource> RejectedSources,
    IReadOnlyList<string> BrokenFiles,
    bool PathAvailable)
{
    public bool HasErrors => Problems.Any(problem => problem.IsError);
}

/// <summary>A source entry that was found in <paramref name="File"/> but not accepted. <paramref name="Name"/> is null when it had no usable name.</summary>
public sealed record RejectedSource(string File, string? Name, string Location);

/// <summary>Settings and seams for <see cref="SourceConfigLoader"/>.</summary>
public sealed record SourceConfigLoaderOptions
{
    public const int MaxSourceFileBytes = 16 * 1024 * 1024;
    public const int MaxKeyFileBytes = 64 * 1024;

    /// <summary>Sources one file may define; more is a mistake (or an attack), and the file is refused.</summary>
    public const int MaxSourcesPerFile = 200;

    /// <summary>Sources one daemon runs; those beyond it (in load order) are refused with a problem.</summary>
    public const int MaxSources = 1000;

    /// <summary>Accept any http(s) base URL, not only the KnowBe4 regional hosts and loopback.</summary>
    public bool AllowAnyBaseUrl { get; init; }

    /// <summary>
    /// Tests only: every KnowBe4 host a file names resolves to this (loopback) URL instead of the region's API host,
    /// so a file copied from Sumo's docs runs unchanged against the emulator.
    /// </summary>
    internal Uri? KnowBe4HostOverride { get; init; }

    /// <summary>
    /// Accept loopback base URLs (the emulator). Anyone on the machine can listen on a loopback port, so the daemon
    /// refuses them unless <c>Collector:AllowLoopbackBaseUrl</c>; the CLI verbs, run by the operator, accept them.
    /// </summary>
    public bool AllowLoopbackBaseUrl { get; init; } = true;

    /// <summary>
    /// The daemon's <c>Collector:KnowBe4:RequestsPerSecond</c>. Above KnowBe4's 4 it is a pace for the emulator only: a
    /// source whose base URL is not loopback is refused.
    /// </summary>
    public int KnowBe4RequestsPerSecond { get; init; } = Quota.ApiKeyRateLimiters.RequestsPerSecond;

    /// <summary>
    /// The only environment variables <c>env:NAME</c> may read (by prefix, ignoring case). The daemon's own settings
    /// (<c>Collector__*</c>: sink token, admin token) are never readable, whatever this says.
    /// </summary>
    public IReadOnlyList<string> EnvironmentPrefixes { get; init; } = ["KB4_", "KNOWBE4_"];

    /// <summary>
    /// Folders <c>file:/path</c> may read from, besides the source file's own folder and systemd's
    /// <c>$CREDENTIALS_DIRECTORY</c>.
    /// </summary>
    public IReadOnlyList<string> KeyFileDirectories { get; init; } = [];

    /// <summary>Looks up an environment variable for <c>env:NAME</c> keys; null when it is not set.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Reads the file of a <c>file:/path</c> key (the full path is passed); IO exceptions mean it cannot be read.</summary>
    public Func<string, string> ReadKeyFile { get; init; } = ReadKeyFileFromDisk;

    private static string ReadKeyFileFromDisk(string path)
    {
        var bytes = BoundedFile.Read(path, MaxKeyFileBytes);
        return new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(bytes).TrimStart('\uFEFF');
    }
}
