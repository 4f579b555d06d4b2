using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Kb4Collector.Admin;

/// <summary>A signed-in browser: the token its pages send with every POST, and when the sign-in lapses.</summary>
public sealed record ConsoleSession(string CsrfToken, DateTimeOffset ExpiresAt);

/// <summary>
/// The console's sign-ins, in memory (a daemon restart signs everyone out). The cookie holds a random 256-bit value;
/// only its SHA-256 is kept, so a memory dump does not hand out live cookies. Each session carries its own CSRF token.
/// </summary>
public sealed class ConsoleSessions(TimeProvider time)
{
    public const string CookieName = "kb4c_session";

    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>More open sign-ins than anyone needs; past it the oldest is dropped, so memory stays bounded.</summary>
    public const int MaxSessions = 256;

    private readonly ConcurrentDictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    /// <summary>Opens a session; returns the cookie value (given to the browser only) and the session.</summary>
    public (string Cookie, ConsoleSession Session) Open()
    {
        var now = time.GetUtcNow();
        foreach (var (key, session) in _sessions)
        {
            if (session.ExpiresAt <= now)
            {
                _sessions.TryRemove(key, out _);
            }
        }
        while (_sessions.Count >= MaxSessions && _sessions.MinBy(pair => pair.Value.ExpiresAt) is { Key: { } oldest })
        {
            _sessions.TryRemove(oldest, out _);
        }
        var cookie = RandomValue();
        var opened = new ConsoleSession(RandomValue(), now + Lifetime);
        _sessions[Digest(cookie)] = opened;
        return (cookie, opened);
    }

    /// <summary>The live session the cookie names, or null (none, unknown or expired).</summary>
    public ConsoleSession? Find(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie) || !_sessions.TryGetValue(Digest(cookie), out var session))
        {
            return null;
        }
        if (session.ExpiresAt > time.GetUtcNow())
        {
            return session;
        }
        _sessions.TryRemove(Digest(cookie), out _);
        return null;
    }

    public void Close(string? cookie)
    {
        if (!string.IsNullOrEmpty(cookie))
        {
            _sessions.TryRemove(Digest(cookie), out _);
        }
    }

    /// <summary>Compares a presented secret with the expected one in constant time.</summary>
    public static bool SameSecret(string? presented, string expected) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));

    public static string RandomValue() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Digest(string cookie) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(cookie)));
}
