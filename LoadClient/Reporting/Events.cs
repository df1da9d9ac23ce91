namespace Orderly.LoadClient.Reporting;

/// <summary>Which kind of pod left: a gateway sits behind the load balancer, a silo does not.</summary>
public enum Tier { Gateway, Silo }

/// <summary>What happened in one scale-down: from "pod marked terminating" until it is gone and deregistered.</summary>
public sealed record EventWindow(int Number, Tier Tier, string Pod, double StartSeconds, double EndSeconds, double DeregistrationLagSeconds, string Outcome);
