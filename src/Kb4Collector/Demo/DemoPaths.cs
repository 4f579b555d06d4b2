namespace Kb4Collector.Demo;

/// <summary>The files of one demo run, all under its output folder.</summary>
public sealed record DemoPaths(string Root)
{
    public string EventsFile => Path.Combine(Root, "events.ndjson");

    public string DaemonLog => Path.Combine(Root, "daemon.log");

    public string SourcesFolder => Path.Combine(Root, "sources");

    public string SourceFile => Path.Combine(SourcesFolder, "demo.json");

    public string DataDirectory => Path.Combine(Root, "data");

    public string SettingsFile => Path.Combine(Root, "appsettings.json");

    public static DemoPaths Under(string outputDirectory) => new(Path.GetFullPath(outputDirectory));

    /// <summary>
    /// Empties what a run rewrites: the source folder (only the demo's source runs), and the data directory unless
    /// <paramref name="keepData"/>. The events file and the log are recreated when they are opened.
    /// </summary>
    public void Prepare(bool keepData)
    {
        Directory.CreateDirectory(Root);
        if (Directory.Exists(SourcesFolder))
        {
            Directory.Delete(SourcesFolder, recursive: true);
        }
        Directory.CreateDirectory(SourcesFolder);
        if (!keepData && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        Directory.CreateDirectory(DataDirectory);
    }

    /// <summary>A path as the user should type it: relative to the working folder when it lies inside it.</summary>
    public static string Show(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
