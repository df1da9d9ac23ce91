namespace Orderly.LoadClient.Reporting;

/// <summary>
/// What happened in one event: from the first pod marked terminating until the last one is gone and
/// deregistered. <paramref name="Pod"/> names every pod that left (comma-separated), <paramref name="Kind"/>
/// is pod, hpa-step, node-drain or rollout, <paramref name="EvictionsRefused"/> counts evictions the
/// budgets refused (and that were retried), <paramref name="Lags"/> the deregistration lag of each
/// gateway that left, in order (<paramref name="DeregistrationLagSeconds"/> is the longest).
/// <paramref name="ReadBack"/>, when silos left: order rows the silos that stayed read from storage during
/// the window (orderly_orders_storage_reads_total); orders handed over warm add nothing. Null when not measured.
/// </summary>
public sealed record EventWindow(int Number, Tier Tier, string Pod, double StartSeconds, double EndSeconds, double DeregistrationLagSeconds, string Outcome,
    string Kind = "pod", int EvictionsRefused = 0, IReadOnlyList<double>? Lags = null, string Description = "", long? ReadBack = null);
