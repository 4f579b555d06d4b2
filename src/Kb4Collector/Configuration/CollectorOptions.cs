namespace Kb4Collector.Configuration;

/// <summary>Collector-wide settings, bound from the <c>Collector</c> section (config/appsettings.json, <c>Collector__Sink__Url=...</c>).</summary>
public sealed class CollectorOptions
{
    public const string SectionName = "Collector";

    /// <summary>This collector's name (X-Sumo-Host and health events).</summary>
    public string Name { get; set; } = "kb4collector";

    /// <summary>Folder for the LiteDB file and the generated admin token.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>A source JSON file, or a folder of them, watched for changes.</summary>
    public string SourcesPath { get; set; } = "config/sources";

    /// <summary>Seconds between full rescans of <see cref="SourcesPath"/> (besides file notifications).</summary>
    public int SourcesRescanSeconds { get; set; } = 10;

    /// <summary>Accept a source base URL on any host, not only the KnowBe4 regional hosts and loopback.</summary>
    public bool AllowAnyBaseUrl { get; set; }

    /// <summary>Accept loopback source base URLs (the emulator). Off by default: any local user can listen on a loopback port.</summary>
    public bool AllowLoopbackBaseUrl { get; set; }

    /// <summary>Prefixes of the environment variables source files may read with <c>env:NAME</c> (never <c>Collector__*</c>).</summary>
    public List<string> KeyEnvironmentPrefixes { get; set; } = ["KB4_", "KNOWBE4_"];

    /// <summary>Folders source files may read <c>file:</c> keys from, besides their own folder and <c>$CREDENTIALS_DIRECTORY</c>.</summary>
    public List<string> KeyFileDirectories { get; set; } = [];

    /// <summary>
    /// <c>i/n</c>: collect only the sources whose API key hashes to replica <c>i</c> of <c>n</c>; <c>i</c> may be a
    /// StatefulSet pod name ending in <c>-&lt;ordinal&gt;</c>. Empty: this process collects every source.
    /// </summary>
    public string? Shard { get; set; }

    public AdminOptions Admin { get; set; } = new();

    public SinkOptionsSection Sink { get; set; } = new();

    public KnowBe4ApiOptions KnowBe4 { get; set; } = new();
}

/// <summary>How the daemon talks to the KnowBe4 API (<c>Collector:KnowBe4</c>).</summary>
public sealed class KnowBe4ApiOptions
{
    public const int MaxRequestsPerSecond = 1_000_000;

    /// <summary>
    /// Requests per second per API key: KnowBe4's limit, 4. A higher pace is accepted only for sources on loopback base
    /// URLs (the emulator), so the real binary can be benchmarked end to end; a source on any other host is refused.
    /// </summary>
    public int RequestsPerSecond { get; set; } = Quota.ApiKeyRateLimiters.RequestsPerSecond;
}

/// <summary>The local admin endpoint (<c>Collector:Admin</c>).</summary>
public sealed class AdminOptions
{
    /// <summary><c>host:port</c>; host is an IP address, <c>localhost</c> or <c>*</c> (all interfaces); IPv6 in brackets.</summary>
    public string Listen { get; set; } = "127.0.0.1:7380";

    /// <summary>Bearer token; empty means generate one into <c>admin.token</c> in the data directory.</summary>
    public string? Token { get; set; }

    /// <summary>Must be true to listen on anything but loopback.</summary>
    public bool AllowNonLoopback { get; set; }

    /// <summary>
    /// Host names (no port) the endpoint answers besides the loopback names and the listen address, e.g. the name a
    /// reverse proxy or an SSH tunnel uses. Any other <c>Host</c> is refused, which shuts out DNS-rebinding pages.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];
}

/// <summary>
/// Where events go (<c>Collector:Sink</c>). Named apart from <c>Kb4Collector.Delivery.SinkOptions</c>,
/// which the delivery code builds from it.
/// </summary>
public sealed class SinkOptionsSection
{
    public const string SumoFormat = "sumo";
    public const string SplunkHecFormat = "splunk-hec";
    public const string NdjsonFormat = "ndjson";

    public static IReadOnlyList<string> Formats { get; } = [SumoFormat, SplunkHecFormat, NdjsonFormat];

    /// <summary>The HTTP endpoint. A Sumo HTTP source URL carries its token in the path: treat the whole URL as a secret.</summary>
    public string? Url { get; set; }

    /// <summary><c>sumo</c> (default), <c>splunk-hec</c> or <c>ndjson</c>.</summary>
    public string Format { get; set; } = SumoFormat;

    /// <summary>Token for the sink (required by <c>splunk-hec</c>; optional bearer token otherwise).</summary>
    public string? Token { get; set; }

    /// <summary>Gzip request bodies (Sumo and Splunk accept <c>Content-Encoding: gzip</c>).</summary>
    public bool Compress { get; set; } = true;
}
