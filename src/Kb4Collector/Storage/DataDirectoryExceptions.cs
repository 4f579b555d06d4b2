namespace Kb4Collector.Storage;

/// <summary>The data directory cannot be created, read or written.</summary>
public sealed class DataDirectoryUnusableException(string message, Exception inner) : IOException(message, inner);

/// <summary>Another process holds the data directory's lock file.</summary>
public sealed class DataDirectoryLockedException(string message, Exception inner) : IOException(message, inner);
