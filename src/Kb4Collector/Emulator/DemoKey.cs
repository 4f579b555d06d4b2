using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Kb4Collector.Emulator;

/// <summary>JWT-looking User Event API keys (HS256 header, <c>account</c> and <c>key</c> claims), drawn from the seeded random.</summary>
internal static class DemoKey
{
    public static string Create(Random random, long accountId)
    {
        var header = Base64Url.EncodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);
        var claims = string.Create(CultureInfo.InvariantCulture, $"{{\"account\":{accountId},\"key\":\"{EmulatorState.NewId(random)}\"}}");
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims));
        Span<byte> signature = stackalloc byte[32];
        random.NextBytes(signature);
        return $"{header}.{payload}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>How a key may appear in output: never the secret.</summary>
    public const string Mask = "********";
}
