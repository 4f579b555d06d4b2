using System.Security.Cryptography;
using System.Text;

namespace Kb4Collector.Collection;

/// <summary>A compact, fixed-size key for an event id: the UUID itself, or a hash of any other id.</summary>
internal static class EventKey
{
    public static Guid From(string id)
    {
        if (Guid.TryParse(id, out var guid))
        {
            return guid;
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        return new Guid(hash[..16]);
    }

    public static byte[] Pack(IReadOnlyCollection<Guid> keys)
    {
        var bytes = new byte[keys.Count * 16];
        var offset = 0;
        foreach (var key in keys)
        {
            key.TryWriteBytes(bytes.AsSpan(offset, 16));
            offset += 16;
        }
        return bytes;
    }

    public static void Unpack(byte[] bytes, HashSet<Guid> into)
    {
        for (var offset = 0; offset + 16 <= bytes.Length; offset += 16)
        {
            into.Add(new Guid(bytes.AsSpan(offset, 16)));
        }
    }
}
