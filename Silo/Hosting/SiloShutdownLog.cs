using System.Diagnostics;
using Orderly.ServiceDefaults.Observability;

namespace Orderly.Silo.Hosting;

/// <summary>
/// Logs the silo's way out, stage by stage, with the time since stopping began. Orleans stops its
/// lifecycle from the highest stage down: clients are told to stop sending (Active), grains are
/// deactivated and the gateway stops taking client messages (BecomeActive), then messaging and
/// membership wind down and the silo leaves the cluster.
/// </summary>
internal sealed partial class SiloShutdownLog(ILogger<SiloShutdownLog> log, OrderlyMetrics metrics) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Stopwatch _stopping = new();

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(SiloShutdownLog), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, _ =>
        {
            _stopping.Start();
            LogLeaving();
            return Task.CompletedTask;
        });
        lifecycle.Subscribe(nameof(SiloShutdownLog), ServiceLifecycleStage.BecomeActive - 10, _ => Task.CompletedTask, _ =>
        {
            metrics.ShutdownPhaseDuration.Record(_stopping.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("phase", "grain_deactivation"));
            LogGrainsDeactivated(_stopping.ElapsedMilliseconds);
            return Task.CompletedTask;
        });
        lifecycle.Subscribe(nameof(SiloShutdownLog), ServiceLifecycleStage.RuntimeInitialize - 1, _ => Task.CompletedTask, _ =>
        {
            metrics.ShutdownPhaseDuration.Record(_stopping.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("phase", "silo_stop"));
            LogLeft(_stopping.ElapsedMilliseconds);
            return Task.CompletedTask;
        });
    }

    [LoggerMessage(EventId = 9211, Level = LogLevel.Information, Message = "shutdown: silo stopping: ShuttingDown announced, clients told to stop sending, new Orleans gateway connections refused")]
    private partial void LogLeaving();

    [LoggerMessage(EventId = 9212, Level = LogLevel.Information, Message = "shutdown: grains deactivated (state was already durable) and the Orleans gateway closed at +{ElapsedMs} ms")]
    private partial void LogGrainsDeactivated(long elapsedMs);

    [LoggerMessage(EventId = 9213, Level = LogLevel.Information, Message = "shutdown: messaging stopped, silo left the cluster at +{ElapsedMs} ms")]
    private partial void LogLeft(long elapsedMs);
}
