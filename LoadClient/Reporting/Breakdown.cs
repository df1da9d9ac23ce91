using Orderly.LoadClient.Load;

namespace Orderly.LoadClient.Reporting;

/// <summary>One event kind of a run: its events, what was sent inside their windows and how it went, p99 there against steady state.</summary>
public sealed record KindSummary(string Kind, int Events, long RequestsInWindows, long FailedInWindows, IReadOnlyDictionary<string, long> FailuresByKind,
    double WindowErrorRate, double SteadyP99, double WindowP99, int EvictionsRefused)
{
    /// <summary>p99 inside this kind's windows over steady state; 0 when either side saw nothing.</summary>
    public double P99Ratio => SteadyP99 <= 0 || WindowP99 <= 0 ? 0 : Math.Round(WindowP99 / SteadyP99, 2);
}

/// <summary>One client kind (keepalive, new-connection) over the whole run.</summary>
public sealed record ClientSummary(string Client, long Requests, long Failed, IReadOnlyDictionary<string, long> FailuresByKind, double ErrorRate);

/// <summary>The machine's CPU use per second over the run (all cores, from /proc/stat); saturated seconds are at or above 95 %.</summary>
public sealed record CpuSummary(double MeanPercent, double P95Percent, double MaxPercent, int SaturatedSeconds, int Seconds)
{
    public const double SaturatedAt = 95;

    /// <summary>More than a twentieth of the run at the ceiling: the machine, not Orderly, may set the numbers.</summary>
    public bool Saturated => Seconds > 0 && SaturatedSeconds * 20 > Seconds;
}

/// <summary>One point of the lag sweep: a gateway event at a fixed deregistration lag, and what users saw inside its window.</summary>
public sealed record SweepPoint(double LagSeconds, bool WithinBudget, long Requests, long Failed, double ErrorRate, IReadOnlyDictionary<string, long> FailuresByKind);

/// <summary>What the run was: cluster size, clients, lag distribution, think times — so a summary explains itself.</summary>
public sealed record RunShape(int Gateways, int Silos, string Clients, IReadOnlyList<string> Kinds, double LagMedianSeconds, double LagP99Seconds,
    double ThinkMinMs, double ThinkMaxMs, string Scale);

public static class Breakdown
{
    /// <param name="steadyP99">The run's p99 outside every window (the summary's steady figure), the same for every kind.</param>
    public static IReadOnlyList<KindSummary> ByKind(IReadOnlyList<TimelineRow> timeline, RunMetrics metrics, IReadOnlyList<EventWindow> windows, double steadyP99) =>
        [.. windows.GroupBy(w => w.Kind).Select(g =>
        {
            var (rows, requests, failed, byKind) = Inside(timeline, g);
            var latency = new HdrHistogram.LongHistogram(1, 120_000_000, 2);
            foreach (var r in rows)
                latency.Add(metrics[r.Second].Latency);
            return new KindSummary(g.Key, g.Count(), requests, failed, byKind,
                Results.Rate(failed, requests), steadyP99, Results.P99(latency), g.Sum(w => w.EvictionsRefused));
        })];

    public static IReadOnlyList<ClientSummary> ByClient(RunMetrics metrics, int seconds)
    {
        var buckets = Enumerable.Range(0, seconds).Select(s => metrics[s]).ToList();
        long Count(string key) => buckets.Sum(b => b.ByClient.GetValueOrDefault(key));
        return [.. new[] { ConnectionModes.KeepAliveName, ConnectionModes.NewPerRequestName }
            .Where(c => Count(c) > 0)
            .Select(c =>
            {
                var byKind = FailureKind.All.ToDictionary(k => k, k => Count($"{c}/{k}"));
                var failed = byKind.Values.Sum();
                return new ClientSummary(c, Count(c), failed, byKind, Results.Rate(failed, Count(c)));
            })];
    }

    public static CpuSummary? Cpu(IReadOnlyList<TimelineRow> timeline)
    {
        var samples = timeline.Where(r => r.CpuPercent is not null).Select(r => r.CpuPercent!.Value).Order().ToList();
        if (samples.Count == 0)
            return null;
        return new CpuSummary(Math.Round(samples.Average(), 1), samples[(int)Math.Min(samples.Count - 1, Math.Ceiling(samples.Count * 0.95) - 1)],
            samples[^1], samples.Count(c => c >= CpuSummary.SaturatedAt), samples.Count);
    }

    /// <summary>The sweep's points: one per event, its lag and the requests sent inside its own window.</summary>
    public static IReadOnlyList<SweepPoint> Sweep(IReadOnlyList<TimelineRow> timeline, IReadOnlyList<EventWindow> windows, int budget) =>
        [.. windows.Select(w =>
        {
            var (_, requests, failed, byKind) = Inside(timeline, [w]);
            return new SweepPoint(w.DeregistrationLagSeconds, w.DeregistrationLagSeconds <= budget, requests, failed, Results.Rate(failed, requests), byKind);
        })];

    /// <summary>The timeline's seconds inside the windows, and what was sent in them: requests, failures, failures by kind.</summary>
    private static (List<TimelineRow> Rows, long Requests, long Failed, Dictionary<string, long> ByKind) Inside(IReadOnlyList<TimelineRow> timeline, IEnumerable<EventWindow> windows)
    {
        var seconds = Results.WindowSeconds(windows);
        var rows = timeline.Where(r => seconds.Contains(r.Second)).ToList();
        return (rows, rows.Sum(r => r.Requests), rows.Sum(r => r.Failures), FailureKind.All.ToDictionary(k => k, k => rows.Sum(r => r.ByKind[k])));
    }
}
