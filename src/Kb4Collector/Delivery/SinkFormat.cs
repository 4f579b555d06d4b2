namespace Kb4Collector.Delivery;

/// <summary>The wire format of the HTTP log endpoint.</summary>
public enum SinkFormat
{
    /// <summary>Sumo Logic HTTP Logs Source: NDJSON with <c>X-Sumo-*</c> metadata headers.</summary>
    Sumo,

    /// <summary>Splunk HTTP Event Collector: one JSON envelope per line, <c>Authorization: Splunk &lt;token&gt;</c>.</summary>
    SplunkHec,

    /// <summary>Plain newline-delimited JSON, no special headers.</summary>
    Ndjson,
}
