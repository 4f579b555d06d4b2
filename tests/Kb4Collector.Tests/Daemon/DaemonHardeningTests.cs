using Kb4Collector.Admin;

namespace Kb4Collector.Tests.Daemon;

/// <summary>What the daemon writes and logs stays its owner's (issue 15, point 10).</summary>
public sealed class DaemonHardeningTests
{
    [Fact]
    public async Task QueryStringsAreNeverLogged()
    {
        await using var daemon = await DaemonHarness.StartAsync(backlog: 1);
        await daemon.StartDaemonAsync();
        using var admin = daemon.AdminClient();

        await admin.GetAsync(new Uri("/readyz?access_token=query-secret-4711", UriKind.Relative), TestContext.Current.CancellationToken);
        await admin.GetAsync(new Uri("/api/v1/healthEvents?access_token=query-secret-4711", UriKind.Relative), TestContext.Current.CancellationToken);
        await daemon.StopDaemonAsync();

        Assert.DoesNotContain("query-secret-4711", daemon.Log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileNameWithANewlineCannotForgeALogLine()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        await using var daemon = await DaemonHarness.StartAsync(backlog: 1);
        daemon.WriteSource("us\n[00:00:00 ERR] FORGED\u001b[2J.json", "KnowBe4 US");
        await daemon.StartDaemonAsync();
        await daemon.UntilStateAsync("KnowBe4 US", Kb4Collector.Lifecycle.SourceState.Collecting);
        await daemon.StopDaemonAsync();

        var log = daemon.Log.ToString();
        Assert.Contains("us\\u000a[00:00:00 ERR] FORGED", log, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Split('\n'), line => line.StartsWith("[00:00:00 ERR] FORGED", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', log);
    }

    [Fact]
    public void ThePublishedBuildShipsTheSettingsFile()
    {
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(Support.ConfigurationTestHelpers.RepositoryRoot(), "src", "Kb4Collector", "Kb4Collector.csproj"));

        var shipped = project.Descendants("None").Single(item => (string?)item.Attribute("Include") == "../../config/appsettings.json");

        Assert.Equal("config/appsettings.json", (string?)shipped.Attribute("Link"));
        Assert.Equal("PreserveNewest", (string?)shipped.Attribute("CopyToPublishDirectory"));
    }

    [Fact]
    public void ALooseTokenFileIsTightenedAndAShortOneRefused()
    {
        var folder = Directory.CreateTempSubdirectory("kb4-token-").FullName;
        try
        {
            var path = Path.Combine(folder, AdminToken.FileName);
            File.WriteAllText(path, "a-long-enough-admin-token-0123456789");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                var token = AdminToken.Resolve(null, folder);
                Assert.NotNull(token.Warning);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            File.WriteAllText(path, "abc");
            var refused = Assert.Throws<Kb4Collector.Daemon.DaemonConfigurationException>(() => AdminToken.Resolve(null, folder));
            Assert.Contains("at least 16", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
