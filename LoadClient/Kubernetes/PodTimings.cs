namespace Orderly.LoadClient.Kubernetes;

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
    /// <summary>
    /// How long after "terminating" the load balancer controller deregisters the target (L), drawn per pod
    /// from a lognormal with this median and 99th percentile, capped at the maximum: usually seconds, with
    /// a tail well past the median (a slow controller).
    /// </summary>
    public double DeregistrationLagMedianSeconds { get; init; } = 5;
    public double DeregistrationLagP99Seconds { get; init; } = 40;
    public double DeregistrationLagMaxSeconds { get; init; } = 90;
    /// <summary>The Deployments' rolling update: an absolute number or a percentage of replicas (Kubernetes' default is 25% and 25%).</summary>
    public string RollingMaxSurge { get; init; } = "25%";
    public string RollingMaxUnavailable { get; init; } = "25%";
    /// <summary>Deployment minReadySeconds: how long a new pod must stay ready before it counts as available.</summary>
    public int MinReadySeconds { get; init; }
    /// <summary>The PodDisruptionBudget per tier (maxUnavailable), or none.</summary>
    public int? DisruptionMaxUnavailable { get; init; }

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
        RollingMaxSurge = "1",
        RollingMaxUnavailable = "0",
        DisruptionMaxUnavailable = 1,
    };

    /// <summary>The naive overlay: no preStop, no drain, default grace, ALB default health checks.</summary>
    public static readonly PodTimings Naive = new();

    /// <summary>
    /// maxSurge and maxUnavailable resolved for a tier of <paramref name="replicas"/> the way the
    /// Deployment controller does: a percentage rounds up for surge and down for unavailable, and
    /// both 0 is read as a surge of 1.
    /// </summary>
    public (int Surge, int Unavailable) Rolling(int replicas)
    {
        static int Resolve(string value, int replicas, bool up) => value.EndsWith('%')
            ? (int)(up ? Math.Ceiling(replicas * double.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture) / 100)
                : Math.Floor(replicas * double.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture) / 100))
            : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var surge = Resolve(RollingMaxSurge, replicas, up: true);
        var unavailable = Resolve(RollingMaxUnavailable, replicas, up: false);
        return surge == 0 && unavailable == 0 ? (1, 0) : (surge, unavailable);
    }

    public static PodTimings For(string profile) => profile switch
    {
        "graceful" => Graceful,
        "naive" => Naive,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "graceful or naive"),
    };
}
