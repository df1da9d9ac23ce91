using Orderly.LoadClient.Kubernetes;
using Orderly.LoadClient.Reporting;

namespace Orderly.Harness.Emulation;

/// <summary>
/// How long the load balancer controller takes to deregister a terminating target: lognormal, given
/// by its median and 99th percentile, capped. The AWS Load Balancer Controller usually takes seconds,
/// but its issue tracker reports 10 s to 2 min under load, so the default tail reaches well past the
/// median (and past the graceful budget P + X now and then).
/// </summary>
public sealed record LagDistribution(double MedianSeconds, double P99Seconds, double MaxSeconds)
{
    /// <summary>The 99th percentile of the standard normal distribution.</summary>
    private const double Z99 = 2.3263478740408408;

    public static readonly LagDistribution Default = new(5, 40, 90);

    public double Sigma => P99Seconds <= MedianSeconds ? 0 : Math.Log(P99Seconds / MedianSeconds) / Z99;

    public double Draw(Random random)
    {
        // Box–Muller: one standard normal from two uniforms in (0, 1].
        var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Math.Round(Math.Clamp(MedianSeconds * Math.Exp(Sigma * z), 0.5, MaxSeconds), 2);
    }

    public void Validate()
    {
        if (MedianSeconds <= 0 || P99Seconds < MedianSeconds || MaxSeconds < MedianSeconds)
            throw new Orderly.LoadClient.Cli.UsageException($"deregistration lag needs 0 < median ≤ p99 and median ≤ max, got median {MedianSeconds}, p99 {P99Seconds}, max {MaxSeconds}");
    }
}

/// <summary>
/// The lag sweep: one gateway pod event per fixed deregistration lag, from a few seconds to well past
/// the graceful budget. The budget is what the gateway covers by itself once it is marked terminating:
/// preStop P (still serving, still ready) plus drain X (serving, answering 503 to health checks) — a
/// target the controller deregisters within P + X never sees a request it cannot answer.
/// </summary>
public static class LagSweep
{
    /// <summary>Seconds after the planned leave (P + X + stop) before the tier scales back, and for the start.</summary>
    public const double StopMarginSeconds = 6;
    public const double ScaleUpSeconds = 16;

    public static int Budget(PodTimings timings) => timings.GatewayPreStopSeconds + timings.GatewayDrainSeconds;

    /// <summary>Whether a lag is covered by the budget; exactly the budget still is.</summary>
    public static bool WithinBudget(double lag, PodTimings timings) => lag <= Budget(timings);

    /// <summary>
    /// The lags, for both profiles the same (planned from the graceful budget B): 2 s, then B/6 … B in sixths,
    /// then B + 5, 1.5·B and 2·B — the budget itself and three points past it.
    /// </summary>
    public static IReadOnlyList<double> Lags(int budget)
    {
        var lags = new SortedSet<double> { 2 };
        for (var i = 1; i <= 6; i++)
            lags.Add(Math.Round(budget * i / 6.0, 1));
        lags.Add(budget + 5);
        lags.Add(Math.Round(budget * 1.5, 1));
        lags.Add(budget * 2);
        return [.. lags];
    }

    /// <summary>
    /// One sweep event's slot: the pod stays registered for the lag and in its timeline for P + X + stop,
    /// whichever is longer; then the tier scales back before the next lag.
    /// </summary>
    public static double SlotSeconds(double lag, int budget) => Math.Max(lag, budget + StopMarginSeconds) + ScaleUpSeconds;
}
