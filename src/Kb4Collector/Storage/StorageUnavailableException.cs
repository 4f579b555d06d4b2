namespace Kb4Collector.Storage;

/// <summary>
/// The data directory's database cannot be trusted (missing after a first start, empty, corrupt) or the directory is
/// owned by another process. The message names the file and the recovery command; no source may collect on it.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
