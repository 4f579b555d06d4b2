using Kb4Collector.Configuration;
using Kb4Collector.Tests.Support;
using static Kb4Collector.Tests.Support.ConfigurationTestHelpers;

namespace Kb4Collector.Tests.Configuration;

public sealed class SourceRegistryTests : IDisposable
{
    private readonly TempSourceFolder _folder = new();
    private readonly SourceConfigLoader _loader = new(Options());
    private readonly SourceRegistry _registry = new();

    public void Dispose() => _folder.Dispose();

    private SourceChanges Reload() => _registry.Apply(_loader.Load(_folder.Path));

    [Fact]
    public void TheFirstLoadAddsEverySource()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B")));

        var changes = Reload();

        Assert.Equal(["A", "B"], changes.Added.Select(source => source.Name));
        Assert.Empty(changes.Updated);
        Assert.Empty(changes.Removed);
        Assert.Equal(["A", "B"], _registry.Sources.Select(source => source.Name));
        Assert.Equal("A", _registry.Find(SourceDefinition.IdFor("a"))?.Name);
    }

    [Fact]
    public void ReloadingUnchangedFilesChangesNothing()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        Reload();

        var changes = Reload();

        Assert.True(changes.IsEmpty);
        Assert.Single(_registry.Sources);
    }

    [Fact]
    public void AnEditThatKeepsTheQueryIsAnUpdateWithTheCheckpointKept()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        Reload();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A").With("pollingInterval", 900).With("category", "kb4")));

        var changes = Reload();

        var update = Assert.Single(changes.Updated);
        Assert.False(update.QueryChanged);
        Assert.Equal(TimeSpan.FromSeconds(300), update.Previous.PollingInterval);
        Assert.Equal(TimeSpan.FromSeconds(900), update.Current.PollingInterval);
        Assert.Equal(update.Previous.Id, update.Current.Id);
        Assert.Empty(changes.Added);
        Assert.Empty(changes.Removed);
        Assert.Equal("kb4", _registry.Find(update.Current.Id)?.Category);
    }

    [Fact]
    public void AnEditOfTheRegionChangesTheQueryAndAKeyRotationDoesNot()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        Reload();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A").Without("baseURL").With("region", "EU")));

        var regionChange = Assert.Single(Reload().Updated);
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A").Without("baseURL").With("region", "EU").With("apiKey", "a-new-key")));
        var keyChange = Assert.Single(Reload().Updated);

        Assert.True(regionChange.QueryChanged);
        Assert.False(keyChange.QueryChanged);
    }

    [Fact]
    public void ARemovedSourceIsRemoved()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B")));
        Reload();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));

        var changes = Reload();

        Assert.Equal("B", Assert.Single(changes.Removed).Name);
        Assert.Equal(["A"], _registry.Sources.Select(source => source.Name));
        Assert.Null(_registry.Find(SourceDefinition.IdFor("B")));
    }

    [Fact]
    public void DeletingItsOnlyFileRemovesTheSource()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        _folder.Write("b.json", SourceJson.Single(SourceJson.Config("B")));
        Reload();
        _folder.Delete("b.json");

        var changes = Reload();

        Assert.Equal("B", Assert.Single(changes.Removed).Name);
        Assert.Empty(changes.Retained);
    }

    [Fact]
    public void ARenameIsARemovePlusAnAdd()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("Old Name")));
        Reload();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("New Name")));

        var changes = Reload();

        Assert.Equal("Old Name", Assert.Single(changes.Removed).Name);
        Assert.Equal("New Name", Assert.Single(changes.Added).Name);
        Assert.Empty(changes.Updated);
    }

    [Fact]
    public void ACaseOnlyRenameKeepsTheIdAndIsAnUpdate()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("knowbe4 us")));
        Reload();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("KnowBe4 US")));

        var changes = Reload();

        var update = Assert.Single(changes.Updated);
        Assert.Equal("KnowBe4 US", update.Current.Name);
        Assert.False(update.QueryChanged);
    }

    [Fact]
    public void MovingASourceToAnotherFileIsAnUpdateWithoutQueryChange()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        Reload();
        _folder.Delete("a.json");
        _folder.Write("b.json", SourceJson.Single(SourceJson.Config("A")));

        var changes = Reload();

        var update = Assert.Single(changes.Updated);
        Assert.False(update.QueryChanged);
        Assert.Equal(_folder.PathOf("b.json"), update.Current.SourceFile);
        Assert.Empty(changes.Removed);
    }

    [Fact]
    public void AFileThatBecomesMalformedKeepsItsSources()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A1"), SourceJson.Config("A2")));
        _folder.Write("b.json", SourceJson.Single(SourceJson.Config("B")));
        Reload();
        _folder.Write("a.json", "{\"api.version\":\"v1\",\"sources\":[");

        var changes = Reload();

        Assert.True(changes.IsEmpty);
        Assert.Equal(["A1", "A2"], changes.Retained.Select(source => source.Name));
        Assert.Equal(3, _registry.Sources.Count);
        Assert.Contains(_registry.Problems, problem => problem.File == _folder.PathOf("a.json") && problem.IsError);
    }

    [Fact]
    public void ASourceThatBecomesInvalidKeepsItsLastGoodDefinition()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B")));
        var original = Reload().Added.Single(source => source.Name == "B");
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B").With("apiKey", "env:UNSET_KEY")));

        var changes = Reload();

        Assert.True(changes.IsEmpty);
        Assert.Same(original, Assert.Single(changes.Retained));
        Assert.Same(original, _registry.Find(original.Id));
    }

    [Fact]
    public void AnEntryThatLostItsNameKeepsTheSourcesOfItsFile()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B")));
        Reload();
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A"), SourceJson.Config("B").Without("name")));

        var changes = Reload();

        Assert.Empty(changes.Removed);
        Assert.Equal("B", Assert.Single(changes.Retained).Name);
    }

    [Fact]
    public void ARepairedFileAppliesNormallyAgain()
    {
        _folder.Write("a.json", SourceJson.Many(SourceJson.Config("A1"), SourceJson.Config("A2")));
        Reload();
        _folder.Write("a.json", "not json");
        Reload();
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A1").With("licensedUsers", 7)));

        var changes = Reload();

        Assert.Equal("A2", Assert.Single(changes.Removed).Name);
        Assert.Equal(7, Assert.Single(changes.Updated).Current.LicensedUsers);
        Assert.Empty(changes.Retained);
    }

    [Fact]
    public void AMissingSourcesPathRemovesNothing()
    {
        _folder.Write("a.json", SourceJson.Single(SourceJson.Config("A")));
        Reload();

        var changes = _registry.Apply(_loader.Load(_folder.PathOf("unmounted")));

        Assert.Empty(changes.Removed);
        Assert.Single(changes.Retained);
        Assert.Single(_registry.Sources);
    }
}
