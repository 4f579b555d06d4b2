using System.Globalization;

namespace Kb4Collector.Benchmarks.EndToEnd;

/// <summary>The options of <c>process</c>; every one has a default, so the command runs as is.</summary>
public sealed record ProcessBenchmarkOptions
{
    /// <summary>A kb4collector binary to measure instead of publishing one (e.g. an unpacked release tarball).</summary>
    public string? Binary { get; init; }

    /// <summary>Backlog the daemon drains (DESIGN §12's peak-memory budget names 200,000).</summary>
    public int Events { get; init; } = 200_000;

    /// <summary>How long the one-source daemon is measured idle, polling every 2 s.</summary>
    public int IdleSeconds { get; init; } = 30;

    /// <summary>Sources of the fleet daemon (at Sumo's 5-minute interval).</summary>
    public int Sources { get; init; } = 1000;

    /// <summary>How long the fleet daemon is measured once every source made its first poll.</summary>
    public int FleetSeconds { get; init; } = 60;

    /// <summary>Extra environment of the daemon (levers: <c>DOTNET_TieredPGO=0</c>, <c>DOTNET_GCHeapHardLimit=0x…</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public static ProcessBenchmarkOptions Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new ProcessBenchmarkOptions();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        for (var index = 0; index < args.Count; index++)
        {
            var name = args[index];
            var value = index + 1 < args.Count ? args[index + 1] : null;
            if (value is null)
            {
                error = $"{name} needs a value";
                return options;
            }
            index++;
            switch (name)
            {
                case "--binary":
                    options = options with { Binary = Path.GetFullPath(value) };
                    break;
                case "--events" or "--idle-seconds" or "--sources" or "--fleet-seconds":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
                    {
                        error = $"{name} must be a positive whole number, not \"{value}\"";
                        return options;
                    }
                    options = name switch
                    {
                        "--events" => options with { Events = number },
                        "--idle-seconds" => options with { IdleSeconds = number },
                        "--sources" => options with { Sources = number },
                        _ => options with { FleetSeconds = number },
                    };
                    break;
                case "--env":
                    var equals = value.IndexOf('=', StringComparison.Ordinal);
                    if (equals < 1)
                    {
                        error = $"--env takes NAME=VALUE, not \"{value}\"";
                        return options;
                    }
                    environment[value[..equals]] = value[(equals + 1)..];
                    break;
                default:
                    error = $"unknown option {name}; known: --binary PATH, --events N, --idle-seconds N, --sources N, --fleet-seconds N, --env NAME=VALUE";
                    return options;
            }
        }
        return options with { Environment = environment };
    }
}
