using Orderly.Harness.Cluster;
using Orderly.LoadClient.Load;
using Orderly.Tests.Infrastructure;

namespace Orderly.Tests.Shutdown;

/// <summary>
/// A steady stream of order journeys through HAProxy from a few sessions with no think time: the load
/// client's own driver, started in the background and stopped by the test. It never retries: every
/// failure a user would see is kept with its kind; acknowledged orders are remembered with the version
/// the user was told, so storage can be checked afterwards.
/// </summary>
public sealed class LoadStream : IAsyncDisposable
{
    /// <summary>Every customer id this stream uses starts with it.</summary>
    public const string CustomerPrefix = "load";

    private readonly CancellationTokenSource _stop = new();
    private readonly SessionLoad _load;
    private readonly Task _running;

    public LoadStream(int sessions = 6)
    {
        _load = new SessionLoad(new LoadOptions
        {
            Target = ClusterLayout.FrontEndUrl,
            CustomerPrefix = CustomerPrefix,
            FloorSessions = sessions,
            PeakSessions = sessions,
            ThinkMin = TimeSpan.Zero,
            ThinkMax = TimeSpan.Zero,
            Tokens = Processes.Tokens,
        }, new RunMetrics(TimeProvider.System));
        _running = Task.Run(() => _load.RunAsync(TimeSpan.MaxValue, _stop.Token));
    }

    public IReadOnlyCollection<FailedRequest> Failures => _load.Failures;

    public IReadOnlyCollection<AcknowledgedOrder> Acknowledged => [.. _load.Acknowledged.Values];

    public long Succeeded => _load.Metrics.Seconds.Sum(s => s.Bucket.Requests - s.Bucket.Failures);

    /// <summary>Waits until at least <paramref name="count"/> more requests have succeeded (with a deadline).</summary>
    public async Task WaitForSuccessesAsync(long count, TimeSpan timeout)
    {
        var target = Succeeded + count;
        var deadline = DateTime.UtcNow + timeout;
        while (Succeeded < target)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"load made no progress: {Succeeded}/{target} succeeded, failures: {string.Join("; ", Failures.Take(5))}");
            await Task.Delay(50);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await StopAsync();
        await _load.DisposeAsync();
        _stop.Dispose();
    }
}
