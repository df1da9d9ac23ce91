using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orderly.ServiceDefaults.Health;
using Orderly.ServiceDefaults.Observability;

namespace Orderly.ServiceDefaults.Shutdown;

/// <summary>
/// Replaces the console lifetime in the graceful profile. On SIGTERM (or SIGINT/SIGQUIT): readiness
/// answers 503 at once, the process keeps serving for Shutdown:DrainSeconds so requests the load
/// balancer still sends succeed, then the host stops (listener closes, in-flight work finishes).
/// A second signal skips the rest of the drain.
/// </summary>
public sealed partial class GracefulLifetime(
    IHostApplicationLifetime lifetime,
    Readiness readiness,
    ShutdownState state,
    IOptions<ShutdownOptions> options,
    TimeProvider time,
    OrderlyMetrics metrics,
    ILogger<GracefulLifetime> log) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly CancellationTokenSource _skipDrain = new();
    private readonly Stopwatch _sinceSignal = new();

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        var stopping = new Stopwatch();
        lifetime.ApplicationStopping.Register(() =>
        {
            stopping.Start();
            LogStopping(_sinceSignal.ElapsedMilliseconds, state.InFlight);
        });
        lifetime.ApplicationStopped.Register(() =>
        {
            metrics.ShutdownPhaseDuration.Record(stopping.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("phase", "stop"));
            LogStopped(_sinceSignal.ElapsedMilliseconds);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // we decide when to stop
        if (!state.TryBeginDrain(time.GetUtcNow()))
        {
            LogSecondSignal(context.Signal);
            _skipDrain.Cancel();
            return;
        }
        _sinceSignal.Start();
        LogSignal(context.Signal);
        readiness.MarkNotReady("shutting down");
        LogReadinessFlipped();
        _ = DrainThenStopAsync();
    }

    private async Task DrainThenStopAsync()
    {
        var drain = TimeSpan.FromSeconds(options.Value.DrainSeconds);
        LogDrainStarted(drain.TotalSeconds);
        try
        {
            await Task.Delay(drain, time, _skipDrain.Token);
        }
        catch (OperationCanceledException)
        {
            // second signal: stop now
        }
        metrics.ShutdownPhaseDuration.Record(_sinceSignal.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("phase", "drain"));
        LogDrainEnded(_sinceSignal.ElapsedMilliseconds, state.ServedWhileDraining);
        lifetime.StopApplication();
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
            r.Dispose();
        _skipDrain.Dispose();
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "shutdown: signal {Signal} received")]
    private partial void LogSignal(PosixSignal signal);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "shutdown: readiness flipped to 503")]
    private partial void LogReadinessFlipped();

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "shutdown: drain started ({DrainSeconds}s): still serving, answering with Connection: close")]
    private partial void LogDrainStarted(double drainSeconds);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Information, Message = "shutdown: drain ended after {ElapsedMs} ms; {Served} requests served while draining")]
    private partial void LogDrainEnded(long elapsedMs, long served);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Information, Message = "shutdown: stopping at +{ElapsedMs} ms: listener closes, {InFlight} requests in flight finish")]
    private partial void LogStopping(long elapsedMs, long inFlight);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Information, Message = "shutdown: stopped at +{ElapsedMs} ms, all work finished")]
    private partial void LogStopped(long elapsedMs);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Information, Message = "shutdown: second signal {Signal}: ending the drain now")]
    private partial void LogSecondSignal(PosixSignal signal);
}
