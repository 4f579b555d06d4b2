using Microsoft.Extensions.Options;

namespace Kb4Collector.Configuration;

/// <summary>Checks <see cref="CollectorOptions"/> at start-up. Messages name the setting and never show a token or the sink URL.</summary>
public sealed class CollectorOptionsValidator : IValidateOptions<CollectorOptions>
{
    public const int MinimumAdminTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, CollectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.Name))
        {
            failures.Add("Collector:Name must not be empty.");
        }
        else if (options.Name.Length > 128)
        {
            failures.Add("Collector:Name must be at most 128 characters.");
        }
        else
        {
            // Sent as every batch's host (X-Sumo-Host, the HEC "host"): the sink's rule, checked at start.
            failures.AddRange(Delivery.MetadataRules.Check(Delivery.MetadataPart.Host, options.Name).Select(reason => $"Collector:Name {reason}."));
        }
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Collector:DataDirectory must not be empty.");
        }
        if (string.IsNullOrWhiteSpace(options.SourcesPath))
        {
            failures.Add("Collector:SourcesPath must not be empty.");
        }
        if (options.SourcesRescanSeconds is < 1 or > 3600)
        {
            failures.Add($"Collector:SourcesRescanSeconds must be from 1 to 3600, not {options.SourcesRescanSeconds}.");
        }
        if (!Sharding.ShardAssignment.TryParse(options.Shard, out _, out var shardError))
        {
            failures.Add($"Collector:Shard {shardError}.");
        }

        if (options.KnowBe4 is null)
        {
            failures.Add("Collector:KnowBe4 is missing.");
        }
        else if (options.KnowBe4.RequestsPerSecond is < 1 or > KnowBe4ApiOptions.MaxRequestsPerSecond)
        {
            failures.Add($"Collector:KnowBe4:RequestsPerSecond must be from 1 to {KnowBe4ApiOptions.MaxRequestsPerSecond}, not {options.KnowBe4.RequestsPerSecond} (KnowBe4 allows {Quota.ApiKeyRateLimiters.RequestsPerSecond}; more is for the emulator on loopback only).");
        }

        ValidateAdmin(options.Admin, failures);
        ValidateSink(options.Sink, failures);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateAdmin(AdminOptions? admin, List<string> failures)
    {
        if (admin is null)
        {
            failures.Add("Collector:Admin is missing.");
            return;
        }
        if (!ListenAddress.TryParse(admin.Listen, out var listen, out var error))
        {
            failures.Add($"Collector:Admin:Listen {error}.");
        }
        else if (!listen.IsLoopback && !admin.AllowNonLoopback)
        {
            failures.Add($"Collector:Admin:Listen {listen} is not a loopback address; the admin endpoint can restart sources, so set Collector:Admin:AllowNonLoopback=true to expose it deliberately.");
        }

        foreach (var host in admin.AllowedHosts ?? [])
        {
            if (string.IsNullOrWhiteSpace(host) || host.Any(character => char.IsWhiteSpace(character) || character is '/' or '@' or ',') || Text.HasControlCharacters(host))
            {
                failures.Add($"Collector:Admin:AllowedHosts holds {Text.Quote(host ?? "")}: give host names only, e.g. collector.example.internal (no scheme, path or port).");
            }
        }

        if (!string.IsNullOrEmpty(admin.Token))
        {
            if (admin.Token.Length < MinimumAdminTokenLength)
            {
                failures.Add($"Collector:Admin:Token is too short: at least {MinimumAdminTokenLength} characters, or leave it empty to generate one.");
            }
            else if (admin.Token.Any(character => char.IsWhiteSpace(character) || char.IsControl(character)))
            {
                failures.Add("Collector:Admin:Token must not contain spaces or control characters.");
            }
        }
    }

    private static void ValidateSink(SinkOptionsSection? sink, List<string> failures)
    {
        if (sink is null)
        {
            failures.Add("Collector:Sink is missing.");
            return;
        }

        var format = sink.Format?.Trim() ?? "";
        var formatKnown = SinkOptionsSection.Formats.Contains(format, StringComparer.OrdinalIgnoreCase);
        if (!formatKnown)
        {
            failures.Add($"Collector:Sink:Format must be one of {string.Join(", ", SinkOptionsSection.Formats)}, not {Text.Quote(format)}.");
        }

        if (!string.IsNullOrWhiteSpace(sink.Url))
        {
            // The URL may carry a Sumo collector token in its path: describe it, never print it.
            if (!Uri.TryCreate(sink.Url.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add("Collector:Sink:Url is not an absolute http(s) URL.");
            }
            else if (url.UserInfo.Length > 0)
            {
                failures.Add("Collector:Sink:Url must not contain a user name or password; use Collector:Sink:Token.");
            }
            else if (formatKnown && string.Equals(format, SinkOptionsSection.SplunkHecFormat, StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(sink.Token))
            {
                failures.Add("Collector:Sink:Token is required when Collector:Sink:Format is splunk-hec (the HEC token).");
            }
        }

        if (!string.IsNullOrEmpty(sink.Token) && sink.Token.Any(character => char.IsWhiteSpace(character) || char.IsControl(character)))
        {
            failures.Add("Collector:Sink:Token must not contain spaces or control characters.");
        }
    }
}
