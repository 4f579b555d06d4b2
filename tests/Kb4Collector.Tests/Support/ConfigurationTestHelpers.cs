using System.Text.Json.Nodes;
using Kb4Collector.Configuration;

namespace Kb4Collector.Tests.Support;

/// <summary>Builds source JSON files in Sumo's envelope, starting from a valid KnowBe4 source.</summary>
internal static class SourceJson
{
    public const string TestKey = "kb4-test-key-0123456789abcdef";

    public static JsonObject Config(string name = "KnowBe4 US") => new()
    {
        ["name"] = name,
        ["baseURL"] = "https://api.events.knowbe4.com",
        ["apiKey"] = TestKey,
        ["licensedUsers"] = 100,
    };

    public static JsonObject Source(JsonObject config) => new()
    {
        ["schemaRef"] = new JsonObject { ["type"] = "KnowBe4" },
        ["sourceType"] = "Universal",
        ["config"] = config,
    };

    public static string Single(JsonObject config) => Envelope(Source(config), many: false);

    public static string Many(params JsonObject[] configs) =>
        new JsonObject { ["api.version"] = "v1", ["sources"] = new JsonArray(configs.Select(config => (JsonNode)Source(config)).ToArray()) }.ToJsonString();

    public static string Envelope(JsonObject source, bool many) => many
        ? new JsonObject { ["api.version"] = "v1", ["sources"] = new JsonArray(source) }.ToJsonString()
        : new JsonObject { ["api.version"] = "v1", ["source"] = source }.ToJsonString();

    public static JsonObject With(this JsonObject config, string key, JsonNode? value)
    {
        config[key] = value;
        return config;
    }

    public static JsonObject Without(this JsonObject config, string key)
    {
        config.Remove(key);
        return config;
    }
}

/// <summary>A temporary folder of source files, deleted on dispose.</summary>
internal sealed class TempSourceFolder : IDisposable
{
    public TempSourceFolder()
    {
        Path = Directory.CreateTempSubdirectory("kb4-config-tests-").FullName;
    }

    public string Path { get; }

    public string PathOf(string fileName) => System.IO.Path.Combine(Path, fileName);

    public string Write(string fileName, string content)
    {
        var path = PathOf(fileName);
        File.WriteAllText(path, content);
        return path;
    }

    public void Delete(string fileName) => File.Delete(PathOf(fileName));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold the folder for a moment; the OS temp cleaner takes it later.
        }
    }
}

internal static class ConfigurationTestHelpers
{
    /// <summary>Options whose environment and key files are fakes, so tests never depend on the machine.</summary>
    public static SourceConfigLoaderOptions Options(
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyDictionary<string, string>? keyFiles = null,
        bool allowAnyBaseUrl = false) => new()
    {
        AllowAnyBaseUrl = allowAnyBaseUrl,
        GetEnvironmentVariable = name => environment?.GetValueOrDefault(name),
        ReadKeyFile = path => keyFiles is not null && keyFiles.TryGetValue(path, out var content)
            ? content
            : throw new FileNotFoundException("not found", path),
    };

    /// <summary>The repository root (the folder holding Kb4Collector.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "Kb4Collector.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("Kb4Collector.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Asserts the load produced exactly one problem, an error, that names file, source, field and reason.</summary>
    public static ConfigProblem SingleError(SourceLoadResult result, string file, string? source, string field, string reason)
    {
        var problem = Assert.Single(result.Problems);
        AssertProblem(problem, file, source, field, reason, ConfigSeverity.Error);
        return problem;
    }

    public static void AssertProblem(ConfigProblem problem, string file, string? source, string field, string reason, ConfigSeverity severity)
    {
        Assert.Equal(severity, problem.Severity);
        Assert.Equal(file, problem.File);
        Assert.Equal(source, problem.Source);
        Assert.Equal(field, problem.Field);
        Assert.Contains(reason, problem.Message, StringComparison.Ordinal);
        var text = problem.ToString();
        Assert.StartsWith(file + (problem.Line is null ? ": " : $":{problem.Line}:{problem.Column}: "), text, StringComparison.Ordinal);
        if (source is not null)
        {
            Assert.Contains($"source \"{source}\"", text, StringComparison.Ordinal);
        }
        if (problem.Line is null)
        {
            Assert.Contains($"field \"{field}\"", text, StringComparison.Ordinal);
        }
        Assert.EndsWith(problem.Message, text, StringComparison.Ordinal);
    }
}
