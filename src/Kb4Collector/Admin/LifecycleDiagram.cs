using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kb4Collector.Lifecycle;

namespace Kb4Collector.Admin;

/// <summary>
/// The source lifecycle as an SVG, drawn from the graph the Stateless machine exports (<see cref="SourceLifecycle.ToMermaidGraph"/>),
/// so the console shows the machine that runs, not a copy. Each state is a <c>g.state[data-state]</c> the console marks
/// as current; each move is a <c>path.move[data-from][data-to]</c> whose title names its triggers.
/// </summary>
internal static partial class LifecycleDiagram
{
    private const int Width = 760;
    private const int Height = 260;
    private const int NodeWidth = 116;
    private const int NodeHeight = 34;

    // The happy path runs along the top row; Error and Stopping sit below it.
    private static readonly Dictionary<SourceState, (int X, int Y)> Centres = new()
    {
        [SourceState.Pending] = (70, 120),
        [SourceState.Started] = (225, 120),
        [SourceState.Initialized] = (380, 120),
        [SourceState.Authenticated] = (535, 120),
        [SourceState.Collecting] = (690, 120),
        [SourceState.Error] = (457, 225),
        [SourceState.Stopping] = (70, 225),
    };

    public sealed record Move(SourceState From, SourceState To, IReadOnlyList<string> Triggers);

    /// <summary>The distinct moves between two different states, with the triggers that make each.</summary>
    public static IReadOnlyList<Move> Moves()
    {
        var moves = new Dictionary<(SourceState, SourceState), List<string>>();
        foreach (Match match in EdgePattern().Matches(new SourceLifecycle().ToMermaidGraph()))
        {
            var from = Enum.Parse<SourceState>(match.Groups["from"].Value);
            var to = Enum.Parse<SourceState>(match.Groups["to"].Value);
            if (from == to)
            {
                continue;
            }
            if (!moves.TryGetValue((from, to), out var triggers))
            {
                moves[(from, to)] = triggers = [];
            }
            triggers.Add(match.Groups["trigger"].Value);
        }
        return [.. moves.Select(pair => new Move(pair.Key.Item1, pair.Key.Item2, pair.Value))];
    }

    public static string Svg()
    {
        var svg = new StringBuilder(8192);
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"lifecycle\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"Source lifecycle\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append("<defs><marker id=\"lifecycle-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>");
        var moves = Moves();
        var pairs = moves.Select(move => (move.From, move.To)).ToHashSet();
        foreach (var move in moves)
        {
            var kind = move.To switch
            {
                SourceState.Error => "fail",
                SourceState.Stopping => "stop",
                SourceState.Pending => "restart",
                _ => "forward",
            };
            svg.Append(CultureInfo.InvariantCulture, $"<path class=\"move {kind}\" data-from=\"{move.From}\" data-to=\"{move.To}\" d=\"{PathFor(move.From, move.To, pairs.Contains((move.To, move.From)))}\" marker-end=\"url(#lifecycle-arrow)\">")
                .Append("<title>").Append(move.From).Append(" → ").Append(move.To).Append(": ").Append(string.Join(", ", move.Triggers)).Append("</title></path>");
        }
        foreach (var (state, (x, y)) in Centres)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"state\" data-state=\"{state}\"><rect x=\"{x - NodeWidth / 2}\" y=\"{y - NodeHeight / 2}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\" rx=\"8\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y + 5}\" text-anchor=\"middle\">{state}</text></g>");
        }
        return svg.Append("</svg>").ToString();
    }

    // Moves along the top row to the left (restarts) arc above it; a pair of opposite moves bends apart; the rest are straight.
    private static string PathFor(SourceState from, SourceState to, bool hasReverse)
    {
        var (x1, y1) = Centres[from];
        var (x2, y2) = Centres[to];
        if (y1 == y2 && x2 < x1)
        {
            var lift = 16 + (x1 - x2) / 8;
            return Invariant($"M{x1},{y1 - NodeHeight / 2} C{x1},{y1 - NodeHeight / 2 - lift} {x2},{y2 - NodeHeight / 2 - lift} {x2 + 8},{y2 - NodeHeight / 2 - 2}");
        }
        var (sx, sy) = Edge(x1, y1, x2, y2);
        var (ex, ey) = Edge(x2, y2, x1, y1);
        if (!hasReverse)
        {
            return Invariant($"M{sx},{sy} L{ex},{ey}");
        }
        // Bend to the right of the direction of travel, so the two opposite moves do not overlap.
        var (dx, dy) = (ex - sx, ey - sy);
        var length = Math.Max(1, Math.Sqrt(dx * dx + dy * dy));
        var (cx, cy) = ((sx + ex) / 2 - dy / length * 16, (sy + ey) / 2 + dx / length * 16);
        return Invariant($"M{sx},{sy} Q{cx:0.#},{cy:0.#} {ex},{ey}");
    }

    /// <summary>Where the line from one node's centre towards another leaves the first node's box.</summary>
    private static (int X, int Y) Edge(int x, int y, int towardsX, int towardsY)
    {
        var (dx, dy) = ((double)(towardsX - x), (double)(towardsY - y));
        var scale = Math.Min(dx == 0 ? double.MaxValue : NodeWidth / 2.0 / Math.Abs(dx), dy == 0 ? double.MaxValue : NodeHeight / 2.0 / Math.Abs(dy));
        return ((int)Math.Round(x + dx * scale), (int)Math.Round(y + dy * scale));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*(?<from>\w+) --> (?<to>\w+) : (?<trigger>\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex EdgePattern();
}
