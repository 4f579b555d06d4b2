using System.CommandLine;
using System.Globalization;
using Kb4Collector.Cli;

namespace Kb4Collector.Emulator;

/// <summary><c>kb4collector emulator</c>: runs the emulator until Ctrl+C / SIGTERM.</summary>
public static class EmulatorCommand
{
    public const string DefaultUrl = "http://127.0.0.1:7390";

    /// <summary>What runs when no scenario file is given: one demo account with a small backlog and a trickle of arrivals.</summary>
    public static EmulatorScenario DefaultScenario { get; } = new()
    {
        Accounts = [new EmulatorAccountSpec { Name = "Demo Account", Seats = 100 }],
        Backlog = new EmulatorBacklog { Events = 500, Days = 30 },
        Arrivals = new EmulatorArrivals { PerMinute = 2, BackdatedFraction = 0.05, BackdatedMaxDays = 3, SameMillisecondFraction = 0.05 },
    };

    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen, e.g. http://127.0.0.1:7390 (port 0 picks a free port)",
            DefaultValueFactory = _ => DefaultUrl,
        };
        var apiKey = new Option<string?>("--api-key") { Description = "The key the first account accepts; a demo key is generated otherwise" };
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Scenario JSON file (see config/emulator/scenario.example.json)" };
        var seats = new Option<int?>("--seats") { Description = "Licensed seats of every account; daily quota = 10 calls x seats; 0 switches the quota off" };
        var rps = new Option<int?>("--rps") { Description = "Requests per second per account before 429 (KnowBe4 allows 4); 0 switches the limit off" };
        var backlog = new Option<int?>("--backlog") { Description = "Events that already exist at start, spread over the scenario's backlog days" };
        var seed = new Option<int?>("--seed") { Description = "Seed of the generated data; the same seed gives the same events" };
        foreach (var option in new[] { seats, rps, backlog })
        {
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int?>() is < 0)
                {
                    result.AddError($"{result.Option.Name} must be 0 or more");
                }
            });
        }

        var command = new Command("emulator", "Run a local KnowBe4 User Event API emulator (faults, limits, ground truth at /__emulator/).");
        command.Options.Add(urls);
        command.Options.Add(apiKey);
        command.Options.Add(scenario);
        command.Options.Add(seats);
        command.Options.Add(rps);
        command.Options.Add(backlog);
        command.Options.Add(seed);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new EmulatorCommandSettings(
                parseResult.GetValue(urls) ?? DefaultUrl,
                parseResult.GetValue(apiKey),
                parseResult.GetValue(scenario),
                parseResult.GetValue(seats),
                parseResult.GetValue(rps),
                parseResult.GetValue(backlog),
                parseResult.GetValue(seed)),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(EmulatorCommandSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        EmulatorScenario scenario;
        try
        {
            scenario = settings.ApplyTo(settings.ScenarioFile is { } file ? EmulatorScenario.Load(file.FullName) : DefaultScenario);
        }
        catch (EmulatorScenarioException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return ExitCodes.Usage;
        }

        KnowBe4Emulator emulator;
        try
        {
            emulator = await KnowBe4Emulator.StartAsync(new EmulatorOptions { Scenario = scenario, Url = settings.Url }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or FormatException or UriFormatException)
        {
            await error.WriteLineAsync($"The emulator could not listen on {settings.Url}: {exception.Message}");
            return ExitCodes.Failure;
        }

        await using (emulator)
        {
            await PrintBannerAsync(emulator, scenario, settings, output);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await output.WriteLineAsync("Stopping the emulator.");
            }
        }
        return ExitCodes.Success;
    }

    private static async Task PrintBannerAsync(KnowBe4Emulator emulator, EmulatorScenario scenario, EmulatorCommandSettings settings, TextWriter output)
    {
        var accounts = emulator.Accounts;
        var firstKey = accounts[0].ApiKeys[0];
        var limits = scenario.Limits;
        var lines = new List<string>
        {
            "KnowBe4 User Event API emulator",
            $"Base URL: {emulator.BaseUrl}",
            // A key the user gave is never echoed; a generated demo key is what the user needs to call the emulator.
            $"API key: {(firstKey.Generated ? firstKey.Secret : DemoKey.Mask + (settings.ApiKey is null ? " (from the scenario file)" : " (the key given with --api-key)"))}",
            // The Reporting API (/v1/...) has keys of its own; a scenario's given keys are not echoed either.
            $"Reporting API key: {(scenario.Accounts[0].ReportingApiKeys is { Count: > 0 } ? DemoKey.Mask + " (from the scenario file)" : emulator.ReportingApiKey)}",
        };
        foreach (var account in accounts)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"Account: {account.Name} (account_id {account.AccountId}, {account.Seats} seats, {account.ApiKeys.Count} key(s), {account.LiveEvents} events, {account.UserEmails.Count} users)"));
        }
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"Rate limit: {(limits.RequestsPerSecond == 0 ? "off" : $"{limits.RequestsPerSecond} requests/s per account")}"));
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"Daily quota: {(limits.CallsPerSeatPerDay == 0 ? "off" : $"{limits.CallsPerSeatPerDay} calls per seat per UTC day")}"));
        lines.Add($"Ground truth: {new Uri(emulator.BaseUrl, "__emulator/ground-truth")}");
        lines.Add("Press Ctrl+C to stop.");
        foreach (var line in lines)
        {
            await output.WriteLineAsync(line);
        }
        await output.FlushAsync();
    }
}

/// <summary>The emulator command's options; each one set overrides the scenario.</summary>
internal sealed record EmulatorCommandSettings(
    string Url,
    string? ApiKey,
    FileInfo? ScenarioFile,
    int? Seats,
    int? RequestsPerSecond,
    int? Backlog,
    int? Seed)
{
    public EmulatorScenario ApplyTo(EmulatorScenario scenario)
    {
        var accounts = scenario.Accounts.ToList();
        if (ApiKey is { } key)
        {
            accounts[0] = accounts[0] with { ApiKeys = [key, .. accounts[0].ApiKeys.Skip(1).Where(other => other != key)] };
        }
        var limits = scenario.Limits;
        if (Seats is { } seats)
        {
            if (seats == 0)
            {
                limits = limits with { CallsPerSeatPerDay = 0 };
            }
            else
            {
                accounts = [.. accounts.Select(account => account with { Seats = seats })];
                limits = limits with { CallsPerSeatPerDay = limits.CallsPerSeatPerDay == 0 ? 10 : limits.CallsPerSeatPerDay };
            }
        }
        if (RequestsPerSecond is { } perSecond)
        {
            limits = limits with { RequestsPerSecond = perSecond };
        }
        var result = scenario with
        {
            Accounts = accounts,
            Limits = limits,
            Backlog = Backlog is { } events ? scenario.Backlog with { Events = events } : scenario.Backlog,
            Seed = Seed ?? scenario.Seed,
        };
        result.Validate("command line");
        return result;
    }
}
