using Orderly.LoadClient.Kubernetes;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orderly.LoadClient.Load;
using Orderly.LoadClient.Verify;

namespace Orderly.LoadClient.Reporting;

public sealed record LatencySummary(double P50, double P90, double P99, double Max);

/// <summary>DIR/&lt;profile&gt;/summary.json — the contract of docs/experiment.md, plus the events and settings behind the numbers.</summary>
public sealed record Summary(
    string Profile,
    int Sessions,
    double DurationSeconds,
    long Requests,
    long Succeeded,
    long Failed,
    IReadOnlyDictionary<string, long> FailuresByKind,
    double ErrorRate,
    int ScaleDownEvents,
    double ScaleDownWindowErrorRate,
    LatencySummary LatencyMs,
    ScaleDownLatency ScaleDownLatencyMs,
    int OrdersAcknowledged,
    int OrdersLost,
    int OrdersDuplicated,
    IReadOnlyList<EventWindow> Events,
    PodTimings Settings,
    IReadOnlyList<string> VerificationExamples,
    IReadOnlyList<KindSummary>? ByEventKind = null,
    IReadOnlyList<ClientSummary>? ByClient = null,
    CpuSummary? MachineCpu = null,
    IReadOnlyList<SweepPoint>? LagSweep = null,
    RunShape? Shape = null)
{
    /// <summary>What the consistency checker found in the run's request history (stale reads, versions going back, vanished versions).</summary>
    public Anomalies Anomalies { get; init; } = Anomalies.None;
}

/// <summary>p99 of requests sent inside scale-down windows against the seconds outside them (steady state).</summary>
public sealed record ScaleDownLatency(double SteadyP99, double WindowP99)
{
    /// <summary>How much worse p99 gets while pods leave; 0 when either side saw no requests.</summary>
    public double Ratio => SteadyP99 <= 0 || WindowP99 <= 0 ? 0 : Math.Round(WindowP99 / SteadyP99, 2);
}

/// <summary>One line of DIR/&lt;profile&gt;/timeline.csv.</summary>
public sealed record TimelineRow(int Second, int Gateways, int Silos, int Sessions, long Requests, long Failures, IReadOnlyDictionary<string, long> ByKind, double P99Ms,
    double? CpuPercent = null);

public static class Results
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>One row per second. A second the sampler missed keeps the replicas and sessions of the one before.</summary>
    public static IReadOnlyList<TimelineRow> Timeline(RunMetrics metrics, int seconds)
    {
        var rows = new List<TimelineRow>(seconds);
        (int Gateways, int Silos, int Sessions) last = default;
        for (var s = 0; s < seconds; s++)
        {
            var b = metrics[s];
            if (b.Sampled)
                last = (b.Gateways, b.Silos, b.Sessions);
            rows.Add(new TimelineRow(s, last.Gateways, last.Silos, last.Sessions, b.Requests, b.Failures,
                FailureKind.All.ToDictionary(k => k, k => b.ByKind.GetValueOrDefault(k)), Math.Round(b.P99Ms, 2),
                b.CpuPercent is { } cpu ? Math.Round(cpu, 1) : null));
        }
        return rows;
    }

    /// <summary>The seconds that overlap a scale-down window: from "terminating" until gone and deregistered.</summary>
    public static HashSet<int> WindowSeconds(IEnumerable<EventWindow> windows) =>
        [.. windows.SelectMany(w => Enumerable.Range((int)w.StartSeconds, (int)w.EndSeconds - (int)w.StartSeconds + 1))];

    public static Summary Summarize(string profile, int sessions, double duration, IReadOnlyList<TimelineRow> timeline,
        RunMetrics metrics, IReadOnlyList<EventWindow> windows, int acknowledged, Verification verification, PodTimings settings,
        int warmupSeconds = 0)
    {
        var requests = timeline.Sum(r => r.Requests);
        var failed = timeline.Sum(r => r.Failures);
        var inWindows = WindowSeconds(windows);
        var windowRequests = timeline.Where(r => inWindows.Contains(r.Second)).Sum(r => r.Requests);
        var windowFailures = timeline.Where(r => inWindows.Contains(r.Second)).Sum(r => r.Failures);
        var latency = metrics.Latency;
        var steady = new HdrHistogram.LongHistogram(1, 120_000_000, 2);
        var window = new HdrHistogram.LongHistogram(1, 120_000_000, 2);
        // The first seconds of a fresh cluster (JIT, first activations) are neither steady nor a window.
        foreach (var row in timeline.Where(r => r.Second >= warmupSeconds))
            (inWindows.Contains(row.Second) ? window : steady).Add(metrics[row.Second].Latency);
        return new Summary(
            profile, sessions, Math.Round(duration, 1), requests, requests - failed, failed,
            FailureKind.All.ToDictionary(k => k, k => timeline.Sum(r => r.ByKind[k])),
            Rate(failed, requests), windows.Count, Rate(windowFailures, windowRequests),
            new LatencySummary(Ms(latency.GetValueAtPercentile(50)), Ms(latency.GetValueAtPercentile(90)),
                Ms(latency.GetValueAtPercentile(99)), Ms(latency.GetValueAtPercentile(100))),
            new ScaleDownLatency(P99(steady), P99(window)),
            acknowledged, verification.Lost, verification.Duplicated, windows, settings, verification.Examples);
    }

    /// <summary>
    /// summary.json on one line, prefixed so it can be found in a log: a pod's files die with it, its
    /// log outlives it (kubectl logs job/loadclient), and the chiseled image has no tar for kubectl cp.
    /// </summary>
    public const string SummaryLinePrefix = "summary.json ";

    public static string SummaryLine(Summary summary) => SummaryLinePrefix + JsonSerializer.Serialize(summary, OneLine);

    private static readonly JsonSerializerOptions OneLine = new(Json) { WriteIndented = false };

    public static async Task WriteAsync(string dir, Summary summary, IReadOnlyList<TimelineRow> timeline)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.json"), JsonSerializer.Serialize(summary, Json));
        var csv = new StringBuilder("time,gateways,silos,sessions,requests,failures," + string.Join(',', FailureKind.All) + ",p99Ms,cpuPercent\n");
        foreach (var r in timeline)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Second},{r.Gateways},{r.Silos},{r.Sessions},{r.Requests},{r.Failures},");
            csv.Append(string.Join(',', FailureKind.All.Select(k => r.ByKind[k].ToString(CultureInfo.InvariantCulture))));
            csv.Append(CultureInfo.InvariantCulture, $",{r.P99Ms},{r.CpuPercent}\n");
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "timeline.csv"), csv.ToString());
    }

    public static async Task<(Summary Summary, IReadOnlyList<TimelineRow> Timeline)> ReadAsync(string dir)
    {
        var summary = JsonSerializer.Deserialize<Summary>(await File.ReadAllTextAsync(Path.Combine(dir, "summary.json")), Json)
            ?? throw new InvalidDataException($"{dir}/summary.json is empty");
        var lines = await File.ReadAllLinesAsync(Path.Combine(dir, "timeline.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var f = l.Split(',');
            long L(string name) => long.Parse(f[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
            var cpu = Array.IndexOf(header, "cpuPercent");
            return new TimelineRow((int)L("time"), (int)L("gateways"), (int)L("silos"), (int)L("sessions"), L("requests"), L("failures"),
                FailureKind.All.ToDictionary(k => k, L), double.Parse(f[Array.IndexOf(header, "p99Ms")], CultureInfo.InvariantCulture),
                cpu >= 0 && cpu < f.Length && f[cpu].Length > 0 ? double.Parse(f[cpu], CultureInfo.InvariantCulture) : null);
        }).ToList();
        return (summary, rows);
    }

    internal static double Rate(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    internal static double P99(HdrHistogram.HistogramBase h) => h.TotalCount == 0 ? 0 : Ms(h.GetValueAtPercentile(99));

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 2);

    /// <summary>The comparison people read after a run: one column per profile.</summary>
    public static string Table(IReadOnlyList<Summary> summaries)
    {
        var rows = new (string Label, Func<Summary, string> Cell)[]
        {
            ("requests", s => s.Requests.ToString("N0", CultureInfo.InvariantCulture)),
            ("failed", s => s.Failed.ToString("N0", CultureInfo.InvariantCulture)),
            ("error rate", s => s.ErrorRate.ToString("0.00%", CultureInfo.InvariantCulture)),
            ("scale-down events", s => s.ScaleDownEvents.ToString(CultureInfo.InvariantCulture)),
            ("error rate in scale-down windows", s => s.ScaleDownWindowErrorRate.ToString("0.00%", CultureInfo.InvariantCulture)),
            ("latency p50 / p99 (ms)", s => string.Create(CultureInfo.InvariantCulture, $"{s.LatencyMs.P50:0.0} / {s.LatencyMs.P99:0.0}")),
            ("p99 steady / in windows (ms)", s => string.Create(CultureInfo.InvariantCulture, $"{s.ScaleDownLatencyMs.SteadyP99:0.0} / {s.ScaleDownLatencyMs.WindowP99:0.0}")),
            ("orders acknowledged", s => s.OrdersAcknowledged.ToString("N0", CultureInfo.InvariantCulture)),
            ("orders lost", s => s.OrdersLost.ToString(CultureInfo.InvariantCulture)),
            ("orders duplicated", s => s.OrdersDuplicated.ToString(CultureInfo.InvariantCulture)),
            ("consistency anomalies", s => s.Anomalies.Total.ToString(CultureInfo.InvariantCulture)),
        };
        var table = new TextTable(["", .. summaries.Select(s => ">" + s.Profile)]);
        foreach (var (label, cell) in rows)
            table.Add([label, .. summaries.Select(cell)]);
        foreach (var kind in summaries.SelectMany(s => s.ByEventKind ?? []).Select(k => k.Kind).Distinct())
        {
            string Cell(Summary s, Func<KindSummary, string> f) => s.ByEventKind?.FirstOrDefault(k => k.Kind == kind) is { } k ? f(k) : "—";
            table.Add([$"{kind}: events, failed / requests in windows", .. summaries.Select(s => Cell(s, k => string.Create(CultureInfo.InvariantCulture, $"{k.Events}, {k.FailedInWindows:N0} / {k.RequestsInWindows:N0}")))]);
            table.Add([$"{kind}: p99 in windows / steady (ms)", .. summaries.Select(s => Cell(s, k => string.Create(CultureInfo.InvariantCulture, $"{k.WindowP99:0.0} / {k.SteadyP99:0.0}")))]);
        }
        foreach (var client in summaries.SelectMany(s => s.ByClient ?? []).Select(c => c.Client).Distinct())
            table.Add([$"{client} clients: failed / requests", .. summaries.Select(s => s.ByClient?.FirstOrDefault(c => c.Client == client) is { } c
                ? string.Create(CultureInfo.InvariantCulture, $"{c.Failed:N0} / {c.Requests:N0}") : "—")]);
        if (summaries.Any(s => s.MachineCpu is not null))
            table.Add(["machine CPU mean / max (saturated s)", .. summaries.Select(s => s.MachineCpu is { } c
                ? string.Create(CultureInfo.InvariantCulture, $"{c.MeanPercent:0}% / {c.MaxPercent:0}% ({c.SaturatedSeconds})") : "—")]);
        foreach (var s in summaries.Where(s => s.LagSweep is { Count: > 0 }))
            table.Add([$"lag sweep ({s.Profile}): failed at each lag", .. summaries.Select(x => x == s
                ? string.Join(" ", s.LagSweep!.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.LagSeconds:0}s:{p.Failed}"))) : "")]);
        return table.ToString();
    }
}
