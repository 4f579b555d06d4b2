using System.CommandLine;
using System.Net;
using System.Text.Json;
using Kb4Collector.KnowBe4;
using Kb4Collector.Quota;
using Kb4Collector.Reporting;

namespace Kb4Collector.Cli;

/// <summary>
/// The Reporting API as commands, like the User Event ones: <c>account get</c>, <c>phishing tests list|get</c>,
/// <c>phishing recipients list PST_ID</c>, <c>training campaigns list</c>, <c>training enrollments list</c>,
/// <c>users list</c>. Lists read one page of 500 (or every page with <c>--all</c>, stopping on an empty page), paced at
/// 4 calls a second and 50 a minute.
/// </summary>
internal static class ReportingCommands
{
    public const string ApiKeyVariable = "KB4_REPORTING_API_KEY";

    /// <summary>One column of a list table: its header and how to read it from a record (nested with '.').</summary>
    private sealed record Column(string Header, string Path);

    public static void AddTo(RootCommand root)
    {
        var account = new Command("account", "The Reporting API account (seats, subscription, risk score)");
        account.Subcommands.Add(Get("get", "Show the account", _ => "/v1/account", "GET /v1/account", null));
        root.Subcommands.Add(account);

        var phishing = new Command("phishing", "Phishing security tests and their recipients' results (Reporting API)");
        var tests = new Command("tests", "Phishing security tests");
        tests.Subcommands.Add(List("list", "List phishing security tests", _ => "/v1/phishing/security_tests", "GET /v1/phishing/security_tests", null,
            [new("PST_ID", "pst_id"), new("CAMPAIGN", "campaign_id"), new("STATUS", "status"), new("STARTED", "started_at"), new("PHISH_PRONE_%", "phish_prone_percentage"), new("NAME", "name")]));
        tests.Subcommands.Add(Get("get", "Show one phishing security test", id => "/v1/phishing/security_tests/" + Uri.EscapeDataString(id!), "GET /v1/phishing/security_tests/{pst_id}", "PST_ID"));
        phishing.Subcommands.Add(tests);
        var recipients = new Command("recipients", "Recipients' results of a phishing security test");
        recipients.Subcommands.Add(List("list", "List the recipients' results of a test", id => "/v1/phishing/security_tests/" + Uri.EscapeDataString(id!) + "/recipients",
            "GET /v1/phishing/security_tests/{pst_id}/recipients", "PST_ID",
            [new("RECIPIENT_ID", "recipient_id"), new("EMAIL", "user.email"), new("DELIVERED", "delivered_at"), new("OPENED", "opened_at"), new("CLICKED", "clicked_at"), new("REPORTED", "reported_at")]));
        phishing.Subcommands.Add(recipients);
        root.Subcommands.Add(phishing);

        var training = new Command("training", "Training campaigns and enrollments (Reporting API)");
        var campaigns = new Command("campaigns", "Training campaigns");
        campaigns.Subcommands.Add(List("list", "List training campaigns", _ => "/v1/training/campaigns", "GET /v1/training/campaigns", null,
            [new("CAMPAIGN_ID", "campaign_id"), new("STATUS", "status"), new("START", "start_date"), new("END", "end_date"), new("NAME", "name")],
            // Without it KnowBe4 answers at most 10 campaigns a page.
            new Dictionary<string, string> { ["exclude_percentages"] = "true" }));
        training.Subcommands.Add(campaigns);
        var enrollments = new Command("enrollments", "Training enrollments");
        enrollments.Subcommands.Add(List("list", "List training enrollments", _ => "/v1/training/enrollments", "GET /v1/training/enrollments", null,
            [new("ENROLLMENT_ID", "enrollment_id"), new("EMAIL", "user.email"), new("STATUS", "status"), new("COMPLETED", "completion_date"), new("MODULE", "module_name")], cursor: true));
        training.Subcommands.Add(enrollments);
        root.Subcommands.Add(training);

        var users = new Command("users", "Users and their current risk scores (Reporting API)");
        users.Subcommands.Add(List("list", "List users", _ => "/v1/users", "GET /v1/users", null,
            [new("ID", "id"), new("EMAIL", "email"), new("RISK_SCORE", "current_risk_score"), new("PHISH_PRONE_%", "phish_prone_percentage"), new("STATUS", "status")]));
        root.Subcommands.Add(users);
    }

    private static Command List(
        string name, string description, Func<string?, string> path, string template, string? argumentName, IReadOnlyList<Column> columns,
        IReadOnlyDictionary<string, string>? query = null, bool cursor = false)
    {
        var command = new Command(name, description);
        var argument = argumentName is null ? null : new Argument<string>(argumentName.ToLowerInvariant()) { Description = argumentName, HelpName = argumentName };
        if (argument is not null)
        {
            command.Arguments.Add(argument);
        }
        var all = new Option<bool>("--all") { Description = "Read every page (500 a page) until an empty one, not just the first" };
        command.Options.Add(all);
        new ReportingConnection().Attach(command, async context =>
        {
            var url = path(argument is null ? null : context.ParseResult.GetValue(argument));
            var records = new List<ReportingRecord>();
            if (context.ParseResult.GetValue(all))
            {
                await foreach (var page in context.Client.ListAllAsync(url, template, query, cursor, context.CancellationToken))
                {
                    records.AddRange(page);
                }
            }
            else
            {
                records.AddRange(await context.Client.ListPageAsync(url, template, 1, query, context.CancellationToken));
            }
            if (context.Json)
            {
                await context.Output.WriteLineAsync("[" + string.Join(",", records.Select(record => record.Json)) + "]");
                return ExitCodes.Success;
            }
            if (records.Count == 0)
            {
                await context.Output.WriteLineAsync("None.");
                return ExitCodes.Success;
            }
            var table = new TableWriter([.. columns.Select(column => column.Header)]);
            foreach (var record in records)
            {
                table.AddRow([.. columns.Select(column => Read(record.Element, column.Path))]);
            }
            await table.WriteToAsync(context.Output);
            await context.Output.WriteLineAsync($"{records.Count} shown" + (context.ParseResult.GetValue(all) || records.Count < ReportingClient.MaxPerPage ? "" : " (the first page; --all reads every page)"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Get(string name, string description, Func<string?, string> path, string template, string? argumentName)
    {
        var command = new Command(name, description);
        var argument = argumentName is null ? null : new Argument<string>(argumentName.ToLowerInvariant()) { Description = argumentName, HelpName = argumentName };
        if (argument is not null)
        {
            command.Arguments.Add(argument);
        }
        new ReportingConnection().Attach(command, async context =>
        {
            var record = await context.Client.GetAsync(path(argument is null ? null : context.ParseResult.GetValue(argument)), template, context.CancellationToken);
            if (context.Json)
            {
                await context.Output.WriteLineAsync(record.Json);
                return ExitCodes.Success;
            }
            var properties = record.Element.EnumerateObject()
                .Where(property => property.Value.ValueKind is not JsonValueKind.Array and not JsonValueKind.Object)
                .Select(property => (property.Name, Read(record.Element, property.Name)))
                .ToList();
            await TableWriter.WritePropertiesAsync(context.Output, properties);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A value by path (<c>user.email</c>) as text; empty when absent or null.</summary>
    private static string? Read(JsonElement element, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element))
            {
                return null;
            }
        }
        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => element.GetRawText(),
        };
    }

    /// <summary><c>--region</c>, <c>--base-url</c>, <c>--api-key</c> (or <c>KB4_REPORTING_API_KEY</c>) and <c>--json</c> for Reporting commands.</summary>
    private sealed class ReportingConnection
    {
        private readonly ConnectionOptions _options = new("Reporting API", ApiKeyVariable, "; User Event keys do not work here", KnowBe4Regions.ReportingBaseUrl);

        public void Attach(Command command, Func<ReportingContext, Task<int>> body) =>
            _options.Attach(command, (parseResult, cancellationToken) => RunAsync(parseResult, body, cancellationToken));

        private async Task<int> RunAsync(ParseResult parseResult, Func<ReportingContext, Task<int>> body, CancellationToken cancellationToken)
        {
            var error = parseResult.InvocationConfiguration.Error;
            if (await _options.ResolveAsync(parseResult) is not { } connection)
            {
                return ExitCodes.Usage;
            }
            var (apiKey, baseUrl) = connection;
            using var perSecond = new RollingWindowRateLimiter(ReportingGate.PerSecond, ReportingGate.SecondWindow, 100, TimeProvider.System);
            using var perMinute = new RollingWindowRateLimiter(ReportingGate.PerBurst, ReportingGate.BurstWindow, 100, TimeProvider.System);
            using var http = new HttpClient(new PatientHandler
            {
                InnerHandler = new RateLimitingHandler(perMinute)
                {
                    InnerHandler = new RateLimitingHandler(perSecond)
                    {
                        InnerHandler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, ConnectTimeout = TimeSpan.FromSeconds(15), AllowAutoRedirect = false },
                    },
                },
            })
            { Timeout = Timeout.InfiniteTimeSpan };
            ReportingClient client;
            try
            {
                client = new ReportingClient(http, baseUrl, apiKey);
            }
            catch (ArgumentException exception)
            {
                await error.WriteLineAsync($"Invalid API key or base URL: {exception.Message}");
                return ExitCodes.Usage;
            }
            try
            {
                return await body(new ReportingContext(client, parseResult, parseResult.InvocationConfiguration.Output, _options.Json(parseResult), cancellationToken));
            }
            catch (KnowBe4ApiException exception)
            {
                await error.WriteLineAsync($"error: {exception.Message}");
                return ExitCodes.Failure;
            }
        }
    }

    /// <summary>
    /// A command shares the key's per-second limit with whatever ran just before it (another command, the daemon): a 429
    /// is tried again after its Retry-After or a second, twice, before it is reported.
    /// </summary>
    private sealed class PatientHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                var response = await base.SendAsync(request, cancellationToken);
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1.1);
                if ((int)response.StatusCode != 429 || attempt == 3 || wait > TimeSpan.FromSeconds(10))
                {
                    return response;
                }
                response.Dispose();
                await Task.Delay(wait, cancellationToken);
            }
        }
    }

    private sealed record ReportingContext(ReportingClient Client, ParseResult ParseResult, TextWriter Output, bool Json, CancellationToken CancellationToken);
}
