using System.Diagnostics;
using HdrHistogram;

namespace Orderly.Bench.Runner;

/// <summary>
/// Open-loop load at a fixed offered rate: a unit of work (one request, or one order's whole
/// lifecycle) starts every 1/rate seconds whether or not the previous ones have answered, so the
/// system does the same work per second whatever its latency — what CPU per request is measured at.
/// Latency counts from when a unit was due, not from when it could be sent (no coordinated omission).
/// Units that would exceed <paramref name="maxInFlight"/> are not sent and counted as errors: the
/// rate was above what the system can take, and the figures say so.
/// </summary>
public static class FixedRate
{
    /// <param name="unit">Runs unit n; returns how many requests it sent and how many of them failed.</param>
    public static async Task<OperationResult> RunAsync(string operation, double unitsPerSecond, TimeSpan duration, int maxInFlight,
        Func<long, CancellationToken, Task<(int Requests, int Errors)>> unit, CancellationToken cancellationToken)
    {
        var latency = new LongHistogram(1, 120_000_000, 3);
        long requests = 0, errors = 0, inFlight = 0;
        var total = (long)Math.Round(unitsPerSecond * duration.TotalSeconds);
        var running = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (long n = 0; n < total;)
        {
            var due = (long)Math.Floor(clock.Elapsed.TotalSeconds * unitsPerSecond) + 1;
            for (; n < Math.Min(due, total); n++)
            {
                var dueAt = TimeSpan.FromSeconds(n / unitsPerSecond);
                if (Interlocked.Read(ref inFlight) >= maxInFlight)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.Increment(ref requests);
                    continue;
                }
                Interlocked.Increment(ref inFlight);
                var number = n;
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var (sent, failed) = await unit(number, cancellationToken);
                        Interlocked.Add(ref requests, sent);
                        Interlocked.Add(ref errors, failed);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref requests);
                        Interlocked.Increment(ref errors);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                    var micros = Math.Clamp((long)(clock.Elapsed - dueAt).TotalMicroseconds, 1, 120_000_000);
                    lock (latency)
                        latency.RecordValue(micros);
                }, cancellationToken));
            }
            await Task.Delay(2, cancellationToken);
        }
        await Task.WhenAll(running);
        var seconds = clock.Elapsed.TotalSeconds;
        return OperationResult.From(operation, latency, 0, seconds, errorsInHistogram: true) with
        {
            Requests = requests,
            Errors = errors,
            Throughput = Math.Round((requests - errors) / seconds, 1),
            Sent = requests,
        };
    }
}
