namespace Kb4Collector.Configuration;

/// <summary>
/// Loads source definitions from one JSON file or from every <c>*.json</c> file of a folder
/// (not recursive; names starting with '.' and hidden files skipped; ordinal order by file name).
/// Never throws for bad input: every defect becomes a <see cref="ConfigProblem"/>. A broken file
/// contributes no source and does not stop the others; an invalid source does not stop the others
/// in its file. Names are unique across all files, ignoring case: the first (in file order) wins.
/// </summary>
public sealed class SourceConfigLoader
{
    private static readonly EnumerationOptions FolderEnumeration = new()
    {
        RecurseSubdirectories = false,
        MatchCasing = MatchCasing.CaseInsensitive,
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = false,
    };

    private readonly SourceConfigLoaderOptions _options;

    public SourceConfigLoader(SourceConfigLoaderOptions? options = null)
    {
        _options = options ?? new SourceConfigLoaderOptions();
    }

    public SourceLoadResult Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var parser = new SourceFileParser(_options with { KeyFileDirectories = [.. _options.KeyFileDirectories, .. ConfigDirectory(path)] });

        var problems = new List<ConfigProblem>();
        if (!TryListFiles(path, problems, out var files))
        {
            return new SourceLoadResult(path, [], [], problems, [], [], PathAvailable: false);
        }

        var sources = new List<SourceDefinition>();
        var rejected = new List<RejectedSource>();
        var brokenFiles = new List<string>();
        var nameOwners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            var outcome = parser.Parse(file, problems);
            if (outcome.Broken)
            {
                brokenFiles.Add(file);
                continue;
            }

            foreach (var entry in outcome.Entries)
            {
                if (entry.Name is null)
                {
                    rejected.Add(new RejectedSource(file, null, entry.Location));
                    continue;
                }
                if (nameOwners.TryGetValue(entry.Name, out var owner))
                {
                    var where = owner == file ? "earlier in this file" : $"by {owner}";
                    problems.Add(new ConfigProblem(file, entry.Name, "config.name", $"duplicate name: already used {where} (names are unique, ignoring case); this source is ignored", ConfigSeverity.Error));
                    rejected.Add(new RejectedSource(file, entry.Name, entry.Location));
                    continue;
                }

                nameOwners.Add(entry.Name, file);
                if (entry.Definition is not null && sources.Count >= SourceConfigLoaderOptions.MaxSources)
                {
                    problems.Add(new ConfigProblem(file, entry.Name, "config.name", $"one daemon runs at most {SourceConfigLoaderOptions.MaxSources} sources; this source is ignored", ConfigSeverity.Error));
                    rejected.Add(new RejectedSource(file, entry.Name, entry.Location));
                }
                else if (entry.Definition is null)
                {
                    rejected.Add(new RejectedSource(file, entry.Name, entry.Location));
                }
                else
                {
                    sources.Add(entry.Definition);
                }
            }
        }
        return new SourceLoadResult(path, files, sources, problems, rejected, brokenFiles, PathAvailable: true);
    }

    private static bool TryListFiles(string path, List<ConfigProblem> problems, out IReadOnlyList<string> files)
    {
        files = [];
        if (File.Exists(path))
        {
            files = [path];
            return true;
        }
        if (!Directory.Exists(path))
        {
            problems.Add(new ConfigProblem(path, null, "$", "no such file or folder", ConfigSeverity.Error));
            return false;
        }

        try
        {
            files = Directory.EnumerateFiles(path, "*.json", FolderEnumeration)
                .Where(IsSourceFileName)
                .OrderBy(file => Path.GetFileName(file), StringComparer.Ordinal)
                .ToList();
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ConfigProblem(path, null, "$", $"the folder cannot be listed: {FileErrors.Describe(exception)}", ConfigSeverity.Error));
            return false;
        }
    }

    /// <summary>
    /// The configuration directory key files may live in: the folder above a sources folder (<c>/etc/kb4collector</c>
    /// for <c>/etc/kb4collector/sources</c>), or the folder of a single source file; never a file system root.
    /// </summary>
    private static IEnumerable<string> ConfigDirectory(string path)
    {
        var directory = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        return directory is null || Path.GetPathRoot(directory) == directory ? [] : [directory];
    }

    /// <summary>True for <c>name.json</c>; false for dot-files such as editor lock files (<c>.#us.json</c>).</summary>
    public static bool IsSourceFileName(string path)
    {
        var name = Path.GetFileName(path);
        return name.Length > ".json".Length
            && !name.StartsWith('.')
            && name.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
    }
}
