using System.CommandLine;
using Kb4Collector.KnowBe4;

namespace Kb4Collector.Cli;

/// <summary>
/// The options every API command shares: where (<c>--region</c> or <c>--base-url</c>), with which key
/// (<c>--api-key</c>, else an environment variable that keeps it out of the process list) and <c>--json</c>.
/// </summary>
/// <param name="apiName">The API as the messages name it ("User Event API", "Reporting API").</param>
/// <param name="keyVariable">The environment variable the key comes from when <c>--api-key</c> is not given.</param>
/// <param name="regionBaseUrl">The API's base URL in a region.</param>
internal sealed class ConnectionOptions(string apiName, string keyVariable, string keyHint, Func<KnowBe4Region, Uri> regionBaseUrl)
{
    private readonly Option<KnowBe4Region?> _region = CliOptions.Choice<KnowBe4Region>(
        "--region", "KnowBe4 region of the account [default: us]",
        [("us", KnowBe4Region.Us), ("eu", KnowBe4Region.Eu), ("ca", KnowBe4Region.Ca), ("uk", KnowBe4Region.Uk), ("de", KnowBe4Region.De)]);

    private readonly Option<Uri?> _baseUrl = CliOptions.Url("--base-url", $"{apiName} base URL instead of a region (for example an emulator)");

    private readonly Option<string?> _apiKey = new("--api-key")
    {
        Description = $"{apiName} key (default: the {keyVariable} environment variable){keyHint}",
        HelpName = "KEY",
    };

    private readonly Option<bool> _json = new("--json") { Description = "Print the API's JSON instead of a table" };

    /// <summary>Adds the options to <paramref name="command"/> (region and base URL exclude each other) and runs <paramref name="action"/>.</summary>
    public void Attach(Command command, Func<ParseResult, CancellationToken, Task<int>> action)
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
        command.SetAction(action);
    }

    public bool Json(ParseResult parseResult) => parseResult.GetValue(_json);

    /// <summary>The key and the base URL; null (after saying why on the error output) when no key was given.</summary>
    public async Task<(string ApiKey, Uri BaseUrl)?> ResolveAsync(ParseResult parseResult)
    {
        var error = parseResult.InvocationConfiguration.Error;
        var apiKey = (parseResult.GetValue(_apiKey) ?? Environment.GetEnvironmentVariable(keyVariable))?.Trim();
        if (string.IsNullOrEmpty(apiKey))
        {
            await error.WriteLineAsync($"No {apiName} key: pass --api-key KEY or set the {keyVariable} environment variable.");
            return null;
        }
        var baseUrl = parseResult.GetValue(_baseUrl) ?? regionBaseUrl(parseResult.GetValue(_region) ?? KnowBe4Region.Us);
        if (baseUrl.Scheme == Uri.UriSchemeHttp && !baseUrl.IsLoopback)
        {
            await error.WriteLineAsync($"warning: {baseUrl.Host} is reached over plain http; the API key travels unencrypted.");
        }
        return (apiKey, baseUrl);
    }
}
