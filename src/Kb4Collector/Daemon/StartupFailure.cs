using System.Net.Sockets;
using Kb4Collector.Cli;
using Kb4Collector.Storage;
using Microsoft.AspNetCore.Connections;

namespace Kb4Collector.Daemon;

/// <summary>
/// A reason the daemon cannot start that the operator can fix, as one line naming the thing and the fix, with the exit
/// code the README documents: 2 for a bad setting, 1 for the machine (busy port, unusable data directory, locked database).
/// </summary>
public sealed record StartupFailure(string Line, int ExitCode)
{
    /// <summary>The operator-facing reading of <paramref name="exception"/>, or null when it is a bug (then the stack trace matters).</summary>
    public static StartupFailure? From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case StorageUnavailableException or DataDirectoryUnusableException:
                    return new(current.Message, ExitCodes.Failure);
                case AddressInUseException:
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                    return new($"the admin address {AdminAddress(exception)} is already in use by another process: stop it, or choose another port with --Collector:Admin:Listen=127.0.0.1:<PORT> (Collector:Admin:Listen)", ExitCodes.Failure);
                case SocketException { SocketErrorCode: SocketError.AccessDenied }:
                    return new($"the admin address {AdminAddress(exception)} may not be opened by this user (ports below 1024 need privileges): choose a port above 1024 with --Collector:Admin:Listen=127.0.0.1:<PORT>", ExitCodes.Failure);
            }
        }
        return null;
    }

    /// <summary>Kestrel says "Failed to bind to address http://127.0.0.1:7380: address already in use."; the address is the part operators set.</summary>
    private static string AdminAddress(Exception exception)
    {
        const string Marker = "address http://";
        for (var current = exception; current is not null; current = current.InnerException)
        {
            var start = current.Message.IndexOf(Marker, StringComparison.Ordinal);
            if (start >= 0)
            {
                var address = current.Message[(start + Marker.Length)..];
                var end = address.IndexOf(": ", StringComparison.Ordinal);
                return end > 0 ? address[..end] : address.TrimEnd('.');
            }
        }
        return "(Collector:Admin:Listen)";
    }
}

/// <summary>The data directory cannot be created (a file in the way, no permission).</summary>
public sealed class DataDirectoryUnusableException(string dataDirectory, Exception inner) : IOException(
    $"the data directory {Configuration.Text.Escape(dataDirectory)} cannot be used ({(inner is UnauthorizedAccessException ? "permission denied" : inner.Message.TrimEnd('.'))}): "
    + "give the service user read and write access to it, or set another one with --data <DIR> (Collector:DataDirectory)",
    inner);
