using System.Diagnostics;
using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;

namespace Kb4Collector.Tests.Configuration;

/// <summary>
/// Source files are less trusted than the daemon's own settings: they cannot read its secrets, point it at a local
/// listener, make it read without end or block, or break the loading of other files (issue 15, points 4, 5, 6, 10).
/// </summary>
public sealed class SourceTrustBoundaryTests : IDisposable
{
    private readonly TempSourceFolder _folder = new();
    private readonly string _outside = Directory.CreateTempSubdirectory("kb4-outside-").FullName;

    public void Dispose()
    {
        _folder.Dispose();
        Directory.Delete(_outside, recursive: true);
    }

    private static SourceConfigLoaderOptions Daemon(IReadOnlyDictionary<string, string>? environment = null) => new()
    {
        AllowLoopbackBaseUrl = false,
        GetEnvironmentVariable = name => environment?.GetValueOrDefault(name),
    };

    private SourceLoadResult LoadKey(string apiKey, SourceConfigLoaderOptions options)
    {
        var file = _folder.Write("keyed.json", SourceJson.Single(SourceJson.Config().With("apiKey", apiKey)));
        return new SourceConfigLoader(options).Load(file);
    }

    [Theory]
    [InlineData("Collector__Sink__Token")]
    [InlineData("Collector__Admin__Token")]
    [InlineData("collector__sink__url")]
    [InlineData("HOME")]
    public void AnEnvironmentReferenceCannotReadTheDaemonsSettingsOrOtherVariables(string variable)
    {
        var result = LoadKey("env:" + variable, Daemon(new Dictionary<string, string> { [variable] = "the-daemons-own-secret-0123" }));

        Assert.Empty(result.Sources);
        var problem = Assert.Single(result.Problems);
        Assert.Contains("may not read", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("the-daemons-own-secret", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAllowListedEnvironmentReferenceStillWorks()
    {
        var result = LoadKey("env:KNOWBE4_US_KEY", Daemon(new Dictionary<string, string> { ["KNOWBE4_US_KEY"] = "kb4-key-from-env-0123" }));

        Assert.Equal("kb4-key-from-env-0123", Assert.Single(result.Sources).ApiKey);
    }

    [Fact]
    public void AFileReferenceOutsideTheAllowedFoldersIsNotRead()
    {
        var secret = Path.Combine(_outside, "hostname");
        File.WriteAllText(secret, "not-a-key-but-a-secret-0123");

        var result = LoadKey("file:" + secret, Daemon());

        Assert.Empty(result.Sources);
        Assert.Contains("outside the folders key files may be read from", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASymbolicLinkInTheSourceFolderCannotPointOutsideIt()
    {
        var secret = Path.Combine(_outside, "secret.key");
        File.WriteAllText(secret, "not-a-key-but-a-secret-0123");
        File.CreateSymbolicLink(_folder.PathOf("us.key"), secret);

        var result = LoadKey("file:us.key", Daemon());

        Assert.Empty(result.Sources);
        Assert.Contains("outside the folders", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyFileInAnAllowedFolderIsRead()
    {
        File.WriteAllText(Path.Combine(_outside, "us.key"), "kb4-key-from-file-0123\n");

        var result = LoadKey("file:" + Path.Combine(_outside, "us.key"), Daemon() with { KeyFileDirectories = [_outside] });

        Assert.Equal("kb4-key-from-file-0123", Assert.Single(result.Sources).ApiKey);
    }

    [Fact]
    public void TheConfigurationDirectoryAboveASourcesFolderHoldsKeysButNothingAboveIt()
    {
        var config = Path.Combine(_outside, "etc", "kb4collector");
        var sources = Directory.CreateDirectory(Path.Combine(config, "sources")).FullName;
        File.WriteAllText(Path.Combine(config, "us.key"), "kb4-key-in-config-dir-0123");
        File.WriteAllText(Path.Combine(_outside, "etc", "hostname"), "not-a-key-0123");
        File.WriteAllText(Path.Combine(sources, "a.json"), SourceJson.Single(SourceJson.Config("A").With("apiKey", "file:../us.key")));
        File.WriteAllText(Path.Combine(sources, "b.json"), SourceJson.Single(SourceJson.Config("B").With("apiKey", "file:../../hostname")));

        var result = new SourceConfigLoader(Daemon()).Load(sources);

        Assert.Equal("kb4-key-in-config-dir-0123", Assert.Single(result.Sources).ApiKey);
        Assert.Contains("outside the folders", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALoopbackBaseUrlNeedsTheDaemonsPermission()
    {
        var file = _folder.Write("local.json", SourceJson.Single(SourceJson.Config().With("baseURL", "http://127.0.0.1:8125/")));

        var refused = new SourceConfigLoader(Daemon()).Load(file);
        var allowed = new SourceConfigLoader(Daemon() with { AllowLoopbackBaseUrl = true }).Load(file);

        Assert.Empty(refused.Sources);
        Assert.Contains("Collector:AllowLoopbackBaseUrl", Assert.Single(refused.Problems).Message, StringComparison.Ordinal);
        Assert.Single(allowed.Sources);
    }

    [Theory]
    [InlineData("baseURL", "https://training.knowbe4.com", "config.baseURL", "https://api.events.knowbe4.com")]
    [InlineData("region", "EU", "config.region", "https://api-eu.events.knowbe4.com")]
    public void APaceAboveKnowBe4sIsRefusedForAKnowBe4Host(string key, string value, string field, string host)
    {
        var file = _folder.Write("fast.json", SourceJson.Single(SourceJson.Config().Without("baseURL").With(key, value)));

        var refused = new SourceConfigLoader(Daemon() with { KnowBe4RequestsPerSecond = 50 }).Load(file);
        var atKnowBe4sPace = new SourceConfigLoader(Daemon() with { KnowBe4RequestsPerSecond = 4 }).Load(file);

        Assert.Empty(refused.Sources);
        var problem = Assert.Single(refused.Problems, problem => problem.IsError);
        Assert.Equal(field, problem.Field);
        Assert.StartsWith(file + ": source ", problem.ToString(), StringComparison.Ordinal);
        Assert.Contains($"{host} is not a loopback address, and Collector:KnowBe4:RequestsPerSecond is 50", problem.Message, StringComparison.Ordinal);
        Assert.Single(atKnowBe4sPace.Sources);
    }

    [Fact]
    public void APaceAboveKnowBe4sIsRefusedForAnyNonLoopbackHostAndAcceptedForLoopback()
    {
        var other = _folder.Write("other.json", SourceJson.Single(SourceJson.Config("Other").With("baseURL", "http://10.1.2.3:8125/")));
        var local = _folder.Write("local.json", SourceJson.Single(SourceJson.Config("Local").With("baseURL", "http://127.0.0.1:8125/")));
        var fast = Daemon() with { KnowBe4RequestsPerSecond = 1000, AllowAnyBaseUrl = true, AllowLoopbackBaseUrl = true };

        var refused = new SourceConfigLoader(fast).Load(other);
        var accepted = new SourceConfigLoader(fast).Load(local);

        Assert.Empty(refused.Sources);
        Assert.Contains("Collector:KnowBe4:RequestsPerSecond is 1000", Assert.Single(refused.Problems, problem => problem.IsError).Message, StringComparison.Ordinal);
        Assert.Equal(new Uri("http://127.0.0.1:8125/"), Assert.Single(accepted.Sources).BaseUrl);
    }

    [Fact]
    public async Task ADeviceAsAKeyFileIsRefusedWithoutReadingIt()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var before = GC.GetTotalAllocatedBytes();

        var result = await Task.Run(() => LoadKey("file:/dev/zero", Daemon() with { KeyFileDirectories = ["/dev"] })).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Empty(result.Sources);
        Assert.Contains("not a regular file", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 * 1024 * 1024);
    }

    [Fact]
    public async Task AFifoAsAKeyFileOrASourceFileNeverBlocks()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        MakeFifo(_folder.PathOf("us.key"));
        MakeFifo(_folder.PathOf("pipe.json"));
        _folder.Write("keyed.json", SourceJson.Single(SourceJson.Config().With("apiKey", "file:us.key")));
        _folder.Write("plain.json", SourceJson.Single(SourceJson.Config("Plain")));

        var result = await Task.Run(() => new SourceConfigLoader(Daemon()).Load(_folder.Path)).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal("Plain", Assert.Single(result.Sources).Name);
        Assert.Contains(result.Problems, problem => problem.File.EndsWith("pipe.json", StringComparison.Ordinal) && problem.Message.Contains("not a regular file", StringComparison.Ordinal));
        Assert.Contains(result.Problems, problem => problem.File.EndsWith("keyed.json", StringComparison.Ordinal) && problem.Message.Contains("not a regular file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFileOfInvalidUtf8FailsAloneAndValidateSaysWhy()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(SourceJson.Single(SourceJson.Config("Broken X")));
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;
        File.WriteAllBytes(_folder.PathOf("bad.json"), bytes);
        _folder.Write("good.json", SourceJson.Single(SourceJson.Config("Good")));

        var result = new SourceConfigLoader(Daemon()).Load(_folder.Path);
        var validate = await CliRunner.RunAsync("validate", _folder.Path);

        Assert.Equal("Good", Assert.Single(result.Sources).Name);
        Assert.Contains("not valid UTF-8", Assert.Single(result.Problems).Message, StringComparison.Ordinal);
        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("bad.json", validate.Error, StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8", validate.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileNameWithANewlineOrEscCannotForgeOutputLines()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        _folder.Write("evil\nok: source \"Forged\" in x.json\u001b[2J.json", "{ not json");

        var validate = await CliRunner.RunAsync("validate", _folder.Path);

        Assert.DoesNotContain(validate.Error.Split('\n'), line => line.StartsWith("ok: source \"Forged\"", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', validate.Error);
        Assert.Contains("evil\\u000aok", validate.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileWithTooManySourcesIsRefusedAndTheDaemonRunsAtMostItsCap()
    {
        var crowded = Enumerable.Range(0, SourceConfigLoaderOptions.MaxSourcesPerFile + 1).Select(i => SourceJson.Config($"S{i}")).ToArray();
        _folder.Write("crowded.json", SourceJson.Many(crowded));

        var result = new SourceConfigLoader(Daemon()).Load(_folder.PathOf("crowded.json"));

        Assert.Empty(result.Sources);
        Assert.Contains("at most 200", Assert.Single(result.Problems).Message, StringComparison.Ordinal);

        _folder.Delete("crowded.json");
        for (var file = 0; file * SourceConfigLoaderOptions.MaxSourcesPerFile <= SourceConfigLoaderOptions.MaxSources; file++)
        {
            _folder.Write($"f{file:D2}.json", SourceJson.Many([.. Enumerable.Range(0, SourceConfigLoaderOptions.MaxSourcesPerFile).Select(i => SourceJson.Config($"F{file}-{i}"))]));
        }
        var capped = new SourceConfigLoader(Daemon()).Load(_folder.Path);
        Assert.Equal(SourceConfigLoaderOptions.MaxSources, capped.Sources.Count);
        Assert.Equal(SourceConfigLoaderOptions.MaxSourcesPerFile, capped.Problems.Count(problem => problem.Message.Contains("at most 1000 sources", StringComparison.Ordinal)));
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
