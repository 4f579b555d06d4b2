using System.Security.Cryptography;
using System.Text;

namespace Kb4Collector.Quota;

/// <summary>
/// Names an API key without revealing it: the first 16 hex digits of its SHA-256. Limiters, the call ledger and
/// persisted waits are keyed by this, never by the key.
/// </summary>
public static class ApiKeyFingerprint
{
    public const int Length = 16;

    public static string Of(string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(apiKey.Trim()), hash);
        return Convert.ToHexStringLower(hash[..(Length / 2)]);
    }
}
