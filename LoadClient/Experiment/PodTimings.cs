namespace Orderly.LoadClient.Experiment;

/// <summary>
/// The Kubernetes and load-balancer timings the local runner emulates, per profile (DESIGN.md
/// "Graceful termination"). Seconds throughout. Graceful: the gateway serves until
/// P + X after the pod is marked terminating, longer than the longest deregistration lag L, and the
/// grace period G covers P + X + the stop timeout. Naive: Kubernetes defaults (no preStop, G = 30).
/// </summary>
public sealed record PodTimings
{
    /// <summary>lifecycle.preStop.sleep for gateways (P).</summary>
    public int GatewayPreStopSeconds { get; init; }
    /// <summary>lifecycle.preStop.sleep for silos; they take no load-balancer traffic, a short pause is enough.</summary>
    public int SiloPreStopSeconds { get; init; }
    /// <summary>Shutdown:DrainSeconds on gateways (X).</summary>
    public int GatewayDrainSeconds { get; init; }
    /// <summary>terminationGracePeriodSeconds (G).</summary>
    public int GraceSeconds { get; init; } = 30;
    /// <summary>Lag before the load balancer controller deregisters a terminating target (L), drawn per event.</summary>
    public double DeregistrationLagMinSeconds { get; init; } = 3;
    public double DeregistrationLagMaxSeconds { get; init; } = 8;
    /// <summary>Load-balancer health check interval (I) and unhealthy/healthy thresholds, ALB-like.</summary>
    public int HealthCheckIntervalSeconds { get; init; } = 5;

    public static PodTimings For(string profile) => profile switch
    {
        "graceful" => new PodTimings { GatewayPreStopSeconds = 5, SiloPreStopSeconds = 2, GatewayDrainSeconds = 10, GraceSeconds = 45 },
        "naive" => new PodTimings(),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "graceful or naive"),
    };
}
