namespace Kb4Collector.Delivery;

/// <summary>One KnowBe4 event to forward: its id and the event object's exact JSON bytes (never re-serialised).</summary>
public readonly record struct SinkEvent(string Id, ReadOnlyMemory<byte> Json);

/// <summary>
/// What one <see cref="HttpLogSink.SendAsync"/> call achieved. Events are resolved in input order, so
/// <c>Accepted + DeadLettered</c> is the length of the input prefix that is settled (delivered or kept as a dead letter).
/// </summary>
/// <param name="Accepted">Events the endpoint answered 2xx for.</param>
/// <param name="DeadLettered">Single events the endpoint refused (400/413/422), now stored in <c>dead_letters</c>.</param>
/// <param name="Requests">HTTP requests made, including refused ones.</param>
/// <param name="BytesSent">Request body bytes put on the wire (compressed size when gzip is on).</param>
public readonly record struct DeliveryReport(int Accepted, int DeadLettered, int Requests, long BytesSent)
{
    /// <summary>Length of the settled input prefix: events before this index need no further delivery.</summary>
    public int Settled => Accepted + DeadLettered;
}
