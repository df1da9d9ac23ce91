using Orderly.LoadClient.Kubernetes;
using Orderly.Harness.Cluster;
using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Emulation;

/// <summary>The local cluster that plays a profile's Kubernetes and load-balancer timings.</summary>
public static class PodTimingsSpec
{
    /// <summary>A local cluster whose HAProxy checks and gateway drain follow these timings.</summary>
    public static ClusterSpec Spec(this PodTimings timings, int silos, int gateways, string profile, string connectionString) =>
        new(silos, gateways, profile, connectionString)
        {
            HealthCheckIntervalMs = timings.HealthCheckIntervalSeconds * 1000,
            HealthCheckTimeoutMs = timings.HealthCheckTimeoutSeconds * 1000,
            HealthyThreshold = timings.HealthyThreshold,
            UnhealthyThreshold = timings.UnhealthyThreshold,
            GatewayDrainSeconds = timings.GatewayDrainSeconds,
        };
}
