using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Kb4Collector.Tests.EndToEnd;

/// <summary>
/// The simplest collector there is, as a yardstick (issue 9, failure 8): each poll walks List Events newest first,
/// 100 a page, until a page holds an id it already has, an event older than where it started, or a short page; it
/// stops for good when its calls run out or the quota answers 429. No checkpoint, no day walk, no counts.
/// </summary>
internal sealed class NewestFirstPoller(Uri baseUrl, string apiKey, DateTimeOffset startedFrom, int maxCalls) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public int Calls { get; private set; }

    public IReadOnlyCollection<string> Delivered => _seen;

    public async Task PollAsync(CancellationToken cancellationToken)
    {
        for (var page = 1; Calls < maxCalls; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"events?per_page=100&page={page}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            Calls++;
            using var response = await _client.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Calls = maxCalls;
                return;
            }
            using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            var events = body.RootElement.GetProperty("data").EnumerateArray().ToList();
            var reachedKnown = false;
            foreach (var item in events)
            {
                var occurred = item.GetProperty("occurred_date").GetDateTimeOffset();
                if (occurred < startedFrom)
                {
                    return;
                }
                reachedKnown |= !_seen.Add(item.GetProperty("id").GetString()!);
            }
            if (reachedKnown || events.Count < 100)
            {
                return;
            }
        }
    }

    public void Dispose() => _client.Dispose();
}
