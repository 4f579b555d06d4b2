using Kb4Collector.Tests.Admin;
using Microsoft.Playwright;

namespace Kb4Collector.Tests.Admin.Browser;

[CollectionDefinition(Name)]
public sealed class ConsoleDaemonGroup : ICollectionFixture<ConsoleDaemonFixture>, ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Console in Chromium";
}

/// <summary>The admin test daemon plus the "Acme EU" source that a restart can recover; started only when browser tests run.</summary>
public sealed class ConsoleDaemonFixture() : AdminDaemonFixture(withRecoverableSource: true)
{
    public override ValueTask InitializeAsync() => ChromiumFixture.Enabled ? base.InitializeAsync() : ValueTask.CompletedTask;
}

/// <summary>
/// Debian's <c>chromium</c> driven by Playwright. Playwright's own browser download cannot work here, so it is pointed at the
/// system executable (<c>KB4_CHROMIUM</c>, default <c>/usr/bin/chromium</c>). The tests run only when
/// <c>KB4_BROWSER_TESTS=1</c> (<c>.ci/run</c> sets it and installs chromium); a plain <c>dotnet test</c> skips them.
/// The browser maps <see cref="RebindHost"/> to 127.0.0.1, as a DNS-rebinding attacker's name would resolve.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string OptIn = "KB4_BROWSER_TESTS";
    public const string RebindHost = "rebind.attacker.example";

    public static bool Enabled => Environment.GetEnvironmentVariable(OptIn) == "1";

    public static string Executable => Environment.GetEnvironmentVariable("KB4_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where the screenshots go: <c>KB4_CONSOLE_SCREENSHOTS</c>, or <c>TestResults/console</c> beside the tests.</summary>
    public static string Screenshots { get; } = Environment.GetEnvironmentVariable("KB4_CONSOLE_SCREENSHOTS") is { Length: > 0 } folder
        ? Path.GetFullPath(folder)
        : Path.Combine(AppContext.BaseDirectory, "TestResults", "console");

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (!Enabled)
        {
            return;
        }
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{OptIn}=1 but there is no Chromium at {Executable}: apt-get install -y chromium (or set KB4_CHROMIUM).");
        }
        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = [$"--host-resolver-rules=MAP {RebindHost} 127.0.0.1", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}
