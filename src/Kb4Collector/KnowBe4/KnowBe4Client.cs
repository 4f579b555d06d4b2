using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kb4Collector.KnowBe4;

/// <summary>
/// Client for the eight KnowBe4 User Event API actions. Every failure is a <see cref="KnowBe4ApiException"/>
/// whose kind tells the caller what to do; caller cancellation propagates as <see cref="OperationCanceledException"/>.
/// The <see cref="HttpClient"/> belongs to the caller and is not disposed here.
/// </summary>
public sealed class KnowBe4Client
{
    private static readonly MediaTypeWithQualityHeaderValue s_acceptJson = new("application/json");
    private static readonly MediaTypeHeaderValue s_jsonContentType = new("application/json");

    private readonly HttpClient _httpClient;
    private readonly KnowBe4ClientOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly string _baseUrl;
    private readonly AuthenticationHeaderValue _authorization;
    private volatile bool _hasAuthenticated;

    public KnowBe4Client(HttpClient httpClient, KnowBe4ClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.BaseUrl.IsAbsoluteUri || (options.BaseUrl.Scheme != Uri.UriSchemeHttps && options.BaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("The base URL must be an absolute http or https URL.", nameof(options));
        }
        if (string.IsNullOrEmpty(options.ApiKey) || options.ApiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException("The API key must be non-empty and contain no blanks or control characters.", nameof(options));
        }
        if (options.Timeout <= TimeSpan.Zero && options.Timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, "The timeout must be positive.");
        }
        if (options.MaxResponseBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxResponseBytes, "The response size cap must be positive.");
        }

        _httpClient = httpClient;
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _baseUrl = options.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
    }

    /// <summary>True once any call got a 2xx answer: the key and the region are right.</summary>
    public bool HasAuthenticated => _hasAuthenticated;

    public Uri BaseUrl => _options.BaseUrl;

    // ---- GET /events ----

    public async Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, "/events", QueryString(query), KnowBe4Endpoints.ListEvents, null, cancellationToken);
        var envelope = Deserialize(response, KnowBe4JsonContext.Default.ListEnvelopeUserEvent);
        var meta = envelope.Meta ?? throw Malformed(response.Call, response.StatusCode, "the body has no 'meta' object");
        EnsureFollowable(response, query.Page, meta, envelope.Data.Count);
        return new EventPage(envelope.Data, meta);
    }

    /// <summary>The hot path: one pass over the body, each event kept as its exact bytes.</summary>
    public async Task<RawEventPage> ListEventsRawAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, "/events", QueryString(query), KnowBe4Endpoints.ListEvents, null, cancellationToken);
        try
        {
            var page = RawEventPageParser.Parse(response.Body);
            EnsureFollowable(response, query.Page, page.Meta, page.Events.Count);
            return page;
        }
        catch (FormatException exception)
        {
            throw Malformed(response.Call, response.StatusCode, exception.Message, exception);
        }
    }

    /// <summary>Refuses paging that could not end: each page must move forward and stay within <c>total_pages</c>.</summary>
    private void EnsureFollowable(ApiResponse response, int? requestedPage, PageMeta meta, int events)
    {
        var asked = requestedPage ?? 1;
        var current = meta.CurrentPage > 0 ? meta.CurrentPage : asked;
        var problem = meta switch
        {
            _ when meta.CurrentPage > 0 && meta.CurrentPage != asked => $"page {asked} was asked for but current_page is {meta.CurrentPage}",
            { NextPage: { } next } when next <= current => $"next_page {next} does not come after current_page {current}",
            { NextPage: { } next, TotalPages: > 0 } when next > meta.TotalPages => $"next_page {next} is beyond total_pages {meta.TotalPages}",
            { TotalPages: > 0 } when events > 0 && current > meta.TotalPages => $"page {current} holds events but total_pages is {meta.TotalPages}",
            _ => null,
        };
        if (problem is not null)
        {
            throw new KnowBe4ApiException(KnowBe4FailureKind.MalformedPaging, response.Call.Endpoint, response.StatusCode,
                MaskedDisplay(string.Create(CultureInfo.InvariantCulture, $"{response.Call.Display}: HTTP {response.StatusCode} with paging that cannot end: {problem}")));
        }
    }

    /// <summary>The body of <c>GET /events</c> as received (checked to be well-formed JSON).</summary>
    public Task<ReadOnlyMemory<byte>> ListEventsJsonAsync(EventQuery query, CancellationToken cancellationToken) =>
        GetJsonAsync("/events", QueryString(query), KnowBe4Endpoints.ListEvents, cancellationToken);

    // ---- GET /events/{id} ----

    public async Task<UserEvent> GetEventAsync(string id, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, EventPath(id), string.Empty, KnowBe4Endpoints.GetEvent, null, cancellationToken);
        return Deserialize(response, KnowBe4JsonContext.Default.ItemEnvelopeUserEvent).Data;
    }

    public Task<ReadOnlyMemory<byte>> GetEventJsonAsync(string id, CancellationToken cancellationToken) =>
        GetJsonAsync(EventPath(id), string.Empty, KnowBe4Endpoints.GetEvent, cancellationToken);

    // ---- POST /events ----

    /// <summary>Queues the creation of an event; returns the request id whose status lists the created event ids.</summary>
    public async Task<string> CreateEventAsync(CreateEventRequest request, CancellationToken cancellationToken)
    {
        var response = await SendCreateAsync(request, cancellationToken);
        var created = Deserialize(response, KnowBe4JsonContext.Default.ItemEnvelopeCreatedRequest).Data;
        return string.IsNullOrEmpty(created.Id)
            ? throw Malformed(response.Call, response.StatusCode, "the answer has no request id")
            : created.Id;
    }

    public async Task<ReadOnlyMemory<byte>> CreateEventJsonAsync(CreateEventRequest request, CancellationToken cancellationToken)
    {
        var response = await SendCreateAsync(request, cancellationToken);
        EnsureWellFormed(response);
        return response.Body;
    }

    // ---- DELETE /events/{id} ----

    public async Task DeleteEventAsync(string id, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Delete, EventPath(id), string.Empty, KnowBe4Endpoints.DeleteEvent, null, cancellationToken);

    // ---- GET /event_types ----

    public async Task<EventTypeList> ListEventTypesAsync(string? name, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, "/event_types", NameQueryString(name), KnowBe4Endpoints.ListEventTypes, null, cancellationToken);
        var envelope = Deserialize(response, KnowBe4JsonContext.Default.EventTypeListEnvelope);
        return new EventTypeList(envelope.Data, envelope.Meta?.Count ?? envelope.Data.Count);
    }

    public Task<ReadOnlyMemory<byte>> ListEventTypesJsonAsync(string? name, CancellationToken cancellationToken) =>
        GetJsonAsync("/event_types", NameQueryString(name), KnowBe4Endpoints.ListEventTypes, cancellationToken);

    // ---- GET /event_types/{id} ----

    public async Task<EventType> GetEventTypeAsync(long id, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, EventTypePath(id), string.Empty, KnowBe4Endpoints.GetEventType, null, cancellationToken);
        return Deserialize(response, KnowBe4JsonContext.Default.ItemEnvelopeEventType).Data;
    }

    public Task<ReadOnlyMemory<byte>> GetEventTypeJsonAsync(long id, CancellationToken cancellationToken) =>
        GetJsonAsync(EventTypePath(id), string.Empty, KnowBe4Endpoints.GetEventType, cancellationToken);

    // ---- GET /statuses ----

    public async Task<StatusPage> ListStatusesAsync(StatusQuery query, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, "/statuses", QueryString(query), KnowBe4Endpoints.ListStatuses, null, cancellationToken);
        var envelope = Deserialize(response, KnowBe4JsonContext.Default.ListEnvelopeEventStatus);
        return new StatusPage(envelope.Data, envelope.Meta);
    }

    public Task<ReadOnlyMemory<byte>> ListStatusesJsonAsync(StatusQuery query, CancellationToken cancellationToken) =>
        GetJsonAsync("/statuses", QueryString(query), KnowBe4Endpoints.ListStatuses, cancellationToken);

    // ---- GET /statuses/{id} ----

    public async Task<EventStatus> GetStatusAsync(string id, CancellationToken cancellationToken) =>
        (await GetStatusWithJsonAsync(id, cancellationToken)).Status;

    /// <summary>The status typed and as received, from one call.</summary>
    public async Task<(EventStatus Status, ReadOnlyMemory<byte> Json)> GetStatusWithJsonAsync(string id, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, StatusPath(id), string.Empty, KnowBe4Endpoints.GetStatus, null, cancellationToken);
        return (Deserialize(response, KnowBe4JsonContext.Default.ItemEnvelopeEventStatus).Data, response.Body);
    }

    public Task<ReadOnlyMemory<byte>> GetStatusJsonAsync(string id, CancellationToken cancellationToken) =>
        GetJsonAsync(StatusPath(id), string.Empty, KnowBe4Endpoints.GetStatus, cancellationToken);

    // ---- paths ----

    private static string QueryString(EventQuery query) => query?.ToQueryString() ?? throw new ArgumentNullException(nameof(query));

    private static string QueryString(StatusQuery query) => query?.ToQueryString() ?? throw new ArgumentNullException(nameof(query));

    private static string EventPath(string id) => "/events/" + EscapeId(id);

    private static string StatusPath(string id) => "/statuses/" + EscapeId(id);

    private static string EventTypePath(long id) => "/event_types/" + id.ToString(CultureInfo.InvariantCulture);

    private static string NameQueryString(string? name)
    {
        var query = new QueryStringBuilder();
        query.Add("name", string.IsNullOrEmpty(name) ? null : name);
        return query.ToString();
    }

    private static string EscapeId(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return Uri.EscapeDataString(id);
    }

    // ---- transport ----

    private async Task<ReadOnlyMemory<byte>> GetJsonAsync(string path, string query, string endpoint, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, path, query, endpoint, null, cancellationToken);
        EnsureWellFormed(response);
        return response.Body;
    }

    private Task<ApiResponse> SendCreateAsync(CreateEventRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.TargetUser);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.EventType);
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request, KnowBe4JsonContext.Default.CreateEventRequest));
        content.Headers.ContentType = s_jsonContentType;
        return SendAsync(HttpMethod.Post, "/events", string.Empty, KnowBe4Endpoints.CreateEvent, content, cancellationToken);
    }

    /// <param name="path">The escaped path; with the method it names the call in messages (the query never does).</param>
    /// <param name="endpoint">The endpoint template for <see cref="KnowBe4ApiException.Endpoint"/>.</param>
    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, string query, string endpoint, HttpContent? content, CancellationToken cancellationToken)
    {
        var call = new ApiCall(endpoint, $"{method.Method} {path}");
        // One deadline for the whole call, body included, measured on the injected clock.
        using var timeout = new CancellationTokenSource(_options.Timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(method, new Uri(_baseUrl + path + query, UriKind.Absolute)) { Content = content };
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(s_acceptJson);
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var statusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                throw await FailureAsync(response, call, linked.Token);
            }
            _hasAuthenticated = true;
            var (withinCap, body) = await BoundedBody.ReadAsync(response.Content, _options.MaxResponseBytes, linked.Token);
            return withinCap
                ? new ApiResponse(call, statusCode, body)
                : throw Malformed(call, statusCode, string.Create(CultureInfo.InvariantCulture, $"the body is larger than the {_options.MaxResponseBytes}-byte cap"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException exception)
        {
            // Our deadline, or the HttpClient's own Timeout: either way the server did not answer in time.
            throw new KnowBe4ApiException(KnowBe4FailureKind.Timeout, endpoint, null,
                MaskedDisplay($"{call.Display}: no complete answer within {KnowBe4Failures.FormatDelay(_options.Timeout)}"), innerException: exception);
        }
        catch (HttpRequestException exception)
        {
            throw Network(call, exception);
        }
        catch (IOException exception)
        {
            throw Network(call, exception);
        }
    }

    private async Task<KnowBe4ApiException> FailureAsync(HttpResponseMessage response, ApiCall call, CancellationToken cancellationToken)
    {
        var statusCode = (int)response.StatusCode;
        var serverText = string.Empty;
        try
        {
            var prefix = await BoundedBody.ReadPrefixAsync(response.Content, KnowBe4Failures.ErrorBodyPrefixBytes, cancellationToken);
            serverText = KnowBe4Failures.ServerText(prefix.Span, _options.ApiKey);
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException or OperationCanceledException)
        {
            // The status says enough; a body that cannot be read only loses the excerpt.
        }
        var kind = KnowBe4Failures.Classify(statusCode, serverText, _hasAuthenticated);
        var retryAfter = Quota.RetryAfter.From(response, _timeProvider);
        var excerpt = kind == KnowBe4FailureKind.Redirected
            ? "Location: " + KnowBe4Failures.Excerpt(Delivery.HttpLogSink.RedirectTarget(response), _options.ApiKey)
            : KnowBe4Failures.Excerpt(serverText, _options.ApiKey);
        var message = KnowBe4Failures.Describe(call.Display, statusCode, kind, retryAfter, excerpt);
        return new KnowBe4ApiException(kind, call.Endpoint, statusCode, MaskedDisplay(message), retryAfter);
    }

    private T Deserialize<T>(ApiResponse response, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(response.Body.Span, typeInfo)
                ?? throw Malformed(response.Call, response.StatusCode, "the body is JSON null");
        }
        catch (JsonException exception)
        {
            throw Malformed(response.Call, response.StatusCode, exception.Message, exception);
        }
    }

    private void EnsureWellFormed(ApiResponse response)
    {
        var reader = new Utf8JsonReader(response.Body.Span);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Malformed(response.Call, response.StatusCode, "the body is not a JSON object");
            }
            while (reader.Read())
            {
            }
        }
        catch (JsonException exception)
        {
            throw Malformed(response.Call, response.StatusCode, exception.Message, exception);
        }
    }

    private KnowBe4ApiException Malformed(ApiCall call, int statusCode, string detail, Exception? innerException = null) =>
        new(KnowBe4FailureKind.MalformedBody, call.Endpoint, statusCode,
            MaskedDisplay(string.Create(CultureInfo.InvariantCulture, $"{call.Display}: HTTP {statusCode} with a malformed body: {KnowBe4Failures.Excerpt(detail, _options.ApiKey)}")),
            innerException: innerException);

    private KnowBe4ApiException Network(ApiCall call, Exception exception)
    {
        var detail = exception.InnerException is { } inner && !exception.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{exception.Message} {inner.Message}"
            : exception.Message;
        return new KnowBe4ApiException(KnowBe4FailureKind.Network, call.Endpoint, null,
            MaskedDisplay($"{call.Display}: network error: {KnowBe4Failures.Excerpt(detail, _options.ApiKey)}"), innerException: exception);
    }

    // Ids in paths come from users and servers; whatever they hold, the key does not leave in a message.
    private string MaskedDisplay(string message) => KnowBe4Failures.MaskSecret(message, _options.ApiKey);

    /// <summary>Which call this is: the endpoint template, and method plus concrete path for messages.</summary>
    private readonly record struct ApiCall(string Endpoint, string Display);

    private readonly record struct ApiResponse(ApiCall Call, int StatusCode, ReadOnlyMemory<byte> Body);
}
