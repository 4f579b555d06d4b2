using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kb4Collector.Configuration;

/// <summary>
/// A validated source with its API key resolved. Identity is the name: <see cref="Id"/> is derived from
/// it, so edits that keep the name keep the id (and the checkpoint); a rename is a delete plus a create,
/// as in Sumo's JSON sync. Printing the record (<see cref="object.ToString"/>) masks the key.
/// </summary>
public sealed record SourceDefinition
{
    public static readonly TimeSpan DefaultPollingInterval = TimeSpan.FromSeconds(300);
    public static readonly TimeSpan DefaultInitialLookback = TimeSpan.FromHours(24);
    public static readonly TimeSpan DefaultBackdateHorizon = TimeSpan.FromDays(7);
    public static readonly TimeSpan DefaultRescanInterval = TimeSpan.FromHours(1);
    public const double DefaultMaxQuotaShare = 0.5;

    /// <summary><c>initialLookback: "all"</c>: the first run sends everything the API still holds.</summary>
    public static readonly TimeSpan AllHistory = TimeSpan.MaxValue;
    public const string AllHistoryText = "all";
    public const string Mask = "********";

    private const int IdSlugMaxLength = 40;

    public required string Name { get; init; }
    public string? Description { get; init; }
    public string? Category { get; init; }

    /// <summary>Metadata fields for the sink, without <c>_siemForward</c> (see <see cref="SiemForward"/>).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();

    public bool SiemForward { get; init; }
    public required Uri BaseUrl { get; init; }

    /// <summary>The <c>baseURL</c> as the file wrote it (a console or Reporting host maps to <see cref="BaseUrl"/>); null when only <c>region</c> was given.</summary>
    public string? BaseUrlAsWritten { get; init; }

    /// <summary>The resolved secret. Never log, print or put it in an exception; use <see cref="ApiKeyFingerprint"/>.</summary>
    public required string ApiKey { get; init; }

    /// <summary>Where the key came from: <c>literal</c>, <c>env:NAME</c> or <c>file:/path</c> (never the key itself).</summary>
    public string ApiKeyReference { get; init; } = "literal";

    public int? LicensedUsers { get; init; }
    public int? DailyCallBudget { get; init; }
    public TimeSpan PollingInterval { get; init; } = DefaultPollingInterval;
    public TimeSpan InitialLookback { get; init; } = DefaultInitialLookback;
    public TimeSpan BackdateHorizon { get; init; } = DefaultBackdateHorizon;

    /// <summary>How often each past day of the horizon is read again in full (when the budget pays for it).</summary>
    public TimeSpan RescanInterval { get; init; } = DefaultRescanInterval;

    /// <summary>The share of the key's daily User Event calls the collector may spend (the rest is left to other tools).</summary>
    public double MaxQuotaShare { get; init; } = DefaultMaxQuotaShare;

    /// <summary>Whether the source collects User Events (false for a "KnowBe4 KMSAT" source without external events).</summary>
    public bool CollectUserEvents { get; init; } = true;

    /// <summary>The Reporting API data types of a "KnowBe4 KMSAT" source; null when it collects none.</summary>
    public ReportingSettings? Reporting { get; init; }

    /// <summary>The JSON file the source was read from, as the loader was given it.</summary>
    public required string SourceFile { get; init; }

    /// <summary>See <see cref="IdFor"/>.</summary>
    public string Id => IdFor(Name);

    /// <summary>First 16 hex digits of the SHA-256 of the key: tells keys apart without revealing them.</summary>
    public string ApiKeyFingerprint => Quota.ApiKeyFingerprint.Of(ApiKey);

    /// <summary>
    /// What a checkpoint belongs to: the API host. The key is left out on purpose: event ids are global UUIDs, so a
    /// rotated key keeps the checkpoint (a key of another account is recognised by the events' <c>account_id</c>).
    /// </summary>
    public string QueryFingerprint => HashHex(BaseUrl.AbsoluteUri);

    /// <summary>What version 1 of the checkpoint stored as its query (host and key), so such a cursor carries over.</summary>
    public string LegacyQueryFingerprint => HashHex(string.Concat(BaseUrl.AbsoluteUri, "\n", ApiKeyFingerprint));

    /// <summary>Hash of every setting (including the file the source lives in); differs after any edit.</summary>
    public string ConfigFingerprint
    {
        get
        {
            var canonical = new StringBuilder();
            Append(canonical, "name", Name);
            Append(canonical, "description", Description);
            Append(canonical, "category", Category);
            foreach (var (key, value) in Fields.OrderBy(entry => entry.Key, StringComparer.Ordinal))
            {
                Append(canonical, "field:" + key, value);
            }
            Append(canonical, "siemForward", SiemForward ? "true" : "false");
            Append(canonical, "baseUrl", BaseUrl.AbsoluteUri);
            Append(canonical, "apiKey", ApiKeyFingerprint);
            Append(canonical, "licensedUsers", LicensedUsers?.ToString(CultureInfo.InvariantCulture));
            Append(canonical, "dailyCallBudget", DailyCallBudget?.ToString(CultureInfo.InvariantCulture));
            Append(canonical, "pollingInterval", PollingInterval.Ticks.ToString(CultureInfo.InvariantCulture));
            Append(canonical, "initialLookback", InitialLookback.Ticks.ToString(CultureInfo.InvariantCulture));
            Append(canonical, "backdateHorizon", BackdateHorizon.Ticks.ToString(CultureInfo.InvariantCulture));
            Append(canonical, "rescanInterval", RescanInterval.Ticks.ToString(CultureInfo.InvariantCulture));
            Append(canonical, "maxQuotaShare", MaxQuotaShare.ToString("R", CultureInfo.InvariantCulture));
            Append(canonical, "sourceFile", SourceFile);
            if (!CollectUserEvents || Reporting is not null)
            {
                Append(canonical, "userEvents", CollectUserEvents ? "true" : "false");
                Append(canonical, "reporting", Reporting?.Canonical());
            }
            return HashHex(canonical.ToString());
        }
    }

    /// <summary>
    /// The stable id of a source name: the name lower-cased with every run of characters other than
    /// a–z and 0–9 turned into one <c>-</c> (at most 40 characters, <c>source</c> when nothing is left),
    /// then <c>-</c> and the first 10 hex digits of the SHA-256 of the upper-cased (invariant) name.
    /// Names are unique ignoring case, and so are ids: <c>"KnowBe4 US"</c> → <c>knowbe4-us-</c> + hash.
    /// </summary>
    public static string IdFor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slug = new StringBuilder(IdSlugMaxLength);
        var pendingDash = false;
        foreach (var character in name.ToLowerInvariant())
        {
            if (char.IsAsciiLetterLower(character) || char.IsAsciiDigit(character))
            {
                if (pendingDash && slug.Length > 0)
                {
                    slug.Append('-');
                }
                pendingDash = false;
                slug.Append(character);
                if (slug.Length >= IdSlugMaxLength)
                {
                    break;
                }
            }
            else
            {
                pendingDash = true;
            }
        }
        var slugText = slug.Length == 0 ? "source" : slug.ToString().TrimEnd('-');
        return string.Concat(slugText, "-", HashHex(name.ToUpperInvariant()).AsSpan(0, 10));
    }

    /// <summary>Equal when every setting is equal (fields compared by content, not by dictionary instance).</summary>
    public bool Equals(SourceDefinition? other) =>
        other is not null
        && string.Equals(ApiKey, other.ApiKey, StringComparison.Ordinal)
        && string.Equals(ApiKeyReference, other.ApiKeyReference, StringComparison.Ordinal)
        && string.Equals(ConfigFingerprint, other.ConfigFingerprint, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ConfigFingerprint);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Id = ").Append(Id)
            .Append(", Name = ").Append(Name)
            .Append(", BaseUrl = ").Append(BaseUrl)
            .Append(", ApiKey = ").Append(Mask)
            .Append(", ApiKeyReference = ").Append(ApiKeyReference)
            .Append(", ApiKeyFingerprint = ").Append(ApiKeyFingerprint)
            .Append(", Category = ").Append(Category)
            .Append(", SiemForward = ").Append(SiemForward)
            .Append(", Fields = ").Append(Fields.Count)
            .Append(", LicensedUsers = ").Append(LicensedUsers)
            .Append(", DailyCallBudget = ").Append(DailyCallBudget)
            .Append(", PollingInterval = ").Append(PollingInterval)
            .Append(", InitialLookback = ").Append(InitialLookback)
            .Append(", BackdateHorizon = ").Append(BackdateHorizon)
            .Append(", RescanInterval = ").Append(RescanInterval)
            .Append(", MaxQuotaShare = ").Append(MaxQuotaShare)
            .Append(", SourceFile = ").Append(SourceFile)
            .Append(", CollectUserEvents = ").Append(CollectUserEvents)
            .Append(", Reporting = ").Append(Reporting);
        return true;
    }

    private static void Append(StringBuilder canonical, string key, string? value)
    {
        // Length-prefixed so that no two different settings can produce the same text.
        canonical.Append(key).Append('=');
        if (value is null)
        {
            canonical.Append("-\n");
            return;
        }
        canonical.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
    }

    private static string HashHex(string text)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }
}
