using Kb4Collector.Cli;
using Kb4Collector.Configuration;
using Microsoft.Extensions.Configuration;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

/// <summary>The files shipped in config/ must stay valid.</summary>
public sealed class ShippedConfigurationTests
{
    private static readonly string ConfigFolder = Path.Combine(RepositoryRoot(), "config");
    private static readonly string ExamplesFolder = Path.Combine(ConfigFolder, "sources.example");
    private const string ExampleKeyVariable = "KNOWBE4_EVENTS_API_KEY";

    [Fact]
    public void TheExampleSourcesValidate()
    {
        var loader = new SourceConfigLoader(Options(environment: new Dictionary<string, string> { [ExampleKeyVariable] = "example-key-from-environment" }));

        var result = loader.Load(ExamplesFolder);

        Assert.Empty(result.Problems);
        Assert.Equal(["env-key-source.json", "eu-siem-source.json", "us-source.json"], result.Files.Select(Path.GetFileName));
        var byName = result.Sources.ToDictionary(source => source.Name);
        Assert.Equal(3, byName.Count);
        Assert.Equal(Kb4Collector.KnowBe4.KnowBe4Region.Us, Kb4Collector.KnowBe4.KnowBe4Regions.RegionOf(byName["KnowBe4 US"].BaseUrl));
        Assert.True(byName["KnowBe4 EU"].SiemForward);
        Assert.Equal(Kb4Collector.KnowBe4.KnowBe4Region.Eu, Kb4Collector.KnowBe4.KnowBe4Regions.RegionOf(byName["KnowBe4 EU"].BaseUrl));
        var fromEnvironment = byName["KnowBe4 CA (key from environment)"];
        Assert.Equal("env:" + ExampleKeyVariable, fromEnvironment.ApiKeyReference);
        Assert.Equal("example-key-from-environment", fromEnvironment.ApiKey);
        Assert.All(result.Sources, source => Assert.False(string.IsNullOrWhiteSpace(source.Description)));
    }

    [Fact]
    public async Task TheExampleSourcesPassTheValidateCommand()
    {
        Environment.SetEnvironmentVariable(ExampleKeyVariable, "example-key-from-environment");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var exitCode = await CommandLine.InvokeAsync(["validate", ExamplesFolder], output, error, TestContext.Current.CancellationToken);

            Assert.Equal(ExitCodes.Success, exitCode);
            Assert.Empty(error.ToString());
            Assert.Contains("3 files checked: 3 valid sources, 0 errors, 0 warnings.", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ExampleKeyVariable, null);
        }
    }

    [Fact]
    public void TheDefaultSourcesFolderShipsEmpty()
    {
        var result = new SourceConfigLoader(Options()).Load(Path.Combine(ConfigFolder, "sources"));

        Assert.True(result.PathAvailable);
        Assert.Empty(result.Files);
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void TheShippedAppSettingsBindAndValidate()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(ConfigFolder, "appsettings.json"), optional: false).Build();

        var options = configuration.GetSection(CollectorOptions.SectionName).Get<CollectorOptions>();

        Assert.NotNull(options);
        Assert.Equal("kb4collector", options.Name);
        Assert.Equal("data", options.DataDirectory);
        Assert.Equal("config/sources", options.SourcesPath);
        Assert.Equal("127.0.0.1:7380", options.Admin.Listen);
        Assert.True(string.IsNullOrEmpty(options.Admin.Token));
        Assert.True(string.IsNullOrEmpty(options.Sink.Url));
        Assert.Equal("sumo", options.Sink.Format);
        Assert.True(string.IsNullOrEmpty(options.Sink.Token));
        Assert.True(new CollectorOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, options).Succeeded);
        Assert.Equal("Information", configuration["Serilog:MinimumLevel:Default"]);
    }

    [Fact]
    public void TheConfigReadmeExplainsEveryExample()
    {
        var readme = File.ReadAllText(Path.Combine(ConfigFolder, "README.md"));

        foreach (var example in Directory.GetFiles(ExamplesFolder, "*.json"))
        {
            Assert.Contains(Path.GetFileName(example), readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheConfigReadmeListsEveryAcceptedKeyAndEverySetting()
    {
        var readme = File.ReadAllText(Path.Combine(ConfigFolder, "README.md"));

        var keys = SourceKeys.Envelope.Concat(SourceKeys.Source).Concat(SourceKeys.SchemaRef).Concat(SourceKeys.Config).Select(key => key.Name).Distinct();
        Assert.All(keys, key => Assert.Contains($"`{key}`", readme, StringComparison.Ordinal));
        Assert.All(Kb4Collector.Cli.CliHelp.Settings(), setting => Assert.Contains($"`{setting.Key}`", readme, StringComparison.Ordinal));
    }
}
