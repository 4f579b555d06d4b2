using System.Security.Cryptography;
using System.Text;

namespace Kb4Collector.Admin;

/// <summary>The bearer token of the admin endpoint: configured, or generated once into the data directory.</summary>
public sealed class AdminToken
{
    public const string FileName = "admin.token";

    private readonly byte[] _expected;

    private AdminToken(string value, string? file)
    {
        Value = value;
        File = file;
        _expected = Encoding.UTF8.GetBytes(value);
    }

    public string Value { get; }

    /// <summary>Where the generated token is kept; null when it was configured.</summary>
    public string? File { get; }

    /// <summary>What was wrong with the token file and has been fixed (it was readable by others); logged at start.</summary>
    public string? Warning { get; private init; }

    /// <summary>The configured token, or the one in <c>admin.token</c>, created (mode 0600) on first start.</summary>
    public static AdminToken Resolve(string? configured, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return new AdminToken(configured, file: null);
        }
        var path = Path.Combine(dataDirectory, FileName);
        if (System.IO.File.Exists(path))
        {
            var tightened = RestrictToOwner(path);
            var stored = System.IO.File.ReadAllText(path).Trim();
            if (stored.Length > 0)
            {
                if (stored.Length < Configuration.CollectorOptionsValidator.MinimumAdminTokenLength)
                {
                    throw new Daemon.DaemonConfigurationException([
                        $"{Configuration.Text.Escape(path)} holds a token of {stored.Length} characters; at least {Configuration.CollectorOptionsValidator.MinimumAdminTokenLength} are needed (delete the file to have a strong one generated)."]);
                }
                return new AdminToken(stored, path) { Warning = tightened };
            }
        }
        Directory.CreateDirectory(dataDirectory);
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(path, Encoding.ASCII, options))
        {
            writer.Write(token);
        }
        return new AdminToken(token, path);
    }

    /// <summary>Reads a token for the CLI verbs: the one given, or the data directory's file.</summary>
    public static string? Find(string? given, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }
        var path = Path.Combine(dataDirectory, FileName);
        return System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path).Trim() : null;
    }

    /// <summary>Checks an <c>Authorization</c> header in constant time.</summary>
    public bool Accepts(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var presented = Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }

    public override string ToString() => "********";

    /// <summary>Takes group and other permissions off the token file; says so when there were any.</summary>
    private static string? RestrictToOwner(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var mode = System.IO.File.GetUnixFileMode(path);
        if ((mode & ~OwnerOnly) == 0)
        {
            return null;
        }
        System.IO.File.SetUnixFileMode(path, mode & OwnerOnly);
        return $"{Configuration.Text.Escape(path)} was readable by other users; its mode is now 0600 (run the daemon with UMask=0077)";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
