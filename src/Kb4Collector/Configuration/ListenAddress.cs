using System.Globalization;
using System.Net;

namespace Kb4Collector.Configuration;

/// <summary>
/// A parsed <c>host:port</c> for the admin endpoint. <see cref="Address"/> is null for <c>localhost</c>
/// (bind the loopback interfaces); <c>*</c> gives <see cref="IPAddress.IPv6Any"/> (all interfaces).
/// Port 0 asks the system for a free port.
/// </summary>
public sealed record ListenAddress(string Host, IPAddress? Address, int Port)
{
    public bool IsLoopback => Address is null || IPAddress.IsLoopback(Address);

    public static bool TryParse(string? text, out ListenAddress address, out string error)
    {
        address = new ListenAddress("", null, 0);
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected host:port, e.g. 127.0.0.1:7380";
            return false;
        }

        var separator = text.LastIndexOf(':');
        if (separator <= 0 || separator == text.Length - 1)
        {
            error = $"{Text.Quote(text)} is not host:port, e.g. 127.0.0.1:7380 or [::1]:7380";
            return false;
        }
        var host = text[..separator];
        var portText = text[(separator + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            error = $"{Text.Quote(text)}: the port must be a number from 0 to {IPEndPoint.MaxPort}";
            return false;
        }

        if (host == "*")
        {
            address = new ListenAddress(host, IPAddress.IPv6Any, port);
            return true;
        }
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new ListenAddress("localhost", null, port);
            return true;
        }

        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        var ipText = bracketed ? host[1..^1] : host;
        if (!IPAddress.TryParse(ipText, out var ip) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !bracketed))
        {
            error = $"{Text.Quote(text)}: the host must be an IP address (IPv6 in brackets), \"localhost\" or \"*\"";
            return false;
        }
        address = new ListenAddress(host, ip, port);
        return true;
    }

    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
