using System.Text;

namespace Kb4Collector.Delivery;

/// <summary>Where and how events are delivered. Check <see cref="Validate"/> before building a <see cref="HttpLogSink"/>.</summary>
public sealed record SinkOptions
{
    /// <summary>Sumo Logic accepts batches "up to but not exceeding 1 MB of uncompressed data".</summary>
    public const int MaxBatchBytesCap = 1_048_576;

    public const int MinBatchBytes = 1_024;

    public const int MaxBatchEventsCap = 100_000;

    /// <summary>The endpoint URL (for Sumo the unique HTTP source URL, for Splunk <c>.../services/collector/event</c>).</summary>
    public required Uri Url { get; init; }

    public SinkFormat Format { get; init; } = SinkFormat.Sumo;

    /// <summary>
    /// Secret. Splunk HEC token (required for <see cref="SinkFormat.SplunkHec"/>); for <see cref="SinkFormat.Sumo"/> an
    /// optional <c>x-sumo-token</c> for token-authenticated endpoints. Never logged or printed.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Upper bound of one request body before compression.</summary>
    public int MaxBatchBytes { get; init; } = 1_000_000;

    /// <summary>Upper bound of events in one request.</summary>
    public int MaxBatchEvents { get; init; } = 1_000;

    /// <summary>
    /// How long a caller that accumulates events for the sink may hold them before calling
    /// <see cref="HttpLogSink.SendAsync"/>. The sink itself sends whatever it is given at once.
    /// </summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    public bool Gzip { get; init; } = true;

    /// <summary>Per request, including reading the answer. Sumo answers 408 after 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem with these options; empty when they can work.</summary>
    public IReadOnlyList<SinkValidationError> Validate()
    {
        var errors = new List<SinkValidationError>();
        if (Url is null)
        {
            errors.Add(new(nameof(Url), "is required"));
        }
        else if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttps && Url.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add(new(nameof(Url), "must be an absolute http:// or https:// URL"));
        }

        if (!Enum.IsDefined(Format))
        {
            errors.Add(new(nameof(Format), "must be sumo, splunk-hec or ndjson"));
        }

        var hasToken = !string.IsNullOrEmpty(Token);
        if (Format == SinkFormat.SplunkHec && !hasToken)
        {
            errors.Add(new(nameof(Token), "is required for splunk-hec (the HEC token)"));
        }
        else if (Format == SinkFormat.Ndjson && hasToken)
        {
            errors.Add(new(nameof(Token), "is not used by the ndjson format; remove it"));
        }
        if (hasToken && !HeaderText.IsPrintableAscii(Token))
        {
            errors.Add(new(nameof(Token), "must be printable ASCII without line breaks"));
        }

        if (MaxBatchBytes < MinBatchBytes || MaxBatchBytes > MaxBatchBytesCap)
        {
            errors.Add(new(nameof(MaxBatchBytes), $"must be between {MinBatchBytes} and {MaxBatchBytesCap} bytes (uncompressed)"));
        }
        if (MaxBatchEvents < 1 || MaxBatchEvents > MaxBatchEventsCap)
        {
            errors.Add(new(nameof(MaxBatchEvents), $"must be between 1 and {MaxBatchEventsCap}"));
        }
        if (FlushInterval <= TimeSpan.Zero || FlushInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add(new(nameof(FlushInterval), "must be more than 0 and at most 5 minutes"));
        }
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(10))
        {
            errors.Add(new(nameof(Timeout), "must be more than 0 and at most 10 minutes"));
        }
        return errors;
    }

    // Records print every property; the token must never reach a log line through ToString().
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url is null ? "(none)" : SinkEndpoint.Describe(Url))
            .Append(", Format = ").Append(Format)
            .Append(", Token = ").Append(string.IsNullOrEmpty(Token) ? "(none)" : SinkEndpoint.Mask)
            .Append(", MaxBatchBytes = ").Append(MaxBatchBytes)
            .Append(", MaxBatchEvents = ").Append(MaxBatchEvents)
            .Append(", FlushInterval = ").Append(FlushInterval)
            .Append(", Gzip = ").Append(Gzip)
            .Append(", Timeout = ").Append(Timeout);
        return true;
    }
}
