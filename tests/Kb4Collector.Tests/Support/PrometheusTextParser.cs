using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Kb4Collector.Tests.Support;

internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

internal sealed record PrometheusFamily(string Name, string Type, string Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4: it throws <see cref="FormatException"/> (naming the
/// line) for anything a Prometheus server would reject or that breaks the format's rules: bad names, bad label escapes,
/// unparsable values, samples outside their declared family, a family declared twice or split, duplicate series,
/// counters without <c>_total</c>, histograms without <c>le</c>, non-cumulative buckets or a <c>+Inf</c> bucket that
/// differs from <c>_count</c>.
/// </summary>
internal static partial class PrometheusTextParser
{
    public static IReadOnlyDictionary<string, PrometheusFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("the exposition must end with a line feed");
        }

        var families = new Dictionary<string, (string Type, string Help, List<PrometheusSample> Samples)>(StringComparer.Ordinal);
        var seriesSeen = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lineNumber = 0;
        foreach (var line in text[..^1].Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ', 2);
                var name = parts[0];
                CheckName(name, lineNumber);
                if (current != name && families.ContainsKey(name))
                {
                    throw new FormatException($"line {lineNumber}: family {name} is declared again after other families");
                }
                current = name;
                var family = families.TryGetValue(name, out var existing) ? existing : ("untyped", "", new List<PrometheusSample>());
                if (line[2] == 'T')
                {
                    var type = parts.Length == 2 ? parts[1] : "";
                    if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                    {
                        throw new FormatException($"line {lineNumber}: unknown type '{type}'");
                    }
                    if (family.Item3.Count > 0)
                    {
                        throw new FormatException($"line {lineNumber}: TYPE of {name} after its samples");
                    }
                    family.Item1 = type;
                }
                else
                {
                    family.Item2 = Unescape(parts.Length == 2 ? parts[1] : "", lineNumber, help: true);
                }
                families[name] = family;
                continue;
            }
            if (line.StartsWith('#'))
            {
                continue;
            }

            var sample = ParseSample(line, lineNumber);
            var owner = current is not null && BelongsTo(sample.Name, current, families[current].Type) ? current : null;
            if (owner is null)
            {
                throw new FormatException($"line {lineNumber}: sample {sample.Name} is not in the family declared before it ({current ?? "none"})");
            }
            var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(label => label.Key, StringComparer.Ordinal).Select(label => label.Key + "=" + label.Value)) + "}";
            if (!seriesSeen.Add(key))
            {
                throw new FormatException($"line {lineNumber}: duplicate series {key}");
            }
            families[owner].Samples.Add(sample);
        }

        var result = families.ToDictionary(entry => entry.Key, entry => new PrometheusFamily(entry.Key, entry.Value.Type, entry.Value.Help, entry.Value.Samples), StringComparer.Ordinal);
        foreach (var family in result.Values.Where(family => family.Type == "histogram"))
        {
            CheckHistogram(family);
        }
        return result;
    }

    private static bool BelongsTo(string sample, string family, string type) => type switch
    {
        "counter" => sample == family && family.EndsWith("_total", StringComparison.Ordinal),
        "histogram" => sample == family + "_bucket" || sample == family + "_sum" || sample == family + "_count",
        "summary" => sample == family || sample == family + "_sum" || sample == family + "_count",
        _ => sample == family,
    };

    private static void CheckHistogram(PrometheusFamily family)
    {
        foreach (var series in family.Samples.GroupBy(sample => string.Join(",", sample.Labels.Where(label => label.Key != "le").OrderBy(label => label.Key).Select(label => label.Key + "=" + label.Value))))
        {
            var buckets = series.Where(sample => sample.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();
            if (buckets.Count == 0 || buckets.Any(bucket => !bucket.Labels.ContainsKey("le")))
            {
                throw new FormatException($"histogram {family.Name}: buckets need an le label");
            }
            var ordered = buckets.Select(bucket => (Bound: ParseValue(bucket.Labels["le"], 0), bucket.Value)).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Bound <= ordered[i - 1].Bound || ordered[i].Value < ordered[i - 1].Value)
                {
                    throw new FormatException($"histogram {family.Name}: buckets must rise in le and be cumulative");
                }
            }
            if (!double.IsPositiveInfinity(ordered[^1].Bound))
            {
                throw new FormatException($"histogram {family.Name}: the last bucket must be le=\"+Inf\"");
            }
            var count = series.SingleOrDefault(sample => sample.Name.EndsWith("_count", StringComparison.Ordinal))
                ?? throw new FormatException($"histogram {family.Name}: _count missing");
            if (series.All(sample => !sample.Name.EndsWith("_sum", StringComparison.Ordinal)))
            {
                throw new FormatException($"histogram {family.Name}: _sum missing");
            }
            if (count.Value != ordered[^1].Value)
            {
                throw new FormatException($"histogram {family.Name}: the +Inf bucket ({ordered[^1].Value}) differs from _count ({count.Value})");
            }
        }
    }

    private static PrometheusSample ParseSample(string line, int lineNumber)
    {
        var match = SampleLine().Match(line);
        if (!match.Success)
        {
            throw new FormatException($"line {lineNumber}: not a sample: {line}");
        }
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var labelText = match.Groups["labels"].Value;
        var position = 0;
        while (position < labelText.Length)
        {
            var label = Label().Match(labelText, position);
            if (!label.Success || label.Index != position)
            {
                throw new FormatException($"line {lineNumber}: malformed labels: {labelText}");
            }
            var name = label.Groups["name"].Value;
            if (!labels.TryAdd(name, Unescape(label.Groups["value"].Value, lineNumber, help: false)))
            {
                throw new FormatException($"line {lineNumber}: label {name} given twice");
            }
            position += label.Length;
        }
        return new PrometheusSample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value, lineNumber));
    }

    private static double ParseValue(string text, int lineNumber) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"line {lineNumber}: '{text}' is not a float"),
    };

    private static string Unescape(string text, int lineNumber, bool help)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                if (!help && text[i] == '"')
                {
                    throw new FormatException($"line {lineNumber}: unescaped quote in a label value");
                }
                builder.Append(text[i]);
                continue;
            }
            if (++i >= text.Length)
            {
                throw new FormatException($"line {lineNumber}: a trailing backslash");
            }
            builder.Append(text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                '"' when !help => '"',
                _ => throw new FormatException($"line {lineNumber}: unknown escape \\{text[i]}"),
            });
        }
        return builder.ToString();
    }

    private static void CheckName(string name, int lineNumber)
    {
        if (!MetricName().IsMatch(name))
        {
            throw new FormatException($"line {lineNumber}: '{name}' is not a metric name");
        }
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>(?:[^""}]|""(?:\\.|[^""\\])*"")*)\})? (?<value>\S+)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)"",?")]
    private static partial Regex Label();
}
