namespace Kb4Collector.Daemon;

/// <summary>What <c>kb4collector run</c> was given; everything else comes from the settings file and the environment.</summary>
public sealed record DaemonSettings
{
    public const string DefaultSettingsFile = "config/appsettings.json";

    /// <summary>The collector-wide settings file; <see cref="DefaultSettingsFile"/> (optional) when null.</summary>
    public string? SettingsFile { get; init; }

    /// <summary><c>--config</c>: a source file or a folder of them (Collector:SourcesPath).</summary>
    public string? SourcesPath { get; init; }

    /// <summary><c>--data</c>: Collector:DataDirectory.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Compact JSON logs instead of readable console lines.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Settings given on the command line, e.g. <c>--Collector:Sink:Url=http://…</c>; they win over everything.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>Settings given in code (the demo, tests); they win over the file and the environment.</summary>
    public IReadOnlyDictionary<string, string?> Values { get; init; } = new Dictionary<string, string?>();

    /// <summary>Where the daemon's own logs go; the console when null.</summary>
    public TextWriter? LogOutput { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Tests only: see <see cref="Configuration.SourceConfigLoaderOptions.KnowBe4HostOverride"/>.</summary>
    internal Uri? KnowBe4HostOverride { get; init; }
}
