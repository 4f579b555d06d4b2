using System.CommandLine;
using System.Net;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Cli;

/// <summary>
/// The options every API command shares (<c>--region</c>, <c>--base-url</c>, <c>--api-key</c>, <c>--json</c>) and the
/// plumbing around a command: key lookup, client construction, and turning failures into exit codes.
/// </summary>
internal sealed class ApiConnection
{
    public const string ApiKeyVariable = "KB4_API_KEY";

    private readonly ConnectionOptions _options = new("User Event API", ApiKeyVariable, ", which keeps it out of the process list", KnowBe4Regions.BaseUrl);

    /// <summary>Adds the shared options to <paramref name="command"/> and runs <paramref name="body"/> as its action.</summary>
    public void Attach(Command command, Func<ApiCommandContext, Task<int>> body) =>
        _options.Attach(command, (parseResult, cancellationToken) => RunAsync(parseResult, body, cancellationToken));

    private async Task<int> RunAsync(ParseResult parseResult, Func<ApiCommandContext, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        if (await _options.ResolveAsync(parseResult) is not { } connection)
        {
            return ExitCodes.Usage;
        }
        var (apiKey, baseUrl) = connection;

        using var httpClient = CreateHttpClient();
        KnowBe4Client client;
        try
        {
            client = new KnowBe4Client(httpClient, new KnowBe4ClientOptions(baseUrl, apiKey));
        }
        catch (ArgumentException exception)
        {
            await error.WriteLineAsync($"Invalid API key or base URL: {exception.Message}");
            return ExitCodes.Usage;
        }

        try
        {
            return await body(new ApiCommandContext(client, parseResult, output, error, _options.Json(parseResult), cancellationToken));
        }
        catch (KnowBe4ApiException exception)
        {
            await error.WriteLineAsync($"error: {exception.Message}");
            return ExitCodes.Failure;
        }
    }

    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        // A redirect would drop the Authorization header; better to report it than to fail obscurely.
        AllowAutoRedirect = false,
    })
    {
        // The KnowBe4 client enforces its own deadline per call.
        Timeout = Timeout.InfiniteTimeSpan,
    };
}

/// <summary>What a command body needs: the client, its parsed values and where to write.</summary>
internal sealed record ApiCommandContext(KnowBe4Client Client, ParseResult ParseResult, TextWriter Output, TextWriter Error, bool Json, CancellationToken CancellationToken);
