using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Admin;

/// <summary>A failed admin call, with a message for people; the token never appears in it.</summary>
public sealed class AdminClientException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// Calls the daemon's admin endpoint for the CLI verbs. Every failure (not running, token refused, unknown source, any
/// other error answer) becomes an <see cref="AdminClientException"/> that says what went wrong.
/// </summary>
public sealed class AdminClient : IDisposable
{
    public static readonly Uri DefaultAddress = new("http://127.0.0.1:7380/");

    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private const int MaxBodyBytes = 32 * 1024 * 1024;
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _address;

    public AdminClient(Uri address, string token, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        _address = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: true)
        {
            Timeout = RequestTimeout,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>The admin endpoint's address as given (for messages: it holds no secret).</summary>
    public Uri Address => _address;

    /// <summary>GETs <paramref name="path"/> (relative, e.g. <c>api/v1/healthEvents</c>) and returns the JSON body.</summary>
    public Task<ReadOnlyMemory<byte>> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, cancellationToken);

    /// <summary>POSTs to <paramref name="path"/> without a body and returns the JSON answer.</summary>
    public Task<ReadOnlyMemory<byte>> PostAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, cancellationToken);

    public static T Read<T>(ReadOnlyMemory<byte> body, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(body.Span, typeInfo) ?? throw new AdminClientException("The admin endpoint answered an empty document.");
        }
        catch (JsonException invalid)
        {
            throw new AdminClientException($"The admin endpoint answered JSON this version does not understand: {invalid.Message}", invalid);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<ReadOnlyMemory<byte>> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_address, path));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException unreachable)
        {
            throw new AdminClientException($"cannot reach the admin endpoint at {Describe()} — is `kb4collector run` running?", unreachable);
        }
        catch (TaskCanceledException timeout) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminClientException($"the admin endpoint at {Describe()} did not answer within {RequestTimeout.TotalSeconds:0} s", timeout);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                var (withinCap, body) = await BoundedBody.ReadAsync(response.Content, MaxBodyBytes, cancellationToken);
                return withinCap ? body : throw new AdminClientException($"the admin endpoint's answer is larger than {MaxBodyBytes / (1024 * 1024)} MB");
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new AdminClientException($"the admin endpoint refused the token ({Describe()}): pass the daemon's data directory with --data DIR, or the token with --token");
            }
            var message = ErrorMessage(await BoundedBody.ReadPrefixAsync(response.Content, MaxErrorBodyBytes, cancellationToken));
            throw response.StatusCode == HttpStatusCode.NotFound && message is not null
                ? new AdminClientException(message)
                : new AdminClientException($"the admin endpoint answered HTTP {(int)response.StatusCode}{(message is null ? "" : ": " + message)}");
        }
    }

    private string Describe() => _address.GetLeftPart(UriPartial.Authority);

    private static string? ErrorMessage(ReadOnlyMemory<byte> body)
    {
        try
        {
            var error = JsonSerializer.Deserialize(body.Span, AdminJsonContext.Default.AdminError);
            return string.IsNullOrWhiteSpace(error?.Message) ? null : Cli.CliText.OneLine(error.Message);
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(body.Span);
            return string.IsNullOrWhiteSpace(text) ? null : Cli.CliText.OneLine(text);
        }
    }
}
