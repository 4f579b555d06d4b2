using Kb4Collector.Quota;
using Kb4Collector.Sharding;

namespace Kb4Collector.Tests.Sharding;

public sealed class ShardAssignmentTests
{
    [Theory]
    [InlineData("1/3", 1, 3)]
    [InlineData("kb4collector-2/3", 2, 3)]
    [InlineData("my-release-kb4collector-0/1", 0, 1)]
    [InlineData(" 0 / 4 ", 0, 4)]
    public void ReadsAnIndexOrAStatefulSetPodName(string text, int index, int count)
    {
        Assert.True(ShardAssignment.TryParse(text, out var shard, out var error), error);
        Assert.Equal(new ShardAssignment(index, count), shard);
    }

    [Fact]
    public void NoSettingMeansOneProcessOwnsEverything()
    {
        Assert.True(ShardAssignment.TryParse("", out var shard, out _));
        Assert.False(shard.IsSharded);
        Assert.True(shard.Owns(ApiKeyFingerprint.Of("any-key")));
    }

    [Theory]
    [InlineData("3", "is not i/n")]
    [InlineData("3/3", "from 0 to 2")]
    [InlineData("kb4collector/3", "from 0 to 2")]
    [InlineData("1/0", "from 1 to 1024")]
    [InlineData("-1/3", "from 0 to 2")]
    public void ABadValueSaysWhatIsWrong(string text, string reason)
    {
        Assert.False(ShardAssignment.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryKeyHasExactlyOneOwnerAndTheKeysSpreadOverTheReplicas()
    {
        var fingerprints = Enumerable.Range(0, 3000).Select(index => ApiKeyFingerprint.Of($"key-{index}")).ToList();
        var replicas = Enumerable.Range(0, 3).Select(index => new ShardAssignment(index, 3)).ToList();

        Assert.All(fingerprints, fingerprint => Assert.Single(replicas, replica => replica.Owns(fingerprint)));
        Assert.All(replicas, replica => Assert.InRange(fingerprints.Count(replica.Owns), 900, 1100));
    }

    [Fact]
    public void GrowingFromThreeToFourMovesAQuarterOfTheKeysAllToTheNewReplica()
    {
        var fingerprints = Enumerable.Range(0, 4000).Select(index => ApiKeyFingerprint.Of($"key-{index}")).ToList();

        var moved = fingerprints.Where(fingerprint => ShardAssignment.OwnerOf(fingerprint, 3) != ShardAssignment.OwnerOf(fingerprint, 4)).ToList();

        Assert.All(moved, fingerprint => Assert.Equal(3, ShardAssignment.OwnerOf(fingerprint, 4)));
        Assert.InRange(moved.Count, 900, 1100);
    }

    [Fact]
    public async Task RunRefusesABadShardWithOneLine()
    {
        var result = await Support.CliRunner.RunAsync("run", "--shard", "5/3", "--Collector:Sink:Url=http://127.0.0.1:9/x");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Collector:Shard \"5/3\": the replica index must be a whole number from 0 to 2", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }
}
