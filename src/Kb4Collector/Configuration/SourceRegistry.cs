namespace Kb4Collector.Configuration;

/// <summary>A source whose definition changed. <see cref="QueryChanged"/> false means its checkpoint stays valid.</summary>
public sealed record SourceUpdate(SourceDefinition Previous, SourceDefinition Current)
{
    public bool QueryChanged => Previous.QueryFingerprint != Current.QueryFingerprint;
}

/// <summary>
/// The difference one load made, by <see cref="SourceDefinition.Id"/>. <see cref="Retained"/> lists
/// sources that are missing from the load only because their file or entry is currently broken; their
/// last good definition stays in force (they are neither updated nor removed).
/// </summary>
public sealed record SourceChanges(
    IReadOnlyList<SourceDefinition> Added,
    IReadOnlyList<SourceUpdate> Updated,
    IReadOnlyList<SourceDefinition> Removed,
    IReadOnlyList<SourceDefinition> Retained)
{
    public static SourceChanges None { get; } = new([], [], [], []);

    /// <summary>True when nothing was added, updated or removed (retained sources do not count).</summary>
    public bool IsEmpty => Added.Count == 0 && Updated.Count == 0 && Removed.Count == 0;
}

/// <summary>
/// The current set of sources, applied load by load with Sumo's <c>syncSources</c> semantics: a new
/// source is added, an edited one (different <see cref="SourceDefinition.ConfigFingerprint"/>) is
/// updated, and one that is gone from the files is removed.
/// </summary>
/// <remarks>
/// Safer than Sumo, whose docs warn that bad JSON can delete sources: a source is removed only when
/// the load proves it is gone, i.e. its file was read and no longer defines that name, or the file was
/// deleted. When its file is broken (unreadable, malformed JSON, bad envelope, or an entry without a
/// usable name) or its entry is now invalid, the last good definition is kept and reported in
/// <see cref="SourceChanges.Retained"/>; the load's problems say why. If the configured path itself is
/// missing, nothing is removed. Reads are lock-free snapshots; <see cref="Apply"/> is serialised.
/// </remarks>
public sealed class SourceRegistry
{
    private readonly Lock _applyLock = new();
    private volatile Snapshot _current = new([], new Dictionary<string, SourceDefinition>(StringComparer.Ordinal), []);

    /// <summary>The current sources in load order.</summary>
    public IReadOnlyList<SourceDefinition> Sources => _current.Ordered;

    /// <summary>The problems of the most recent load.</summary>
    public IReadOnlyList<ConfigProblem> Problems => _current.Problems;

    public SourceDefinition? Find(string id) => _current.ById.GetValueOrDefault(id);

    public SourceChanges Apply(SourceLoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_applyLock)
        {
            var previous = _current;
            var next = new Dictionary<string, SourceDefinition>(StringComparer.Ordinal);
            var ordered = new List<SourceDefinition>();
            var added = new List<SourceDefinition>();
            var updated = new List<SourceUpdate>();
            foreach (var source in result.Sources)
            {
                if (!next.TryAdd(source.Id, source))
                {
                    continue;
                }
                ordered.Add(source);
                if (!previous.ById.TryGetValue(source.Id, out var old))
                {
                    added.Add(source);
                }
                else if (old.ConfigFingerprint != source.ConfigFingerprint)
                {
                    updated.Add(new SourceUpdate(old, source));
                }
            }

            var keepFiles = new HashSet<string>(result.BrokenFiles, StringComparer.Ordinal);
            var keepNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var rejected in result.RejectedSources)
            {
                if (rejected.Name is null)
                {
                    keepFiles.Add(rejected.File);
                }
                else
                {
                    keepNames.Add(rejected.Name);
                }
            }

            var removed = new List<SourceDefinition>();
            var retained = new List<SourceDefinition>();
            foreach (var old in previous.Ordered)
            {
                if (next.ContainsKey(old.Id))
                {
                    continue;
                }
                if (!result.PathAvailable || keepFiles.Contains(old.SourceFile) || keepNames.Contains(old.Name))
                {
                    next.Add(old.Id, old);
                    ordered.Add(old);
                    retained.Add(old);
                }
                else
                {
                    removed.Add(old);
                }
            }

            _current = new Snapshot(ordered, next, result.Problems);
            return new SourceChanges(added, updated, removed, retained);
        }
    }

    private sealed record Snapshot(
        IReadOnlyList<SourceDefinition> Ordered,
        IReadOnlyDictionary<string, SourceDefinition> ById,
        IReadOnlyList<ConfigProblem> Problems);
}
