namespace Orderly.LoadClient.Reporting;

/// <summary>Which kind of pod left: a gateway sits behind the load balancer, a silo does not.</summary>
public enum Tier { Gateway, Silo }

/// <summary>What happened in one scale-down: from "pod marked terminating" until it is gone and deregistered.</summary>
/// <param name="ReadBack">For a silo leaving: order rows the silos that stayed read from storage during the
/// window (orderly_orders_storage_reads_total); orders handed over warm add nothing. Null when not measured.</param>
public sealed record EventWindow(int Number, Tier Tier, string Pod, double StartSeconds, double EndSeconds, double DeregistrationLagSeconds, string Outcome, long? ReadBack = null);
