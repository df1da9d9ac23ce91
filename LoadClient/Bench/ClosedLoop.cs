using System.Diagnostics;
using HdrHistogram;

namespace Orderly.LoadClient.Bench;

/// <summary>Throughput and latency of one operation against one system.</summary>
public sealed record OperationResult(string Operation, long Requests, long Errors, double Seconds, double Throughput, double P50Ms, double P99Ms)
{
    /// <summary>Every request answered during the run, the unrecorded settle time included: what database work is divided by.</summary>
    public long Sent { get; init; }

    /// <summary>Postgres' own count of the work per request; null when the bench did not measure it.</summary>
    public DatabaseWork? Database { get; init; }

    public static OperationResult From(string operation, HistogramBase latencyMicros, long errors, double seconds) => new(
        operation, latencyMicros.TotalCount + errors, errors, Math.Round(seconds, 2),
        Math.Round(latencyMicros.TotalCount / seconds, 1),
        Ms(latencyMicros, 50), Ms(latencyMicros, 99));

    private static double Ms(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0 : Math.Round(h.GetValueAtPercentile(percentile) / 1000.0, 2);
}

/// <summary>
/// Closed-loop load with no think time: <c>workers</c> callers each send the next request as soon as
/// the last one answered, for a warm-up (not recorded) and then a measured interval. Only 2xx answers
/// count towards throughput and latency; anything else is an error. Nothing is retried.
/// </summary>
public static class ClosedLoop
{
    public static async Task<OperationResult> RunAsync(
        string operation, HttpClient http, int workers, TimeSpan warmup, TimeSpan measured,
        Func<int, long, HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var recordFrom = warmup;
        var end = warmup + measured;
        var histograms = new LongHistogram[workers];
        var errors = new long[workers];
        var sent = new long[workers];
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var latency = histograms[w] = new LongHistogram(1, 60_000_000, 3);
            for (long n = 0; clock.Elapsed < end && !cancellationToken.IsCancellationRequested; n++)
            {
                var started = Stopwatch.GetTimestamp();
                var record = clock.Elapsed >= recordFrom;
                bool ok;
                try
                {
                    using var message = request(w, n);
                    using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    ok = response.IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    ok = false;
                }
                sent[w]++;
                if (!record)
                    continue;
                if (ok)
                    latency.RecordValue(Math.Clamp((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds, 1, 60_000_000));
                else
                    errors[w]++;
            }
        }, CancellationToken.None)));
        var total = new LongHistogram(1, 60_000_000, 3);
        foreach (var h in histograms)
            total.Add(h);
        return OperationResult.From(operation, total, errors.Sum(), Math.Max(measured.TotalSeconds, 1e-3)) with { Sent = sent.Sum() };
    }
}
