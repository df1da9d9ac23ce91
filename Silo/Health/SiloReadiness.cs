using System.Diagnostics;
using Orderly.ServiceDefaults.Health;
using Orderly.ServiceDefaults.Observability;

namespace Orderly.Silo.Hosting;

/// <summary>
/// Ready once the silo is active in the cluster. Graceful: not ready from the first moment it stops.
/// Naive: no flip, as a host gets out of the box; the probe answers until the port closes.
/// </summary>
internal sealed class SiloReadiness(Readiness readiness, bool flipWhenStopping) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloReadiness), ServiceLifecycleStage.Active,
            onStart: _ =>
            {
                readiness.MarkReady();
                return Task.CompletedTask;
            },
            onStop: _ =>
            {
                if (flipWhenStopping)
                    readiness.MarkNotReady("silo stopping");
                return Task.CompletedTask;
            });
}

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

    [LoggerMessage(EventId = 9201, Level = LogLevel.Information, Message = "shutdown: silo stopping: ShuttingDown announced, clients told to stop sending, new gateway connections refused")]
    private partial void LogLeaving();

    [LoggerMessage(EventId = 9202, Level = LogLevel.Information, Message = "shutdown: grains deactivated (state was already durable) and client gateway closed at +{ElapsedMs} ms")]
    private partial void LogGrainsDeactivated(long elapsedMs);

    [LoggerMessage(EventId = 9203, Level = LogLevel.Information, Message = "shutdown: messaging stopped, silo left the cluster at +{ElapsedMs} ms")]
    private partial void LogLeft(long elapsedMs);
}

internal static class SiloReadinessExtensions
{
    public static ISiloBuilder AddShutdownTracking(this ISiloBuilder silo, bool graceful)
    {
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SiloReadiness(sp.GetRequiredService<Readiness>(), graceful));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloShutdownLog>();
        return silo;
    }
}
