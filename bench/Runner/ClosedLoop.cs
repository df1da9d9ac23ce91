using HdrHistogram;
using Orderly.LoadClient.Load;

namespace Orderly.Bench.Runner;

/// <summary>Throughput and latency of one operation against one system.</summary>
public sealed record OperationResult(string Operation, long Requests, long Errors, double Seconds, double Throughput, double P50Ms, double P99Ms)
{
    /// <summary>Every request answered during the run, the unrecorded settle time included: what database work is divided by.</summary>
    public long Sent { get; init; }

    /// <summary>Postgres' own count of the work per request; null when the bench did not measure it.</summary>
    public DatabaseWork? Database { get; init; }

    /// <summary>CPU the system's processes spent during the run, by kind; null when not measured (runs at saturation).</summary>
    public IReadOnlyList<ProcessCpu>? Cpu { get; init; }

    /// <summary>
    /// CPU milliseconds per request summed over every process of the system — the same number as
    /// CPU-seconds per 1,000 requests; null when not measured.
    /// </summary>
    public double? CpuMsPerRequest { get; init; }

    /// <summary>
    /// <see cref="CpuMsPerRequest"/> without what the tiered JIT spent compiling during the run: what a
    /// request costs a process that has already compiled its hot paths and timers, as one that has run for
    /// hours has. Null when not measured, or in a bench.json written before the JIT was read during runs.
    /// </summary>
    public double? WarmCpuMsPerRequest { get; init; }

    /// <summary>Requests one unit of the run sent: 1, or the requests of one order's lifecycle.</summary>
    public double RequestsPerUnit { get; init; } = 1;

    /// <summary>CPU milliseconds per request the processes of <paramref name="kind"/> spent; null when not measured.</summary>
    public double? CpuMsOf(string kind) =>
        Sent > 0 && Cpu?.FirstOrDefault(c => c.Kind == kind) is { } c ? c.Seconds * 1000 / Sent : null;

    public OperationResult WithCpu(IReadOnlyList<ProcessCpu> cpu) => this with
    {
        Cpu = cpu,
        CpuMsPerRequest = Sent == 0 ? null : Math.Round(cpu.Sum(c => c.Seconds) * 1000 / Sent, 3),
        WarmCpuMsPerRequest = Sent == 0 ? null : Math.Round(cpu.Sum(c => c.Seconds - c.JitSeconds) * 1000 / Sent, 3),
    };

    /// <param name="errorsInHistogram">Whether the histogram holds the errors' latencies too (else only successes').</param>
    public static OperationResult From(string operation, HistogramBase latencyMicros, long errors, double seconds, bool errorsInHistogram = false)
    {
        var requests = errorsInHistogram ? latencyMicros.TotalCount : latencyMicros.TotalCount + errors;
        return new(operation, requests, errors, Math.Round(seconds, 2), Math.Round((requests - errors) / seconds, 1),
            Ms(latencyMicros, 50), Ms(latencyMicros, 99));
    }

    private static double Ms(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0 : Math.Round(h.GetValueAtPercentile(percentile) / 1000.0, 2);
}

/// <summary>
/// Closed-loop load with no think time: <c>workers</c> sessions of the load client each send the next
/// request as soon as the last one answered, for a warm-up (not recorded) and then a measured
/// interval. Only 2xx answers count towards throughput; anything else is an error. Nothing is retried.
/// </summary>
public static class ClosedLoop
{
    public static async Task<OperationResult> RunAsync(
        string operation, HttpClient http, int workers, TimeSpan warmup, TimeSpan measured,
        Func<int, long, HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        var metrics = new RunMetrics(TimeProvider.System);
        await using var load = new SessionLoad(new LoadOptions
        {
            Target = http.BaseAddress!,
            CustomerPrefix = operation,
            FloorSessions = workers,
            PeakSessions = workers,
            ThinkMin = TimeSpan.Zero,
            ThinkMax = TimeSpan.Zero,
            Script = Scripts.Repeat(request),
        }, metrics, http);
        // Requests are attributed to the second they started in; the measured interval is whole seconds.
        var from = (int)Math.Ceiling(warmup.TotalSeconds);
        var seconds = (int)Math.Ceiling(measured.TotalSeconds);
        await load.RunAsync(TimeSpan.FromSeconds(from + seconds), cancellationToken);
        // Latency of every answer in the measured seconds (an error is an answer too; errors are rare here).
        var latency = new LongHistogram(1, 120_000_000, 3);
        long errors = 0;
        foreach (var (_, bucket) in metrics.Seconds.Where(s => s.Second >= from && s.Second < from + seconds))
        {
            latency.Add(bucket.Latency);
            errors += bucket.Failures;
        }
        var sent = metrics.Seconds.Sum(s => s.Bucket.Requests);
        return OperationResult.From(operation, latency, errors, Math.Max(seconds, 1e-3), errorsInHistogram: true) with { Sent = sent };
    }
}
