namespace Orderly.ServiceDefaults.Hosting;

/// <summary>A misconfiguration found at start-up; its message is what the operator needs to read.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
