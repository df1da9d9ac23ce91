namespace Orderly.ServiceDefaults.Health;

/// <summary>
/// In-memory readiness: whether this process should receive new traffic. Health endpoints read only
/// this (no I/O), so a probe can never be slowed by the database or the cluster.
/// </summary>
public sealed class Readiness
{
    private volatile string? _notReadyReason = "starting";

    public bool IsReady => _notReadyReason is null;

    public string? NotReadyReason => _notReadyReason;

    public void MarkReady() => _notReadyReason = null;

    public void MarkNotReady(string reason) => _notReadyReason = reason;
}
