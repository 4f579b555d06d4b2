using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

public sealed class ApiKeyReferenceTests : IDisposable
{
    private const string Secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWtleS12YWx1ZQ.sig";
    private readonly TempSourceFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private SourceLoadResult Load(string apiKey, SourceConfigLoaderOptions options)
    {
        var file = _folder.Write("keyed.json", SourceJson.Single(SourceJson.Config().With("apiKey", apiKey)));
        return new SourceConfigLoader(options).Load(file);
    }

    [Fact]
    public void AnEnvironmentReferenceIsResolvedAtLoadTime()
    {
        var result = Load("env:KB4_US_KEY", Options(environment: new Dictionary<string, string> { ["KB4_US_KEY"] = "  " + Secret + "\n" }));

        var source = Assert.Single(result.Sources);
        Assert.Equal(Secret, source.ApiKey);
        Assert.Equal("env:KB4_US_KEY", source.ApiKeyReference);
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void AnUnsetEnvironmentVariableNamesTheVariable()
    {
        var result = Load("env:KB4_US_KEY", Options());

        SingleError(result, _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", "refers to environment variable KB4_US_KEY, which is not set");
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void AnEmptyEnvironmentVariableIsRefused()
    {
        var result = Load("env:KB4_US_KEY", Options(environment: new Dictionary<string, string> { ["KB4_US_KEY"] = " " }));

        SingleError(result, _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", "KB4_US_KEY, which is empty");
    }

    [Fact]
    public void AnEnvironmentReferenceNeedsAName()
    {
        SingleError(Load("env:", Options()), _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", "\"env:\" must be followed by an environment variable name");
    }

    [Fact]
    public void AFileReferenceIsReadAndTrimmed()
    {
        var keyFile = Path.Combine(_folder.Path, "us.key");

        var result = Load("file:" + keyFile, Options(keyFiles: new Dictionary<string, string> { [keyFile] = Secret + "\r\n" }));

        var source = Assert.Single(result.Sources);
        Assert.Equal(Secret, source.ApiKey);
        Assert.Equal("file:" + keyFile, source.ApiKeyReference);
    }

    [Fact]
    public void ARelativeFileReferenceIsRelativeToTheSourceFile()
    {
        File.WriteAllText(_folder.PathOf("us.key"), Secret + "\n");

        var result = Load("file:us.key", new SourceConfigLoaderOptions());

        Assert.Equal(Secret, Assert.Single(result.Sources).ApiKey);
    }

    [Fact]
    public void AMissingKeyFileNamesThePath()
    {
        var keyFile = Path.Combine(_folder.Path, "missing.key");

        var result = Load("file:" + keyFile, new SourceConfigLoaderOptions());

        SingleError(result, _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", $"refers to file \"{keyFile}\", which cannot be read: it does not exist");
    }

    [Fact]
    public void AnEmptyKeyFileIsRefused()
    {
        File.WriteAllText(_folder.PathOf("empty.key"), "\n");

        var result = Load("file:empty.key", new SourceConfigLoaderOptions());

        SingleError(result, _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", "which is empty");
    }

    [Fact]
    public void AnOversizedKeyFileIsRefused()
    {
        File.WriteAllText(_folder.PathOf("big.key"), new string('k', SourceConfigLoaderOptions.MaxKeyFileBytes + 1));

        var result = Load("file:big.key", new SourceConfigLoaderOptions());

        SingleError(result, _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", "larger than 64 KiB");
    }

    [Fact]
    public void AResolvedKeyThatIsNotASingleTokenIsRefusedWithoutShowingIt()
    {
        var result = Load("env:KB4_US_KEY", Options(environment: new Dictionary<string, string> { ["KB4_US_KEY"] = "part-one " + Secret }));

        var problem = SingleError(result, _folder.PathOf("keyed.json"), "KnowBe4 US", "config.apiKey", "the key from env:KB4_US_KEY contains spaces");
        Assert.DoesNotContain(Secret, problem.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("part-one", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheResolvedKeyNeverAppearsInProblemsOfAnInvalidSource()
    {
        var config = SourceJson.Config().With("apiKey", "env:KB4_US_KEY").With("region", "Mars").With("pollingInterval", 0);
        var file = _folder.Write("keyed.json", SourceJson.Single(config));

        var result = new SourceConfigLoader(Options(environment: new Dictionary<string, string> { ["KB4_US_KEY"] = Secret })).Load(file);

        Assert.True(result.HasErrors);
        Assert.All(result.Problems, problem => Assert.DoesNotContain(Secret, problem.ToString(), StringComparison.Ordinal));
    }
}
