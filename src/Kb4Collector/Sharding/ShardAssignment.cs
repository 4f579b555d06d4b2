using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Kb4Collector.Sharding;

/// <summary>
/// Which share of the sources this process collects (DESIGN.md §11): replica <see cref="Index"/> of <see cref="Count"/>
/// owns the sources whose API key fingerprint hashes to it, so one key's limiter and ledgers live in one process.
/// </summary>
/// <remarks>
/// The hash is Lamping and Veach's jump consistent hash over the fingerprint: going from n to n+1 replicas moves only
/// about 1/(n+1) of the keys, and every key that moves goes to the new replica.
/// </remarks>
public sealed record ShardAssignment(int Index, int Count)
{
    public const int MaxCount = 1024;

    /// <summary>No sharding: one process owns every source.</summary>
    public static ShardAssignment Unsharded { get; } = new(0, 1);

    public bool IsSharded => Count > 1;

    public bool Owns(string keyFingerprint) => OwnerOf(keyFingerprint, Count) == Index;

    /// <summary>The replica index that owns <paramref name="keyFingerprint"/> among <paramref name="count"/> replicas.</summary>
    public static int OwnerOf(string keyFingerprint, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyFingerprint);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var key = ulong.Parse(keyFingerprint.AsSpan(0, Math.Min(16, keyFingerprint.Length)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        long bucket = -1;
        long next = 0;
        while (next < count)
        {
            bucket = next;
            key = unchecked((key * 2862933555777941757UL) + 1);
            next = (long)((bucket + 1) * ((double)(1L << 31) / ((key >> 33) + 1)));
        }
        return (int)bucket;
    }

    /// <summary>
    /// Reads <c>i/n</c>. <c>i</c> is a number or a StatefulSet pod name ending in <c>-&lt;ordinal&gt;</c>
    /// (<c>kb4collector-2/3</c>), so Kubernetes can pass <c>$(POD_NAME)/3</c>. Empty text means <see cref="Unsharded"/>.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ShardAssignment? shard, [NotNullWhen(false)] out string? error)
    {
        shard = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            shard = Unsharded;
            return true;
        }
        var slash = text.LastIndexOf('/');
        if (slash < 0)
        {
            error = $"\"{text}\" is not i/n (the replica index, or a pod name ending in -<ordinal>, then the replica count)";
            return false;
        }
        var indexText = text[..slash].Trim();
        var dash = indexText.LastIndexOf('-');
        if (dash > 0)
        {
            indexText = indexText[(dash + 1)..];
        }
        if (!int.TryParse(text[(slash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count is < 1 or > MaxCount)
        {
            error = $"\"{text}\": the replica count after the slash must be a whole number from 1 to {MaxCount}";
            return false;
        }
        if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= count)
        {
            error = $"\"{text}\": the replica index must be a whole number from 0 to {count - 1} (or a pod name ending in -<ordinal>)";
            return false;
        }
        shard = new ShardAssignment(index, count);
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
