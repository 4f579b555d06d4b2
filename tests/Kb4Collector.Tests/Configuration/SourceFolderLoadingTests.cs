using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

public sealed class SourceFolderLoadingTests : IDisposable
{
    private readonly TempSourceFolder _folder = new();
    private readonly SourceConfigLoader _loader = new(Options());

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void AFolderLoadsEveryJsonFileInNameOrder()
    {
        _folder.Write("b.json", SourceJson.Single(SourceJson.Config("B")));
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A1"), SourceJson.Config("A2")));
        _folder.Write("c.JSON", SourceJson.Single(SourceJson.Config("C")));
        _folder.Write("notes.txt", "not a source");
        _folder.Write(".#a.json", "editor lock file");
        Directory.CreateDirectory(_folder.PathOf("nested.json"));
        Directory.CreateDirectory(_folder.PathOf("sub"));
        File.WriteAllText(Path.Combine(_folder.PathOf("sub"), "d.json"), SourceJson.Single(SourceJson.Config("D")));

        var result = _loader.Load(_folder.Path);

        Assert.Empty(result.Problems);
        Assert.Equal(["A1", "A2", "B", "C"], result.Sources.Select(source => source.Name));
        Assert.Equal([_folder.PathOf("a.json"), _folder.PathOf("b.json"), _folder.PathOf("c.JSON")], result.Files);
        Assert.True(result.PathAvailable);
    }

    [Fact]
    public void ABrokenFileAmongGoodOnesOnlyLosesItsOwnSources()
    {
        _folder.Write("1-good.json", SourceJson.Single(SourceJson.Config("Good One")));
        var broken = _folder.Write("2-broken.json", "{\"api.version\":\"v1\",\"source\":{\"config\":{\"name\":\"Broken\"");
        _folder.Write("3-good.json", SourceJson.Single(SourceJson.Config("Good Two")));

        var result = _loader.Load(_folder.Path);

        Assert.Equal(["Good One", "Good Two"], result.Sources.Select(source => source.Name));
        var problem = SingleError(result, broken, null, "$", "unexpected end of file");
        Assert.Equal([broken], result.BrokenFiles);
        Assert.True(problem.IsError);
    }

    [Fact]
    public void ADuplicateNameAcrossFilesKeepsTheFirstIgnoringCase()
    {
        var first = _folder.Write("a.json", SourceJson.Single(SourceJson.Config("KnowBe4 US").With("licensedUsers", 1)));
        var second = _folder.Write("b.json", SourceJson.Single(SourceJson.Config("knowbe4 us").With("licensedUsers", 2)));

        var result = _loader.Load(_folder.Path);

        SingleError(result, second, "knowbe4 us", "config.name", $"duplicate name: already used by {first}");
        var source = Assert.Single(result.Sources);
        Assert.Equal(1, source.LicensedUsers);
        Assert.Equal(first, source.SourceFile);
    }

    [Fact]
    public void AnEmptyFolderHasNoSourcesAndNoProblems()
    {
        var result = _loader.Load(_folder.Path);

        Assert.Empty(result.Sources);
        Assert.Empty(result.Problems);
        Assert.True(result.PathAvailable);
    }

    [Fact]
    public void AMissingPathIsAnError()
    {
        var missing = _folder.PathOf("nowhere");

        var result = _loader.Load(missing);

        SingleError(result, missing, null, "$", "no such file or folder");
        Assert.False(result.PathAvailable);
    }

    [Fact]
    public void ASingleFilePathLoadsThatFileOnly()
    {
        var file = _folder.Write("one.json", SourceJson.Single(SourceJson.Config("One")));
        _folder.Write("two.json", SourceJson.Single(SourceJson.Config("Two")));

        var result = _loader.Load(file);

        Assert.Equal("One", Assert.Single(result.Sources).Name);
        Assert.Equal([file], result.Files);
    }
}
