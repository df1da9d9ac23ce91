namespace Orderly.LoadClient.Reporting;

/// <summary>
/// The Kubernetes and load-balancer timings the local runner emulates, per profile, in seconds.
/// They are the values of the k8s overlays (eks = graceful, naive = Kubernetes and ALB defaults);
/// a manifest test fails if the two drift apart, so what is proven locally is what is deployed.
/// </summary>
public sealed record PodTimings
{
    /// <summary>Gateway lifecycle.preStop.sleep (P).</summary>
    public int GatewayPreStopSeconds { get; init; }
    /// <summary>Silo lifecycle.preStop.sleep.</summary>
    public int SiloPreStopSeconds { get; init; }
    /// <summary>Gateway Shutdown:DrainSeconds (X).</summary>
    public int GatewayDrainSeconds { get; init; }
    /// <summary>terminationGracePeriodSeconds (G), gateways and silos.</summary>
    public int GraceSeconds { get; init; } = 30;
    /// <summary>ALB health check: interval (I), timeout (T), healthy and unhealthy (U) thresholds.</summary>
    public int HealthCheckIntervalSeconds { get; init; } = 15;
    public int HealthCheckTimeoutSeconds { get; init; } = 5;
    public int HealthyThreshold { get; init; } = 5;
    public int UnhealthyThreshold { get; init; } = 2;
    /// <summary>How long after "terminating" the load balancer controller deregisters the target (L), drawn per event.</summary>
    public double DeregistrationLagMinSeconds { get; init; } = 3;
    public double DeregistrationLagMaxSeconds { get; init; } = 8;

    /// <summary>The eks overlay: P ≥ U·I + T, X covers the lag, G ≥ P + X + stop timeout.</summary>
    public static readonly PodTimings Graceful = new()
    {
        GatewayPreStopSeconds = 15,
        SiloPreStopSeconds = 5,
        GatewayDrainSeconds = 15,
        GraceSeconds = 60,
        HealthCheckIntervalSeconds = 5,
        HealthCheckTimeoutSeconds = 2,
        HealthyThreshold = 2,
        UnhealthyThreshold = 2,
    };

    /// <summary>The naive overlay: no preStop, no drain, default grace, ALB default health checks.</summary>
    public static readonly PodTimings Naive = new();


    public static PodTimings For(string profile) => profile switch
    {
        "graceful" => Graceful,
        "naive" => Naive,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "graceful or naive"),
    };
}
