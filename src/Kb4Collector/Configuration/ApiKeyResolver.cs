namespace Kb4Collector.Configuration;

/// <summary>
/// Turns the <c>apiKey</c> setting into the key: a literal, <c>env:NAME</c> (an environment variable) or
/// <c>file:/path</c> (a file holding the key; surrounding whitespace trimmed; a relative path is relative
/// to the folder of the source file). Problems name the variable or path, never a value.
/// </summary>
internal sealed class ApiKeyResolver(SourceConfigLoaderOptions options)
{
    private const string DefaultField = "config.apiKey";
    private const string EnvironmentPrefix = "env:";
    private const string FilePrefix = "file:";
    private const int MaxKeyLength = 8 * 1024;

    public (string Key, string Reference)? Resolve(string setting, string sourceFile, ProblemSink sink, string field = DefaultField)
    {
        string key;
        string reference;
        if (setting.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var variable = setting[EnvironmentPrefix.Length..].Trim();
            if (variable.Length == 0 || variable.Any(character => char.IsWhiteSpace(character) || char.IsControl(character) || character == '='))
            {
                sink.Error(field, "\"env:\" must be followed by an environment variable name, e.g. \"env:KB4_API_KEY\"");
                return null;
            }
            reference = EnvironmentPrefix + variable;
            if (!MayRead(variable))
            {
                sink.Error(field, $"refers to environment variable {Text.Printable(variable)}, which a source file may not read: only names starting with {string.Join(" or ", options.EnvironmentPrefixes)}, and never the daemon's own Collector__* settings");
                return null;
            }
            var value = options.GetEnvironmentVariable(variable);
            if (value is null)
            {
                sink.Error(field, $"refers to environment variable {variable}, which is not set");
                return null;
            }
            key = value.Trim();
            if (key.Length == 0)
            {
                sink.Error(field, $"refers to environment variable {variable}, which is empty");
                return null;
            }
        }
        else if (setting.StartsWith(FilePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var written = setting[FilePrefix.Length..].Trim();
            if (written.Length == 0)
            {
                sink.Error(field, "\"file:\" must be followed by the path of a file holding the key, e.g. \"file:/etc/kb4collector/us.key\"");
                return null;
            }
            var sourceFolder = Path.GetDirectoryName(Path.GetFullPath(sourceFile)) ?? ".";
            var path = Path.IsPathRooted(written) ? written : Path.GetFullPath(Path.Combine(sourceFolder, written));
            var shown = path == written ? Text.Quote(written) : $"{Text.Quote(written)} ({Text.Printable(path)})";
            reference = FilePrefix + written;
            if (!IsUnderAllowedFolder(path, sourceFolder))
            {
                sink.Error(field, $"refers to file {shown}, which is outside the folders key files may be read from (the source file's folder, $CREDENTIALS_DIRECTORY, Collector:KeyFileDirectories)");
                return null;
            }
            try
            {
                key = options.ReadKeyFile(path).Trim();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                sink.Error(field, $"refers to file {shown}, which cannot be read: {FileErrors.Describe(exception)}");
                return null;
            }
            if (key.Length == 0)
            {
                sink.Error(field, $"refers to file {shown}, which is empty");
                return null;
            }
        }
        else
        {
            key = setting;
            reference = "literal";
            if (key.Trim().Length == 0)
            {
                sink.Error(field, "must not be empty");
                return null;
            }
        }

        var origin = reference == "literal" ? "the key" : $"the key from {Text.Printable(reference)}";
        if (key.All(character => character == '*'))
        {
            sink.Error(field, $"{origin} is the \"{SourceDefinition.Mask}\" placeholder Sumo shows instead of secrets; put the real key back (or use env:NAME or file:/path)");
            return null;
        }
        if (key.Any(character => char.IsWhiteSpace(character) || char.IsControl(character)))
        {
            sink.Error(field, $"{origin} contains spaces or control characters; a KnowBe4 API key is a single token");
            return null;
        }
        if (key.Length > MaxKeyLength)
        {
            sink.Error(field, $"{origin} is {key.Length} characters long; a KnowBe4 API key is far shorter");
            return null;
        }
        return (key, reference);
    }

    private bool MayRead(string variable) =>
        !variable.StartsWith("Collector__", StringComparison.OrdinalIgnoreCase)
        && !variable.StartsWith("Collector:", StringComparison.OrdinalIgnoreCase)
        && options.EnvironmentPrefixes.Any(prefix => variable.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    /// <summary>The path, and the file a symbolic link there finally points at, both lie inside an allowed folder.</summary>
    private bool IsUnderAllowedFolder(string path, string sourceFolder)
    {
        var credentials = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY");
        var folders = options.KeyFileDirectories.Append(sourceFolder)
            .Concat(string.IsNullOrEmpty(credentials) ? [] : [credentials])
            .Select(folder => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar)
            .ToList();
        bool Inside(string candidate) => folders.Any(folder => Path.GetFullPath(candidate).StartsWith(folder, StringComparison.Ordinal));
        if (!Inside(path))
        {
            return false;
        }
        try
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true);
            return target is null || Inside(target.FullName);
        }
        catch (IOException)
        {
            // Unreadable links are reported by the read itself.
            return true;
        }
    }
}
