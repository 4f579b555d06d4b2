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

    private readonly Option<KnowBe4Region?> _region = CliOptions.Choice<KnowBe4Region>(
        "--region", "KnowBe4 region of the account [default: us]",
        [("us", KnowBe4Region.Us), ("eu", KnowBe4Region.Eu), ("ca", KnowBe4Region.Ca), ("uk", KnowBe4Region.Uk), ("de", KnowBe4Region.De)]);

    private readonly Option<Uri?> _baseUrl = CliOptions.Url("--base-url", "API base URL instead of a region (for example an emulator)");

    private readonly Option<string?> _apiKey = new("--api-key")
    {
        Description = $"User Event API key (default: the {ApiKeyVariable} environment variable, which keeps it out of the process list)",
        HelpName = "KEY",
    };

    private readonly Option<bool> _json = new("--json") { Description = "Print the API's JSON instead of a table" };

    /// <summary>Adds the shared options to <paramref name="command"/> and runs <paramref name="body"/> as its action.</summary>
    public void Attach(Command command, Func<ApiCommandContext, Task<int>> body)
    {
        command.Options.Add(_region);
        command.Options.Add(_baseUrl);
        command.Options.Add(_apiKey);
        command.Options.Add(_json);
        command.Validators.Add(result =>
        {
            if (result.GetResult(_region) is not null && result.GetResult(_baseUrl) is not null)
            {
                result.AddError("Use either --region or --base-url, not both.");
            }
        });
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, body, cancellationToken));
    }

    private async Task<int> RunAsync(ParseResult parseResult, Func<ApiCommandContext, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var apiKey = (parseResult.GetValue(_apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable))?.Trim();
        if (string.IsNullOrEmpty(apiKey))
        {
            await error.WriteLineAsync($"No API key: pass --api-key KEY or set the {ApiKeyVariable} environment variable.");
            return ExitCodes.Usage;
        }
        var baseUrl = parseResult.GetValue(_baseUrl) ?? KnowBe4Regions.BaseUrl(parseResult.GetValue(_region) ?? KnowBe4Region.Us);
        if (baseUrl.Scheme == Uri.UriSchemeHttp && !baseUrl.IsLoopback)
        {
            await error.WriteLineAsync($"warning: {baseUrl.Host} is reached over plain http; the API key travels unencrypted.");
        }

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
            return await body(new ApiCommandContext(client, parseResult, output, error, parseResult.GetValue(_json), cancellationToken));
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
