using System.CommandLine;

namespace Kb4Collector.Configuration;

/// <summary>The shape shared by the verbs that load source files (<c>validate</c>, <c>test</c>): PATH and <c>--allow-any-base-url</c>.</summary>
internal static class SourceFileCommand
{
    public delegate Task<int> Run(SourceLoadResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken);

    public static Command Create(string name, string description, SourceConfigLoaderOptions loaderOptions, Run run)
    {
        var pathArgument = new Argument<string>("path")
        {
            Description = "A source JSON file, or a folder whose *.json files are loaded (e.g. config/sources).",
        };
        var allowAnyBaseUrlOption = new Option<bool>("--allow-any-base-url")
        {
            Description = "Accept base URLs outside the KnowBe4 regional hosts (as Collector:AllowAnyBaseUrl=true does).",
        };

        var command = new Command(name, description);
        command.Arguments.Add(pathArgument);
        command.Options.Add(allowAnyBaseUrlOption);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var loader = new SourceConfigLoader(loaderOptions with { AllowAnyBaseUrl = parseResult.GetValue(allowAnyBaseUrlOption) });
            var result = loader.Load(parseResult.GetValue(pathArgument)!);
            return run(result, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }
}
