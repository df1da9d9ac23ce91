namespace Orderly.LoadClient.Reporting;

/// <summary>Which kind of pod left: a gateway sits behind the load balancer, a silo does not.</summary>
public enum Tier { Gateway, Silo }
