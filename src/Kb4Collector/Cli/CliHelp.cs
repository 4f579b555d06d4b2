using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text;
using System.Text.RegularExpressions;
using System.Globalization;
using System.Reflection;
using Kb4Collector.Configuration;

namespace Kb4Collector.Cli;

/// <summary>
/// The help every verb prints: purpose, usage, arguments, options in groups, subcommands, two or three real examples,
/// and for <c>run</c> the <c>Collector:*</c> settings with their defaults. Durations show as typed (<c>20s</c>).
/// </summary>
internal static partial class CliHelp
{
    /// <summary>Examples per command path ("" is the root).</summary>
    private static readonly Dictionary<string, string[]> Examples = new(StringComparer.Ordinal)
    {
        [""] = ["kb4collector demo", "kb4collector validate config/sources", "kb4collector help run"],
        ["run"] = [
            "kb4collector run --config config/sources --data /var/lib/kb4collector",
            "Collector__Sink__Url=https://collectors.sumologic.com/receiver/v1/http/<CODE> kb4collector run",
            "kb4collector run --log-format json --Collector:Admin:Listen=127.0.0.1:7381",
        ],
        ["validate"] = ["kb4collector validate config/sources", "kb4collector validate my-source.json", "kb4collector validate proxy.json --allow-any-base-url"],
        ["test"] = ["kb4collector test config/sources", "kb4collector test config/sources/us.json"],
        ["demo"] = ["kb4collector demo", "kb4collector demo --duration 1m", "kb4collector demo --follow"],
        ["emulator"] = ["kb4collector emulator", "kb4collector emulator --urls http://127.0.0.1:8081 --seats 50", "kb4collector emulator --scenario config/emulator/scenario.example.json"],
        ["sources"] = ["kb4collector sources list", "kb4collector sources restart <ID>"],
        ["sources list"] = ["kb4collector sources list", "kb4collector sources list --json", "kb4collector sources list --admin 127.0.0.1:7381"],
        ["sources get"] = ["kb4collector sources get <ID>", "kb4collector sources get <ID> --json"],
        ["sources restart"] = ["kb4collector sources restart <ID>", "kb4collector sources restart <ID> --admin 127.0.0.1:7381"],
        ["health"] = ["kb4collector health", "kb4collector health --json"],
        ["events"] = ["kb4collector events list --region eu", "kb4collector events get <ID>"],
        ["events list"] = [
            "KB4_API_KEY=<KEY> kb4collector events list --region us",
            "kb4collector events list --occurred-date 2025-03-10 --all --json",
            "kb4collector events list --event-type \"Lost Laptop\" --per-page 50",
        ],
        ["events get"] = ["kb4collector events get <ID>", "kb4collector events get <ID> --json --region eu"],
        ["events create"] = [
            "kb4collector events create --target-user jane@example.com --event-type \"Lost Laptop\"",
            "kb4collector events create --target-user jane@example.com --event-type Phish --risk-level 5 --wait",
        ],
        ["events delete"] = ["kb4collector events delete <ID>", "kb4collector events delete <ID> --region eu"],
        ["event-types"] = ["kb4collector event-types list", "kb4collector event-types get <ID>"],
        ["event-types list"] = ["kb4collector event-types list", "kb4collector event-types list --json"],
        ["event-types get"] = ["kb4collector event-types get <ID>", "kb4collector event-types get <ID> --json"],
        ["statuses"] = ["kb4collector statuses list", "kb4collector statuses get <ID>"],
        ["statuses list"] = ["kb4collector statuses list", "kb4collector statuses list --processed false --json"],
        ["statuses get"] = ["kb4collector statuses get <ID>", "kb4collector statuses get <ID> --json"],
        ["account"] = ["kb4collector account get", "kb4collector account get --region eu --json"],
        ["account get"] = ["KB4_REPORTING_API_KEY=<KEY> kb4collector account get", "kb4collector account get --region eu --json"],
        ["phishing"] = ["kb4collector phishing tests list", "kb4collector phishing recipients list <PST_ID>"],
        ["phishing tests"] = ["kb4collector phishing tests list", "kb4collector phishing tests get <PST_ID>"],
        ["phishing tests list"] = ["KB4_REPORTING_API_KEY=<KEY> kb4collector phishing tests list", "kb4collector phishing tests list --all --json --region eu"],
        ["phishing tests get"] = ["kb4collector phishing tests get <PST_ID>", "kb4collector phishing tests get <PST_ID> --json"],
        ["phishing recipients"] = ["kb4collector phishing recipients list <PST_ID>", "kb4collector phishing recipients list <PST_ID> --all --json"],
        ["phishing recipients list"] = ["kb4collector phishing recipients list <PST_ID>", "kb4collector phishing recipients list <PST_ID> --all --json"],
        ["training"] = ["kb4collector training campaigns list", "kb4collector training enrollments list --all"],
        ["training campaigns"] = ["kb4collector training campaigns list", "kb4collector training campaigns list --all --json"],
        ["training campaigns list"] = ["kb4collector training campaigns list", "kb4collector training campaigns list --all --json"],
        ["training enrollments"] = ["kb4collector training enrollments list", "kb4collector training enrollments list --all --json"],
        ["training enrollments list"] = ["kb4collector training enrollments list", "kb4collector training enrollments list --all --region uk"],
        ["users"] = ["kb4collector users list", "kb4collector users list --all --json"],
        ["users list"] = ["KB4_REPORTING_API_KEY=<KEY> kb4collector users list", "kb4collector users list --all --json --region de"],
        ["help"] = ["kb4collector help", "kb4collector help run", "kb4collector help events list"],
        ["version"] = ["kb4collector version", "kb4collector --version"],
        ["storage"] = ["kb4collector storage check --data /var/lib/kb4collector", "kb4collector storage reset --source <ID>"],
        ["storage check"] = ["kb4collector storage check", "kb4collector storage check --data /var/lib/kb4collector"],
        ["storage repair"] = ["kb4collector storage repair", "kb4collector storage repair --data /var/lib/kb4collector"],
        ["storage reset"] = ["kb4collector storage reset --source <ID>", "kb4collector storage reset --all --data /var/lib/kb4collector"],
        ["checkpoint"] = ["kb4collector checkpoint export --data /var/lib/kb4collector --out shard-0.bundle", "kb4collector checkpoint import --data /var/lib/kb4collector --shard 3/4 shard-0.bundle"],
        ["checkpoint export"] = ["kb4collector checkpoint export --data /var/lib/kb4collector --out shard-0.bundle", "kb4collector checkpoint export --out one.bundle --source \"KnowBe4 US\""],
        ["checkpoint import"] = ["kb4collector checkpoint import --data /var/lib/kb4collector --shard 3/4 shard-0.bundle", "kb4collector checkpoint import shard-0.bundle"],
        ["healthcheck"] = ["kb4collector healthcheck", "kb4collector healthcheck --url http://127.0.0.1:7381/healthz"],
    };

    /// <summary>The same placeholder for the same kind of value everywhere (options and arguments without one get theirs here).</summary>
    private static readonly Dictionary<string, string> Placeholders = new(StringComparer.Ordinal)
    {
        ["id"] = "ID",
        ["path"] = "FILE|DIR",
        ["--config"] = "FILE|DIR",
        ["--data"] = "DIR",
        ["--settings"] = "FILE",
        ["--scenario"] = "FILE",
        ["--output"] = "FILE",
        ["--admin"] = "HOST:PORT",
        ["--api-key"] = "KEY",
        ["--base-url"] = "URL",
        ["--urls"] = "URL",
        ["--token"] = "TOKEN",
        ["--log-format"] = "text|json",
    };

    /// <summary>Option groups by option name; options not listed are under "Options".</summary>
    private static readonly Dictionary<string, string> Groups = new(StringComparer.Ordinal)
    {
        ["--region"] = "Connection",
        ["--base-url"] = "Connection",
        ["--api-key"] = "Connection",
        ["--admin"] = "Connection",
        ["--allow-any-base-url"] = "Connection",
        ["--json"] = "Output",
        ["--output"] = "Output",
        ["--log-format"] = "Output",
        ["--page"] = "Paging",
        ["--per-page"] = "Paging",
        ["--all"] = "Paging",
        ["--max-pages"] = "Paging",
        ["--limit"] = "Paging",
        ["--help"] = "Help",
        ["--version"] = "Help",
    };

    /// <summary>What each collector-wide setting does, for <c>run --help</c>; the keys and defaults come from <see cref="CollectorOptions"/>.</summary>
    private static readonly Dictionary<string, string> SettingDescriptions = new(StringComparer.Ordinal)
    {
        ["Collector:Name"] = "this collector's name (X-Sumo-Host, health events)",
        ["Collector:DataDirectory"] = "checkpoint database and admin.token (--data)",
        ["Collector:SourcesPath"] = "source file or folder, watched (--config)",
        ["Collector:SourcesRescanSeconds"] = "seconds between full rescans of the sources",
        ["Collector:AllowAnyBaseUrl"] = "accept base URLs outside the KnowBe4 hosts",
        ["Collector:AllowLoopbackBaseUrl"] = "accept loopback base URLs (the emulator)",
        ["Collector:KeyEnvironmentPrefixes"] = "the only environment variables env: keys may read (prefixes)",
        ["Collector:KeyFileDirectories"] = "folders file: keys may read from (besides the source file's)",
        ["Collector:Admin:Listen"] = "admin endpoint address, host:port",
        ["Collector:Admin:Token"] = "admin bearer token (empty: generated into admin.token)",
        ["Collector:Admin:AllowNonLoopback"] = "allow the admin endpoint off loopback",
        ["Collector:Sink:Url"] = "HTTP log endpoint the events go to (required)",
        ["Collector:Sink:Format"] = "sumo, splunk-hec or ndjson",
        ["Collector:Sink:Token"] = "sink token (splunk-hec needs one)",
        ["Collector:Sink:Compress"] = "gzip request bodies",
        ["Collector:KnowBe4:RequestsPerSecond"] = "KnowBe4 calls per second per key; above 4 only for loopback (emulator) sources",
    };

    /// <summary>Wraps the root's help action: the stock text, with the options regrouped, durations as typed, examples and (for <c>run</c>) the settings.</summary>
    public static void Install(RootCommand root)
    {
        foreach (var command in AllCommands(root))
        {
            foreach (var argument in command.Arguments.Where(argument => argument.HelpName is null))
            {
                argument.HelpName = Placeholders.GetValueOrDefault(argument.Name) ?? argument.Name.ToUpperInvariant();
            }
            foreach (var option in command.Options.Where(option => option.HelpName is null && option.ValueType != typeof(bool) && option is not HelpOption and not VersionOption))
            {
                option.HelpName = Placeholders.GetValueOrDefault(option.Name) ?? option.Name.TrimStart('-').ToUpperInvariant();
            }
        }
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            help.Action = new ExtendedHelpAction((SynchronousCommandLineAction)help.Action!);
        }
    }

    /// <summary>Every command of the tree, root first.</summary>
    public static IEnumerable<Command> AllCommands(Command command)
    {
        yield return command;
        foreach (var child in command.Subcommands.SelectMany(AllCommands))
        {
            yield return child;
        }
    }

    /// <summary>"events list" for that command; "" for the root.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (var current = command; current is not null and not RootCommand; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current.Name);
        }
        return string.Join(' ', names);
    }

    public static IReadOnlyList<string> ExamplesOf(Command command) => Examples.GetValueOrDefault(PathOf(command)) ?? [];

    /// <summary>Every <c>Collector:*</c> setting with its default, read from <see cref="CollectorOptions"/> so new settings show up by themselves.</summary>
    public static IReadOnlyList<(string Key, string Default, string Description)> Settings()
    {
        var settings = new List<(string, string, string)>();
        Walk(new CollectorOptions(), CollectorOptions.SectionName, settings);
        return settings;

        static void Walk(object section, string prefix, List<(string, string, string)> into)
        {
            foreach (var property in section.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(property => property.CanWrite))
            {
                var key = prefix + ":" + property.Name;
                var value = property.GetValue(section);
                if (value is System.Collections.IEnumerable list and not string)
                {
                    var items = list.Cast<object>().Select(item => item.ToString()).ToList();
                    into.Add((key, items.Count == 0 ? "(empty)" : string.Join(", ", items), SettingDescriptions.GetValueOrDefault(key) ?? ""));
                    continue;
                }
                if (value is not null && property.PropertyType.IsClass && property.PropertyType != typeof(string))
                {
                    Walk(value, key, into);
                    continue;
                }
                var shown = value switch
                {
                    null => "(empty)",
                    bool flag => flag ? "true" : "false",
                    IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString() is { Length: > 0 } text ? text : "(empty)",
                };
                into.Add((key, shown, SettingDescriptions.GetValueOrDefault(key) ?? ""));
            }
        }
    }

    /// <summary>The stock help text of <paramref name="parseResult"/>'s command, rewritten as this class describes.</summary>
    internal sealed class ExtendedHelpAction(SynchronousCommandLineAction stock) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var configuration = parseResult.InvocationConfiguration;
            var output = configuration.Output;
            var buffer = new StringWriter(CultureInfo.InvariantCulture);
            configuration.Output = buffer;
            try
            {
                stock.Invoke(parseResult);
            }
            finally
            {
                configuration.Output = output;
            }
            output.Write(Rewrite(buffer.ToString(), parseResult.CommandResult.Command));
            return ExitCodes.Success;
        }
    }

    internal static string Rewrite(string stockHelp, Command command)
    {
        var text = new StringBuilder();
        var lines = StockDuration().Replace(stockHelp.Replace("\r\n", "\n", StringComparison.Ordinal), match =>
            "[default: " + DurationParser.Format(TimeSpan.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) + "]").Split('\n');
        var index = 0;
        while (index < lines.Length)
        {
            if (lines[index] == "Options:")
            {
                index = WriteGroupedOptions(lines, index + 1, text);
                continue;
            }
            text.Append(lines[index]).Append('\n');
            index++;
        }

        var body = text.ToString().TrimEnd('\n') + "\n";
        var examples = ExamplesOf(command);
        if (examples.Count > 0)
        {
            body += "\nExamples:\n" + string.Concat(examples.Select(example => "  " + example + "\n"));
        }
        if (PathOf(command) == "run")
        {
            body += "\nSettings (config/appsettings.json, environment Collector__Sink__Url=..., or --Collector:Sink:Url=... after the options):\n";
            var settings = Settings();
            var width = settings.Max(setting => setting.Key.Length) + 2;
            body += string.Concat(settings.Select(setting => "  " + setting.Key.PadRight(width) + $"{setting.Description} [default: {setting.Default}]".TrimStart() + "\n"));
        }
        return body;
    }

    /// <summary>Reads the stock "Options:" rows (a row starts with "  -"; deeper-indented lines continue it) and writes them by group.</summary>
    private static int WriteGroupedOptions(string[] lines, int index, StringBuilder text)
    {
        var rows = new List<(string Name, string Text)>();
        while (index < lines.Length && lines[index].Length > 0)
        {
            var line = lines[index];
            if (line.StartsWith("  -", StringComparison.Ordinal) || rows.Count == 0)
            {
                var name = line.Trim().Split([' ', ','], 2)[0];
                var longName = line.Trim().Split(' ').Select(word => word.TrimEnd(',')).FirstOrDefault(word => word.StartsWith("--", StringComparison.Ordinal)) ?? name;
                rows.Add((longName, line + "\n"));
            }
            else
            {
                rows[^1] = (rows[^1].Name, rows[^1].Text + line + "\n");
            }
            index++;
        }

        var first = true;
        foreach (var group in rows.GroupBy(row => Groups.GetValueOrDefault(row.Name) ?? "").OrderBy(group => GroupOrder(group.Key)))
        {
            if (!first)
            {
                text.Append('\n');
            }
            first = false;
            text.Append(group.Key.Length == 0 ? "Options:" : $"{group.Key} options:").Append('\n');
            foreach (var row in group)
            {
                text.Append(row.Text);
            }
        }
        return index;
    }

    private static int GroupOrder(string group) => group switch
    {
        "" => 0,
        "Paging" => 1,
        "Connection" => 2,
        "Output" => 3,
        _ => 4,
    };

    [GeneratedRegex(@"\[default: (\d+:\d\d:\d\d)\]", RegexOptions.CultureInvariant)]
    private static partial Regex StockDuration();
}
